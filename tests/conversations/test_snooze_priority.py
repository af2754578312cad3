"""Snooze until a time (bad times refused; woken by the job or by the visitor) and the
urgent flag, each announced to the website's agents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support import clients
from tests.support.clients import Api


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


async def _conversation(server, site_id: str) -> tuple[clients.Socket, str]:
    sock, _, _ = await clients.visitor(server.url, site_id)
    return sock, (await sock.send_message("hello"))["conversation_id"]


async def test_bad_snooze_times_are_refused(server, owner: Api) -> None:
    site = await owner.create_website()
    sock, conv_id = await _conversation(server, site["id"])
    soon = datetime.now(UTC) + timedelta(days=1)
    for until in (
        "tomorrow",
        "",
        "2020-01-01T00:00:00Z",  # past
        "2999-01-01T00:00:00Z",  # too far
        _iso(soon).rstrip("Z"),  # no time zone
        None,
        [],
    ):
        r = await owner.post(f"/api/v1/conversations/{conv_id}/snooze", json={"until": until})
        assert r.status_code == 422 and r.json()["error"] == "validation_error", (until, r.text)
    r = await owner.post(f"/api/v1/conversations/{conv_id}/snooze", json={"until": _iso(soon), "x": 1})
    assert r.status_code == 422
    assert (await owner.get(f"/api/v1/conversations/{conv_id}")).json()["status"] == "open"
    await sock.close()


async def test_snooze_wakes_when_due_and_when_the_visitor_writes(server, owner: Api) -> None:
    site = await owner.create_website()
    _agent, _pw, token = await owner.create_agent([site["id"]])
    agent_ws, _ = await clients.agent(server.ws_url, token)
    sock, conv_id = await _conversation(server, site["id"])
    await agent_ws.expect("message", conversation_id=conv_id)

    # Woken by the job when the time comes.
    until = datetime.now(UTC) + timedelta(seconds=1.5)
    r = await owner.post(f"/api/v1/conversations/{conv_id}/snooze", json={"until": _iso(until)})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "snoozed" and r.json()["snoozed_until"].startswith(_iso(until)[:19])
    frame = await agent_ws.expect("conversation", change="snoozed")
    assert frame["conversation"]["status"] == "snoozed"
    snoozed = (
        await owner.get("/api/v1/conversations", params={"website_id": site["id"], "status": "snoozed"})
    ).json()
    assert [c["id"] for c in snoozed["items"]] == [conv_id]
    woke = await agent_ws.expect("conversation", change="woke", timeout=8)
    assert woke["conversation"]["id"] == conv_id and woke["conversation"]["status"] == "open"
    assert woke["conversation"]["snoozed_until"] is None
    assert datetime.now(UTC) >= until
    assert not [f for f in await agent_ws.quiet(1.5) if f.get("change") == "woke"]  # once only

    # Woken by the visitor writing, long before the time.
    far = datetime.now(UTC) + timedelta(days=3)
    r = await owner.post(f"/api/v1/conversations/{conv_id}/snooze", json={"until": _iso(far)})
    assert r.json()["status"] == "snoozed"
    await sock.send_message("anyone?")
    reopened = await agent_ws.expect("conversation", change="reopened")
    assert reopened["conversation"]["status"] == "open" and reopened["conversation"]["snoozed_until"] is None
    got = (await owner.get(f"/api/v1/conversations/{conv_id}")).json()
    assert got["status"] == "open" and got["snoozed_until"] is None

    # Reopen ends a snooze too; a resolved conversation is not snoozed.
    await owner.post(f"/api/v1/conversations/{conv_id}/snooze", json={"until": _iso(far)})
    assert (await owner.post(f"/api/v1/conversations/{conv_id}/reopen")).json()["snoozed_until"] is None
    await owner.post(f"/api/v1/conversations/{conv_id}/resolve")
    r = await owner.post(f"/api/v1/conversations/{conv_id}/snooze", json={"until": _iso(far)})
    assert r.status_code == 409 and r.json()["error"] == "conflict"
    await sock.close()
    await agent_ws.close()


async def test_priority_is_set_listed_announced_and_hidden_from_the_visitor(server, owner: Api) -> None:
    site = await owner.create_website()
    other = await owner.create_website()
    _agent, _pw, token = await owner.create_agent([site["id"]])
    agent_ws, _ = await clients.agent(server.ws_url, token)
    sock, conv_id = await _conversation(server, site["id"])
    sock2, calm_id = await _conversation(server, site["id"])
    await sock.quiet(0.3)  # its own message and conversation frames
    async with Api(server.url) as api:
        api.use_token(token)
        r = await api.post(f"/api/v1/conversations/{conv_id}/priority", json={"priority": "urgent"})
        assert r.status_code == 200 and r.json()["priority"] == "urgent"
        frame = await agent_ws.expect("conversation", change="priority")
        assert frame["conversation"]["id"] == conv_id and frame["conversation"]["priority"] == "urgent"
        urgent = (await api.get("/api/v1/conversations", params={"priority": "urgent"})).json()["items"]
        assert [c["id"] for c in urgent] == [conv_id]
        normal = (await api.get("/api/v1/conversations", params={"priority": "normal"})).json()["items"]
        assert [c["id"] for c in normal] == [calm_id]
        for bad in ({"priority": "high"}, {"priority": None}, {}, {"priority": "urgent", "x": 1}):
            r = await api.post(f"/api/v1/conversations/{conv_id}/priority", json=bad)
            assert r.status_code == 422 and r.json()["error"] == "validation_error", bad
        r = await api.get("/api/v1/conversations", params={"priority": "high"})
        assert r.status_code == 422
        # Another website's conversation does not exist for this agent.
        sock3, foreign = await _conversation(server, other["id"])
        for path, body in (
            ("priority", {"priority": "urgent"}),
            ("snooze", {"until": _iso(datetime.now(UTC) + timedelta(days=1))}),
        ):
            r = await api.post(f"/api/v1/conversations/{foreign}/{path}", json=body)
            assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert not [f for f in await sock.quiet(0.5) if f["type"] == "conversation"]  # the visitor heard nothing
    r = await owner.post(f"/api/v1/conversations/{conv_id}/priority", json={"priority": "normal"})
    assert r.json()["priority"] == "normal"
    for s in (sock, sock2, sock3, agent_ws):
        await s.close()
