"""The conversations REST API: filters, pagination, assignment, resolve/reopen, live membership."""

from __future__ import annotations

from tests.support import clients
from tests.support.clients import Api


async def _conversations(server, site_id: str, n: int) -> list[str]:
    ids = []
    for i in range(n):
        sock, _, _ = await clients.visitor(server.url, site_id)
        ids.append((await sock.send_message(f"visitor {i}"))["conversation_id"])
        await sock.close()
    return ids


async def test_list_filters_and_cursor_pagination(server, owner: Api) -> None:
    site = await owner.create_website()
    agent, _pw, token = await owner.create_agent([site["id"]])
    ids = await _conversations(server, site["id"], 5)

    page1 = (await owner.get("/api/v1/conversations", params={"website_id": site["id"], "limit": 2})).json()
    assert [c["id"] for c in page1["items"]] == ids[::-1][:2]  # newest activity first
    assert page1["items"][0]["last_message"]["body"] == "visitor 4"
    assert page1["items"][0]["unread_count"] == 1
    page2 = (
        await owner.get(
            "/api/v1/conversations",
            params={"website_id": site["id"], "limit": 2, "cursor": page1["next_cursor"]},
        )
    ).json()
    page3 = (
        await owner.get(
            "/api/v1/conversations",
            params={"website_id": site["id"], "limit": 2, "cursor": page2["next_cursor"]},
        )
    ).json()
    assert [c["id"] for c in page2["items"] + page3["items"]] == ids[::-1][2:]
    assert page3["next_cursor"] is None

    r = await owner.post(f"/api/v1/conversations/{ids[0]}/assign", json={"agent_id": agent["id"]})
    assert r.status_code == 200 and r.json()["assignee_id"] == agent["id"]
    r = await owner.post(f"/api/v1/conversations/{ids[1]}/resolve")
    assert r.json()["status"] == "resolved"

    async with Api(server.url) as api:
        api.use_token(token)
        mine = (await api.get("/api/v1/conversations", params={"assignee": "me"})).json()["items"]
        assert [c["id"] for c in mine] == [ids[0]]
        unassigned = (await api.get("/api/v1/conversations", params={"assignee": "unassigned"})).json()[
            "items"
        ]
        assert ids[0] not in {c["id"] for c in unassigned} and ids[1] not in {c["id"] for c in unassigned}
        resolved = (await api.get("/api/v1/conversations", params={"status": "resolved"})).json()["items"]
        assert [c["id"] for c in resolved] == [ids[1]]
        everything = (await api.get("/api/v1/conversations", params={"status": "all"})).json()["items"]
        assert len(everything) == 5

    r = await owner.post(f"/api/v1/conversations/{ids[1]}/reopen")
    assert r.json()["status"] == "open"
    r = await owner.get(f"/api/v1/conversations/{ids[2]}/messages", params={"after_seq": 0, "limit": 1})
    assert r.json() == {"items": [r.json()["items"][0]], "has_more": False}
    # An agent of another website is not a valid assignee.
    other_site = await owner.create_website()
    stranger, _, _ = await owner.create_agent([other_site["id"]])
    r = await owner.post(f"/api/v1/conversations/{ids[3]}/assign", json={"agent_id": stranger["id"]})
    assert r.status_code == 422


async def test_assignment_and_status_reach_agents_and_visitor_live(server, owner: Api) -> None:
    site = await owner.create_website()
    agent, _pw, token = await owner.create_agent([site["id"]])
    agent_ws, _ = await clients.agent(server.ws_url, token)
    v, _, _ = await clients.visitor(server.url, site["id"])
    conv = (await v.send_message("help"))["conversation_id"]
    await agent_ws.expect("conversation")
    await owner.post(f"/api/v1/conversations/{conv}/assign", json={"agent_id": agent["id"]})
    assigned = await agent_ws.expect("conversation")
    assert assigned["conversation"]["assignee_id"] == agent["id"]
    created = await v.expect("conversation")
    assert created["conversation"] == {**created["conversation"], "id": conv, "status": "open"}
    await owner.post(f"/api/v1/conversations/{conv}/resolve")
    statuses = [(await v.expect("conversation"))["conversation"]["status"] for _ in range(2)]
    assert statuses == ["open", "resolved"]  # the assignment, then the resolve
    # A visitor writing into a resolved conversation reopens it.
    await v.send_message("one more thing", conversation_id=conv)
    reopened = await agent_ws.expect("conversation", timeout=5)
    while reopened["conversation"]["status"] != "open":
        reopened = await agent_ws.expect("conversation")
    await agent_ws.close()
    await v.close()


async def test_agent_added_to_a_website_sees_it_without_reconnecting(server, owner: Api) -> None:
    site_a = await owner.create_website()
    site_b = await owner.create_website()
    agent, _pw, token = await owner.create_agent([site_a["id"]])
    agent_ws, welcome = await clients.agent(server.ws_url, token)
    assert welcome["websites"] == [site_a["id"]]
    r = await owner.post(f"/api/v1/websites/{site_b['id']}/agents", json={"agent_id": agent["id"]})
    assert r.status_code == 204
    await agent_ws.send({"type": "ping", "id": "sync"})  # the membership event is applied in order
    await agent_ws.expect("pong")
    v, _, _ = await clients.visitor(server.url, site_b["id"])
    conv = (await v.send_message("now you see me"))["conversation_id"]
    got = await agent_ws.expect("message", conversation_id=conv)
    assert got["website_id"] == site_b["id"]
    # Removed again: B's traffic stops reaching the agent, over WS and REST.
    r = await owner.delete(f"/api/v1/websites/{site_b['id']}/agents/{agent['id']}")
    assert r.status_code == 204
    await agent_ws.send({"type": "ping", "id": "sync2"})
    await agent_ws.expect("pong")
    await v.send_message("gone")
    assert [
        f for f in await agent_ws.quiet(0.5) if f.get("conversation_id") == conv and f["type"] == "message"
    ] == []
    async with Api(server.url) as api:
        api.use_token(token)
        assert (await api.get(f"/api/v1/conversations/{conv}")).status_code == 404
    await agent_ws.close()
    await v.close()
