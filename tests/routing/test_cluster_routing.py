"""Routing on two nodes sharing PostgreSQL and Redis: many conversations created at once
on both nodes never give an agent more than their capacity, nor a conversation twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.routing.support import close_all, conversations_of, routed_site, start_chat, visitor_at
from tests.support import clients
from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess


@pytest.fixture(scope="module")
def nodes(
    tmp_path_factory: pytest.TempPathFactory, pg_dsn_factory, redis_url: str
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    dsn = pg_dsn_factory()
    tmp = tmp_path_factory.mktemp("routing-cluster")
    a = ServerProcess(tmp, database_url=dsn, name="route-a", redis_url=redis_url)
    b = ServerProcess(tmp, database_url=dsn, name="route-b", redis_url=redis_url)
    a.migrate()
    a.start()
    b.start()
    yield a, b
    a.stop()
    b.stop()


async def test_round_robin_capacity_across_two_nodes(nodes) -> None:
    a, b = nodes
    async with Api(a.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        site = await routed_site(owner, {"mode": "round_robin", "capacity": 3})
        wid = site["id"]
        (ag1, _, t1), (ag2, _, t2) = await asyncio.gather(
            owner.create_agent([wid]), owner.create_agent([wid])
        )
        # One agent's console on each node.
        ws1, _ = await clients.agent(a.ws_url, t1)
        ws2, _ = await clients.agent(b.ws_url, t2)
        visitors = await asyncio.gather(*(visitor_at((a if i % 2 else b).url, wid) for i in range(10)))
        socks = [v[0] for v in visitors]
        # Ten first messages at once, five on each node.
        convs = await asyncio.gather(*(start_chat(s, f"visitor {i}") for i, s in enumerate(socks)))
        assert len(set(convs)) == 10

        listed = {c["id"]: c for c in await conversations_of(owner, wid)}
        per_agent = Counter(listed[c]["assignee_id"] for c in convs)
        assert per_agent == {ag1["id"]: 3, ag2["id"]: 3, None: 4}, per_agent
        queued = sorted(
            (listed[c] for c in convs if listed[c]["assignee_id"] is None), key=lambda c: c["created_at"]
        )
        assert all(c["waiting"] == "queue" for c in queued)

        # Each agent heard of exactly their own three, and no conversation reached both.
        got1 = {f["conversation"]["id"] for f in await ws1.quiet(1.0) if f["type"] == "assigned"}
        got2 = {f["conversation"]["id"] for f in await ws2.quiet(0.1) if f["type"] == "assigned"}
        assert len(got1) == 3 and len(got2) == 3 and not got1 & got2
        assert got1 == {c for c in convs if listed[c]["assignee_id"] == ag1["id"]}

        # A resolved conversation frees a place; the oldest queued one takes it.
        done = next(iter(got1))
        async with Api(b.url) as on_b:
            await on_b.login(ADMIN_EMAIL, ADMIN_PASSWORD)
            r = await on_b.post(f"/api/v1/conversations/{done}/resolve")
            assert r.status_code == 200
        note = await ws1.expect("assigned", timeout=5)
        assert note["conversation"]["id"] == queued[0]["id"]
        assert note["conversation"]["assignee_id"] == ag1["id"]
        listed = {c["id"]: c for c in await conversations_of(owner, wid)}
        per_agent = Counter(c["assignee_id"] for c in listed.values() if c["status"] == "open")
        assert per_agent == {ag1["id"]: 3, ag2["id"]: 3, None: 3}, per_agent
        # Nothing more moves: the next sweeps on both nodes find no free place.
        await asyncio.sleep(2.5)
        assert not [f for f in await ws2.quiet(0.1) if f["type"] == "assigned"]
        await close_all(ws1, ws2, *socks)
