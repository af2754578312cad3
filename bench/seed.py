"""Seed a realistic number of conversations straight into a migrated database, through
the project's own SQLAlchemy tables (sitechat's models: their column defaults apply), so
the seed follows the schema as it changes. Bulk SQL rather than the protocol: 10,000
conversations through WebSockets would take minutes and measure something else.

What it writes, for one website: N visitors (a third with a name and email), one
conversation each — 25 % open, 5 % pending, 5 % snoozed, 65 % resolved; a fifth assigned
to the given agent; last activity spread over the past 90 days — and 3 messages each
(visitor, agent, visitor), so every list row has a last message to join.

Run in the server's source tree: `python -m bench.seed URL WEBSITE_ID AGENT_ID N`.
"""

from __future__ import annotations

import asyncio
import random
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from sitechat.conversations.models import Conversation, Message
from sitechat.db.base import new_id
from sitechat.visitors.models import Visitor

STATUSES = ["open"] * 25 + ["pending"] * 5 + ["snoozed"] * 5 + ["resolved"] * 65
CHUNK = 1000


async def seed(url: str, website_id: str, agent_id: str, n: int) -> None:
    rng = random.Random(7)
    now = datetime.now(UTC)
    visitors: list[dict[str, Any]] = []
    convs: list[dict[str, Any]] = []
    msgs: list[dict[str, Any]] = []
    for i in range(n):
        vid, cid = new_id("v"), new_id("c")
        last = now - timedelta(seconds=rng.uniform(0, 90 * 86400))
        created = last - timedelta(minutes=rng.uniform(1, 120))
        named = i % 3 == 0
        visitors.append(
            {
                "id": vid,
                "website_id": website_id,
                "name": f"Visitor {i}" if named else None,
                "email": f"visitor{i}@example.com" if named else None,
                "custom_data": {},
                "created_at": created,
                "last_seen_at": last,
            }
        )
        convs.append(
            {
                "id": cid,
                "website_id": website_id,
                "visitor_id": vid,
                "status": rng.choice(STATUSES),
                "origin": "chat",
                "assignee_id": agent_id if i % 5 == 0 else None,
                "last_seq": 3,
                "visitor_delivered_seq": 3,
                "visitor_read_seq": 3,
                "agent_delivered_seq": 3,
                "agent_read_seq": 2,
                "created_at": created,
                "updated_at": last,
                "last_activity_at": last,
            }
        )
        for seq, (kind, sender) in enumerate((("visitor", vid), ("agent", agent_id), ("visitor", vid)), 1):
            msgs.append(
                {
                    "id": new_id("m"),
                    "conversation_id": cid,
                    "seq": seq,
                    "sender_kind": kind,
                    "sender_id": sender,
                    "sender_name": None,
                    "sender_key": f"{kind}:{sender}",
                    "client_msg_id": f"seed-{i}-{seq}",
                    "body": f"Seeded message {seq} of conversation {i}: does it come in a larger size?",
                    "created_at": created + timedelta(seconds=seq * 30) if seq < 3 else last,
                }
            )
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        for table, rows in ((Visitor, visitors), (Conversation, convs), (Message, msgs)):
            for start in range(0, len(rows), CHUNK):
                await conn.execute(insert(table), rows[start : start + CHUNK])
    await engine.dispose()


if __name__ == "__main__":
    url, website_id, agent_id, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    asyncio.run(seed(url, website_id, agent_id, n))
