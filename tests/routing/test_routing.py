"""Routing on one node: skills (language, page, pre-chat answer, tag), round robin and
capacity, the queue the visitor sees, reassignment when an agent goes away, manual
assignment beyond capacity."""

from __future__ import annotations

import secrets

from tests.routing.support import (
    assignee,
    close_all,
    conversations_of,
    eventually,
    routed_site,
    start_chat,
    visitor_at,
)
from tests.support import clients
from tests.support.clients import Api


async def _team(owner: Api, skills: list[str], agent_ids: list[str]) -> None:
    r = await owner.post(
        "/api/v1/teams", json={"name": "T " + secrets.token_hex(4), "skills": skills, "agent_ids": agent_ids}
    )
    assert r.status_code == 201, r.text


async def test_skill_routing_by_language_page_prechat_and_tag(server, owner: Api) -> None:
    site = await routed_site(
        owner,
        {
            "mode": "skills",
            "rules": [
                {"match": "language", "value": "fr", "skill": "fr"},
                {"match": "page", "value": "*/billing/*", "skill": "billing"},
                {"match": "prechat", "key": "plan", "value": "Enterprise", "skill": "sales"},
                {"match": "tag", "value": "vip", "skill": "sales"},
                {"match": "language", "value": "de", "skill": "de"},
            ],
            "fallback": "queue",
        },
        prechat={
            "enabled": True,
            "custom_fields": [
                {"key": "plan", "label": "Plan", "type": "select", "options": ["Free", "Enterprise"]}
            ],
        },
    )
    wid = site["id"]
    french, _, t_fr = await owner.create_agent([wid])
    billing, _, t_bi = await owner.create_agent([wid])
    sales, _, t_sa = await owner.create_agent([wid])
    _generalist, _, t_ge = await owner.create_agent([wid])
    await _team(owner, ["fr"], [french["id"]])
    await _team(owner, ["billing", "invoices"], [billing["id"]])
    await _team(owner, ["sales"], [sales["id"]])
    sockets = [(await clients.agent(server.ws_url, t))[0] for t in (t_fr, t_bi, t_sa, t_ge)]
    fr_ws, _bi_ws, sa_ws, _ge_ws = sockets

    v1, _, _ = await visitor_at(server.url, wid, languages=["fr-CA", "en"])
    c1 = await start_chat(v1, "Bonjour")
    assert await assignee(owner, c1) == french["id"]
    note = await fr_ws.expect("assigned", timeout=5)
    assert note["conversation"]["id"] == c1 and note["by"] == "routing"

    v2, _, _ = await visitor_at(server.url, wid, page="https://shop.example.com/billing/invoice/7")
    c2 = await start_chat(v2, "My invoice is wrong")
    assert await assignee(owner, c2) == billing["id"]

    v3, _, _ = await visitor_at(server.url, wid)
    await v3.send({"type": "profile.update", "id": "p1", "custom_data": {"plan": "Enterprise"}})
    await v3.expect("profile")
    c3 = await start_chat(v3, "Pricing for 500 seats?")
    assert await assignee(owner, c3) == sales["id"]
    assert (await sa_ws.expect("assigned"))["conversation"]["id"] == c3

    # No rule matches: round robin among everyone, the least busy first.
    v4, _, _ = await visitor_at(server.url, wid, page="https://shop.example.com/shoes")
    c4 = await start_chat(v4)
    assert await assignee(owner, c4) == _generalist["id"]

    # A rule matches but nobody has the skill, and the fallback is the queue.
    v5, _, _ = await visitor_at(server.url, wid, languages=["de-AT"])
    c5 = await start_chat(v5, "Hallo")
    assert await assignee(owner, c5) is None
    frame = await v5.expect("conversation")
    assert frame["conversation"]["id"] == c5 and frame["conversation"]["waiting"] == "queue"
    await close_all(*sockets, v1, v2, v3, v4, v5)


