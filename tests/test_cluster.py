"""Two `sitechat serve` processes sharing PostgreSQL + Redis: one conversation across nodes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.support import clients
from tests.support.clients import Api
from tests.support.servers import ServerProcess


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, pg_dsn_factory, redis_url: str
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    dsn = pg_dsn_factory()
    tmp = tmp_path_factory.mktemp("cluster")
    a = ServerProcess(
        tmp,
        database_url=dsn,
        name="node-a",
        redis_url=redis_url,
        extra_env={"SITECHAT_RATE_MESSAGES": "5/minute"},
    )
    b = ServerProcess(
        tmp,
        database_url=dsn,
        name="node-b",
        redis_url=redis_url,
        extra_env={"SITECHAT_RATE_MESSAGES": "5/minute"},
    )
    a.migrate()
    a.start()
    b.start()
    yield a, b
    a.stop()
    b.stop()


async def test_visitor_on_one_node_and_agent_on_another_talk(cluster) -> None:
    a, b = cluster
    for node in (a, b):
        async with httpx.AsyncClient(base_url=node.url) as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 200 and ready.json()["broker"] == "redis"
    async with Api(a.url) as owner:
        from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD

        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        site = await owner.create_website()
        _agent, _pw, token = await owner.create_agent([site["id"]])

    agent_ws, _ = await clients.agent(b.ws_url, token)  # agent on node B
    visitor_ws, cfg, welcome = await clients.visitor(a.url, site["id"])  # visitor on node A
    # Presence crosses nodes through Redis.
    assert welcome["agents_online"] is True

    ack = await visitor_ws.send_message("hello from node A")
    conv = ack["conversation_id"]
    got = await agent_ws.expect("message", conversation_id=conv)
    assert got["message"]["body"] == "hello from node A"
    await agent_ws.send_message("answer from node B", conversation_id=conv)
    back = await visitor_ws.expect("message", conversation_id=conv)
    while back["message"]["sender"]["kind"] != "agent":
        back = await visitor_ws.expect("message", conversation_id=conv)
    assert back["message"]["body"] == "answer from node B"

    # Typing crosses nodes too.
    await agent_ws.send({"type": "typing", "conversation_id": conv, "typing": True})
    assert (await visitor_ws.expect("typing"))["sender"]["kind"] == "agent"

    # The same visitor in a second tab on node B sees the same conversation live.
    tab2, _, _ = await clients.visitor(b.url, site["id"], visitor_key=cfg["visitor_key"])
    await visitor_ws.send_message("second message")
    m = await tab2.expect("message", conversation_id=conv)
    assert m["message"]["seq"] == 3

    await agent_ws.close()
    assert (await visitor_ws.expect("presence"))["agents_online"] is False
    for s in (visitor_ws, tab2):
        await s.close()


async def test_many_sends_from_both_nodes_keep_one_gapless_order(cluster) -> None:
    a, b = cluster
    async with Api(a.url) as owner:
        from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD

        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        site = await owner.create_website()
        _a1, _pw1, token1 = await owner.create_agent([site["id"]])
        _a2, _pw2, token2 = await owner.create_agent([site["id"]])
        visitor_ws, _, _ = await clients.visitor(a.url, site["id"])
        conv = (await visitor_ws.send_message("start"))["conversation_id"]
        ag1, _ = await clients.agent(a.ws_url, token1)
        ag2, _ = await clients.agent(b.ws_url, token2)

        async def burst(sock: clients.Socket, tag: str) -> None:
            for i in range(4):  # within the 5/minute per-sender limit set for this cluster
                await sock.send_message(f"{tag}-{i}", conversation_id=conv)

        await asyncio.gather(burst(ag1, "a"), burst(ag2, "b"))
        got = []
        while len(got) < 9:
            f = await visitor_ws.expect("message", conversation_id=conv, timeout=10)
            got.append(f["message"]["seq"])
        assert got == list(range(1, 10))  # every seq once, in order, whichever node sent it
        assert [f for f in await visitor_ws.quiet(0.5) if f["type"] == "message"] == []

        # The per-sender message limit holds across nodes (Redis-backed): the fifth message
        # of agent 1 (sent via node B this time) is refused.
        ag1b, _ = await clients.agent(b.ws_url, token1)
        await ag1b.send_message("a-4", conversation_id=conv)
        await ag1b.send(
            {
                "type": "message.send",
                "client_msg_id": "over-the-limit-1",
                "body": "a-5",
                "conversation_id": conv,
                "id": "rl",
            }
        )
        assert (await ag1b.expect("error", id="rl"))["code"] == "rate_limited"
        # The REST API spends the same budget.
        async with Api(a.url) as api:
            api.use_token(token1)
            r = await api.post(f"/api/v1/conversations/{conv}/messages", json={"body": "via REST"})
            assert r.status_code == 429 and r.json()["error"] == "rate_limited"
            assert int(r.headers["retry-after"]) >= 1
        for s in (visitor_ws, ag1, ag2, ag1b):
            await s.close()


async def test_agents_of_a_crashed_node_drop_out_of_presence(
    tmp_path_factory: pytest.TempPathFactory, pg_dsn_factory, redis_url: str
) -> None:
    from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD

    dsn = pg_dsn_factory()
    tmp = tmp_path_factory.mktemp("crash")
    fast = {"SITECHAT_HEARTBEAT_INTERVAL": "0.5", "SITECHAT_HEARTBEAT_TIMEOUT": "5"}
    a = ServerProcess(tmp, database_url=dsn, name="crash-a", redis_url=redis_url, extra_env=fast)
    b = ServerProcess(tmp, database_url=dsn, name="crash-b", redis_url=redis_url, extra_env=fast)
    a.migrate()
    a.start()
    b.start()
    try:
        async with Api(a.url) as owner:
            await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
            site = await owner.create_website()
            _agent, _pw, token = await owner.create_agent([site["id"]])
        _agent_ws, _ = await clients.agent(b.ws_url, token)
        visitor_ws, _, welcome = await clients.visitor(a.url, site["id"])
        assert welcome["agents_online"] is True
        b.kill()  # the agent's node dies without a goodbye
        gone = await visitor_ws.expect("presence", timeout=10)
        assert gone["agents_online"] is False  # within the presence TTL (2.5 x 0.5 s) and a beat
        await visitor_ws.close()
    finally:
        a.stop()
        b.stop()


async def test_the_live_visitor_list_is_the_same_on_every_node(cluster) -> None:
    """A visitor whose pages are served by node A is listed by node B, and leaving through
    node B is announced once, to the agent on node A."""
    from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD
    from tests.tracking.test_tracking_api import config, events, new_id, page

    a, b = cluster
    async with Api(a.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        site = await owner.create_website()
        _agent, _pw, token = await owner.create_agent([site["id"]])
    agent_ws, _ = await clients.agent(a.ws_url, token)
    tab = new_id()
    r = await config(a, site["id"], body={"tab": tab, "page": page("https://shop.example.com/shoes")})
    cfg = r.json()
    assert cfg["tracking"] is True
    await agent_ws.expect("visitor.live")
    async with Api(b.url) as api:
        api.use_token(token)
        listed = (await api.get(f"/api/v1/websites/{site['id']}/visitors/live")).json()["visitors"]
        assert [(v["visitor_id"], v["page_url"]) for v in listed] == [
            (cfg["visitor_id"], "https://shop.example.com/shoes")
        ]
        r = await events(
            b, site["id"], {"visitor_key": cfg["visitor_key"], "tab": tab, "events": [{"type": "leave"}]}
        )
        assert r.status_code == 202
        left = await agent_ws.expect("visitor.left")
        assert left["visitor_id"] == cfg["visitor_id"]
        assert (await api.get(f"/api/v1/websites/{site['id']}/visitors/live")).json()["visitors"] == []
    frames = await agent_ws.quiet(0.5)
    assert not [f for f in frames if f["type"] == "visitor.left"], "announced twice"
    await agent_ws.close()


async def test_sockets_closing_together_leave_no_subscription_behind(cluster, redis_url: str) -> None:
    """Many visitors leaving at once while frames are still going out to them: each
    connection's goodbye must finish, so Redis is not left subscribed to their topics (a
    cancel landing inside the goodbye used to leak them; found by bench/)."""
    import redis.asyncio as aioredis

    from sitechat.realtime.broker import CHANNEL_PREFIX
    from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD

    a, _b = cluster
    async with Api(a.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        site = await owner.create_website()
        _agent, _pw, token = await owner.create_agent([site["id"]])
    visitors = await asyncio.gather(*(clients.visitor(a.url, site["id"]) for _ in range(200)))
    ids = {cfg["visitor_id"] for _s, cfg, _w in visitors}

    stop = asyncio.Event()

    async def churn_presence() -> None:
        # Each agent arrival and departure sends a presence frame to every visitor, so
        # their writers are busy while their readers say goodbye.
        while not stop.is_set():
            ws, _ = await clients.agent(a.ws_url, token)
            await ws.close()

    churn = asyncio.create_task(churn_presence())
    await asyncio.sleep(0.3)
    for sock, _cfg, _w in visitors:
        sock.ws.transport.abort()  # as a closed laptop lid: no closing handshake
    await asyncio.sleep(2)
    stop.set()
    await churn
    r = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        left: set[str] = set()
        for _ in range(50):
            channels = await r.pubsub_channels(f"{CHANNEL_PREFIX}visitor:*")
            left = {c.rsplit(":", 1)[1] for c in channels} & ids
            if not left:
                break
            await asyncio.sleep(0.2)
        assert not left, f"{len(left)} of {len(ids)} closed visitors still subscribed"
    finally:
        await r.aclose()
