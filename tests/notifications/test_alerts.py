"""Who is told: notify frames follow preferences and Do Not Disturb, and never cross
websites (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support import clients
from tests.support.clients import Api, Socket


async def _new_conversation(server, site_id: str, body: str) -> str:
    vis, _cfg, _ = await clients.visitor(server.url, site_id)
    conv = (await vis.send_message(body))["conversation_id"]
    await vis.close()
    return str(conv)


async def _notify(sock: Socket, conv: str) -> dict[str, Any]:
    return await sock.expect("notify", conversation_id=conv)


def _quiet_now(tz_offset_hours: int = 0) -> dict[str, Any]:
    local = datetime.now(UTC) + timedelta(hours=tz_offset_hours)
    start = (local - timedelta(hours=1)).strftime("%H:%M")
    end = (local + timedelta(hours=1)).strftime("%H:%M")
    return {"enabled": True, "start": start, "end": end, "days": [1, 2, 3, 4, 5, 6, 7]}


async def test_alerts_follow_dnd_and_stay_on_their_website(server, owner: Api) -> None:
    site_a = await owner.create_website()
    site_b = await owner.create_website()
    _a_info, _pw, a_token = await owner.create_agent([site_a["id"]])
    _b_info, _pw, b_token = await owner.create_agent([site_b["id"]])
    a_ws, _ = await clients.agent(server.ws_url, a_token)
    b_ws, _ = await clients.agent(server.ws_url, b_token)
    async with Api(server.url) as a_api:
        a_api.use_token(a_token)

        conv = await _new_conversation(server, site_a["id"], "Hello <b>there</b>, I need help with my order")
        got = await _notify(a_ws, conv)
        assert got["event"] == "new_conversation" and got["website_id"] == site_a["id"]
        assert got["sound"] == {"name": "chime", "volume": 0.8} and got["desktop"] is True
        assert got["suppressed"] is None and got["preview"].startswith("Hello <b>there</b>")

        # Quiet hours now (in Asia/Tokyo, UTC+9): a notify frame saying so, nothing alerts.
        prefs = {"timezone": "Asia/Tokyo", "quiet_hours": _quiet_now(9)}
        assert (await a_api.http.put("/api/v1/notifications/preferences", json=prefs)).status_code == 200
        conv = await _new_conversation(server, site_a["id"], "during quiet hours")
        got = await _notify(a_ws, conv)
        assert (got["suppressed"], got["sound"], got["desktop"]) == ("quiet_hours", None, False)
        # The same hours in another zone are not now: alerts again.
        prefs = {"timezone": "America/New_York", "quiet_hours": _quiet_now(9)}
        r = await a_api.http.put("/api/v1/notifications/preferences", json=prefs)
        assert r.status_code == 200
        conv = await _new_conversation(server, site_a["id"], "after quiet hours")
        got = await _notify(a_ws, conv)
        assert got["suppressed"] is None and got["sound"] is not None and got["desktop"] is True

        # A temporary mute, then unmuted.
        assert (await a_api.post("/api/v1/notifications/mute", json={"minutes": 30})).status_code == 200
        conv = await _new_conversation(server, site_a["id"], "while muted")
        got = await _notify(a_ws, conv)
        assert (got["suppressed"], got["sound"], got["desktop"]) == ("muted", None, False)
        assert (await a_api.delete("/api/v1/notifications/mute")).status_code == 204

        # One conversation muted: only that one is silent.
        vis, _cfg, _ = await clients.visitor(server.url, site_a["id"])
        conv = (await vis.send_message("first"))["conversation_id"]
        assert (await _notify(a_ws, conv))["suppressed"] is None
        assert (await a_api.post(f"/api/v1/conversations/{conv}/mute")).status_code == 200
        await vis.send_message("second, muted")
        got = await _notify(a_ws, conv)
        assert got["event"] == "new_message" and got["suppressed"] == "conversation_muted"
        other = await _new_conversation(server, site_a["id"], "another conversation")
        assert (await _notify(a_ws, other))["suppressed"] is None
        assert (await a_api.delete(f"/api/v1/conversations/{conv}/mute")).status_code == 204
        await vis.send_message("third, heard again")
        got = await _notify(a_ws, conv)
        assert got["event"] == "new_message" and got["suppressed"] is None and got["desktop"] is True
        assert got["preview"] == "third, heard again"
        await vis.close()

        # Channels switched off per event: sound off for new conversations only.
        prefs = {
            "events": {"new_conversation": {"sound": False, "desktop": True, "push": False, "email": False}}
        }
        assert (await a_api.http.put("/api/v1/notifications/preferences", json=prefs)).status_code == 200
        conv = await _new_conversation(server, site_a["id"], "sound off")
        got = await _notify(a_ws, conv)
        assert got["sound"] is None and got["desktop"] is True and got["suppressed"] is None

        # The agent's own reply alerts nobody; the other website's agent heard nothing at all.
        r = await a_api.post(f"/api/v1/conversations/{conv}/messages", json={"body": "On it"})
        assert r.status_code == 201, r.text
        assert not [f for f in await a_ws.quiet(0.5) if f["type"] == "notify"]
    leaked = [f for f in await b_ws.quiet(0.3) if f["type"] == "notify"]
    assert leaked == [], leaked
    await a_ws.close()
    await b_ws.close()


async def test_assignment_and_urgent_alert_the_assignee(server, owner: Api) -> None:
    site = await owner.create_website()
    _a_info, _pw, a_token = await owner.create_agent([site["id"]])
    b_info, _pw, b_token = await owner.create_agent([site["id"]])
    a_ws, _ = await clients.agent(server.ws_url, a_token)
    b_ws, _ = await clients.agent(server.ws_url, b_token)
    conv = await _new_conversation(server, site["id"], "who will help me?")
    await _notify(a_ws, conv)
    await _notify(b_ws, conv)
    r = await owner.post(f"/api/v1/conversations/{conv}/assign", json={"agent_id": b_info["id"]})
    assert r.status_code == 200, r.text
    got = await b_ws.expect("notify", event="assigned")
    assert got["conversation_id"] == conv and got["visitor"]["id"]
    assert not [f for f in await a_ws.quiet(0.4) if f["type"] == "notify"]
    r = await owner.post(f"/api/v1/conversations/{conv}/priority", json={"priority": "urgent"})
    assert r.status_code == 200, r.text
    got = await b_ws.expect("notify", event="urgent", timeout=5)
    assert got["conversation_id"] == conv and got["sound"]["name"] == "bell"
    assert not [f for f in await a_ws.quiet(0.3) if f["type"] == "notify"]
    await a_ws.close()
    await b_ws.close()