async def test_round_robin_capacity_queue_and_resolve(server, owner: Api) -> None:
    site = await routed_site(owner, {"mode": "round_robin", "capacity": 2})
    wid = site["id"]
    a, _, ta = await owner.create_agent([wid])
    b, _, tb = await owner.create_agent([wid])
    away, _, t_away = await owner.create_agent([wid])
    a_ws, _ = await clients.agent(server.ws_url, ta)
    b_ws, _ = await clients.agent(server.ws_url, tb)
    away_ws, _ = await clients.agent(server.ws_url, t_away)
    async with Api(server.url) as api:
        api.use_token(t_away)
        assert (await api.http.put("/api/v1/agents/me/status", json={"status": "away"})).status_code == 200
        assert (await away_ws.expect("agent.status"))["status"] == "away"

    visitors = [(await visitor_at(server.url, wid))[0] for _ in range(5)]
    convs = [await start_chat(v, f"question {i}") for i, v in enumerate(visitors)]
    owners = [await assignee(owner, c) for c in convs]
    # Alternating (fewest open, then least recently served), never above capacity 2,
    # nothing for the agent who is away.
    assert owners[:4].count(a["id"]) == 2 and owners[:4].count(b["id"]) == 2
    assert owners[0] != owners[1] and owners[2] != owners[3]
    assert owners[4] is None
    queued = await visitors[4].expect("conversation")
    assert queued["conversation"]["waiting"] == "queue"
    r = await owner.get(f"/api/v1/conversations/{convs[4]}")
    assert r.json()["waiting"] == "queue"

    # An agent resolving a conversation frees a place: the queued one is served at once.
    freed = convs[0]
    holder = owners[0]
    assert (await owner.post(f"/api/v1/conversations/{freed}/resolve")).status_code == 200
    assert await assignee(owner, convs[4]) == holder
    holder_ws = a_ws if holder == a["id"] else b_ws
    got = await holder_ws.expect("assigned")
    while got["conversation"]["id"] != convs[4]:
        got = await holder_ws.expect("assigned")
    served = await visitors[4].expect("conversation")
    assert served["conversation"]["waiting"] is None
    async with Api(server.url) as api:
        api.use_token(ta)
        mine = (await api.get("/api/v1/agents/me/status")).json()
    assert mine["available"] is True and mine["connected"] is True

    # Manual assignment ignores capacity (and takes the conversation out of the queue).
    v6, _, _ = await visitor_at(server.url, wid)
    c6 = await start_chat(v6)
    assert await assignee(owner, c6) is None
    r = await owner.post(f"/api/v1/conversations/{c6}/assign", json={"agent_id": a["id"]})
    assert r.status_code == 200 and r.json()["assignee_id"] == a["id"] and r.json()["waiting"] is None
    note = await a_ws.expect("assigned", timeout=5)
    while note["conversation"]["id"] != c6:
        note = await a_ws.expect("assigned", timeout=5)
    assert note["by"] == "manual"
    assert away["id"] not in {await assignee(owner, c) for c in (*convs, c6)}
    await close_all(a_ws, b_ws, away_ws, *visitors, v6)


async def test_offline_agent_conversations_are_reassigned_or_queued(server, owner: Api) -> None:
    site = await routed_site(
        owner, {"mode": "round_robin", "offline_grace_seconds": 1, "when_nobody": "offline_form"}
    )
    wid = site["id"]
    a, _, ta = await owner.create_agent([wid])
    b, _, tb = await owner.create_agent([wid])
    a_ws, _ = await clients.agent(server.ws_url, ta)
    b_ws, _ = await clients.agent(server.ws_url, tb)
    v1, _, _ = await visitor_at(server.url, wid)
    c1 = await start_chat(v1)
    first = await assignee(owner, c1)
    assert first in (a["id"], b["id"])
    gone_ws, stay_ws, stay_token = (a_ws, b_ws, tb) if first == a["id"] else (b_ws, a_ws, ta)
    stayer = b["id"] if first == a["id"] else a["id"]

    # The console closes for good: after the grace period, the other agent has it.
    await close_all(gone_ws)

    async def moved() -> bool:
        return await assignee(owner, c1) == stayer

    await eventually(moved, timeout=10, what="reassignment after the agent left")
    note = await stay_ws.expect("assigned", timeout=5)
    assert note["conversation"]["id"] == c1 and note["conversation"]["assignee_id"] == stayer

    # The last agent sets themself offline: nobody is left, the conversation waits and
    # this website shows the visitor the offline form.
    async with Api(server.url) as api:
        api.use_token(stay_token)
        r = await api.http.put("/api/v1/agents/me/status", json={"status": "offline"})
        assert r.status_code == 200 and r.json()["available"] is False
        assert await assignee(owner, c1) is None
        frame = await v1.expect("conversation")
        while frame["conversation"]["waiting"] is None:
            frame = await v1.expect("conversation")
        assert frame["conversation"]["waiting"] == "offline_form"
        # Back online: the queue is served at once.
        r = await api.http.put("/api/v1/agents/me/status", json={"status": "online"})
        assert r.status_code == 200
        assert await assignee(owner, c1) == stayer
        assert (await v1.expect("conversation"))["conversation"]["waiting"] is None
    await close_all(stay_ws, v1)


async def test_nobody_online_visitor_sees_the_queue_and_first_agent_takes_it(server, owner: Api) -> None:
    site = await routed_site(owner, {"mode": "round_robin"})
    wid = site["id"]
    agent, _, token = await owner.create_agent([wid])
    v, cfg, _ = await visitor_at(server.url, wid)
    conv = await start_chat(v, "Anyone there?")
    frame = await v.expect("conversation")
    assert frame["conversation"]["id"] == conv and frame["conversation"]["waiting"] == "queue"
    # A second tab (or a reload) learns it from the welcome.
    tab, _, welcome = await visitor_at(server.url, wid, visitor_key=cfg["visitor_key"])
    assert [c["waiting"] for c in welcome["conversations"] if c["id"] == conv] == ["queue"]
    listed = {c["id"]: c for c in await conversations_of(owner, wid)}
    assert listed[conv]["waiting"] == "queue" and listed[conv]["assignee_id"] is None
    # An agent connects: the routing sweep hands them the queue within seconds.
    agent_ws, _ = await clients.agent(server.ws_url, token)
    note = await agent_ws.expect("assigned", timeout=8)
    assert note["conversation"]["id"] == conv and note["conversation"]["assignee_id"] == agent["id"]
    assert (await tab.expect("conversation", timeout=5))["conversation"]["waiting"] is None
    await close_all(v, tab, agent_ws)
