"""The snooze job on two nodes at once (PostgreSQL, two engines racing on one database):
every due conversation wakes exactly once, announced by exactly one node."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from sitechat.conversations import service
from sitechat.conversations.models import Conversation
from sitechat.db.base import utcnow
from sitechat.db.engine import make_engine, make_sessionmaker
from sitechat.db.migrate import upgrade
from sitechat.db.uow import UnitOfWork
from sitechat.visitors.models import Visitor
from sitechat.websites.models import Website


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        self.events.append((topic, event))


async def test_two_nodes_wake_each_snoozed_conversation_once(pg_dsn_factory) -> None:
    url = pg_dsn_factory()
    await asyncio.to_thread(upgrade, url)
    engines = [make_engine(url, pool_size=2) for _ in range(2)]
    makers = [make_sessionmaker(e) for e in engines]
    now = utcnow()
    async with makers[0]() as s:
        site = Website(name="Race", allowed_domains=["race.example"], settings={})
        s.add(site)
        await s.flush()
        visitor = Visitor(website_id=site.id)
        s.add(visitor)
        await s.flush()
        due, later = [], []
        for i in range(60):
            c = Conversation(
                website_id=site.id,
                visitor_id=visitor.id,
                status="snoozed",
                snoozed_until=now - timedelta(seconds=1) if i % 6 else now + timedelta(hours=1),
            )
            s.add(c)
            await s.flush()
            (due if i % 6 else later).append(c.id)
        await s.commit()

    recorders = [Recorder(), Recorder()]

    async def node(i: int) -> int:
        total = 0
        for _ in range(50):
            async with UnitOfWork(makers[i], recorders[i]) as uow:
                n = await service.wake_due(uow, limit=7)
            total += n
            if n == 0:
                return total
        return total

    woken = await asyncio.gather(node(0), node(1), node(0), node(1))
    assert sum(woken) == len(due)
    announced = [
        e["conversation"]["id"]
        for r in recorders
        for topic, e in r.events
        if topic.startswith("website:") and e.get("change") == "woke"
    ]
    assert sorted(announced) == sorted(due)  # each once, by one node
    async with makers[1]() as s:
        states = {
            cid: status for cid, status in (await s.execute(select(Conversation.id, Conversation.status)))
        }
    assert all(states[cid] == "open" for cid in due)
    assert all(states[cid] == "snoozed" for cid in later)  # not due yet: untouched
    for e in engines:
        await e.dispose()
