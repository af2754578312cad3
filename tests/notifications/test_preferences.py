"""Notification preferences over the REST API: defaults, validation, mutes (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support import clients
from tests.support.clients import Api


async def _agent_api(server, owner: Api, website_ids: list[str]) -> tuple[dict, Api]:
    info, _pw, token = await owner.create_agent(website_ids)
    api = Api(server.url)
    api.use_token(token)
    return info, api


async def test_defaults_save_and_validation(server, owner: Api) -> None:
    site = await owner.create_website(settings={"notifications": {"sound": "bell", "desktop": False}})
    _info, api = await _agent_api(server, owner, [site["id"]])
    async with api:
        r = await api.get("/api/v1/notifications/preferences")
        assert r.status_code == 200, r.text
        prefs = r.json()
        assert prefs["customized"] is False and prefs["muted_until"] is None
        assert set(prefs["events"]) == {
            "new_conversation",
            "new_message",
            "visitor_returned",
            "urgent",
            "assigned",
        }
        assert set(prefs["events"]["new_message"]) == {"sound", "desktop", "push", "email"}

        bad = [
            ({"timezone": "Mars/Olympus"}, "timezone"),
            ({"timezone": "../../etc/passwd"}, "timezone"),
            ({"events": {"birthday": {"sound": True}}}, "events.birthday"),
            ({"events": {"new_message": {"pigeon": True}}}, "events.new_message.pigeon"),
            ({"sounds": {"urgent": "foghorn"}}, "sounds.urgent"),
            ({"volume": 1.5}, "volume"),
            ({"quiet_hours": {"enabled": True, "start": "25:00", "end": "07:00"}}, "quiet_hours.start"),
            ({"email_after_minutes": 0}, "email_after_minutes"),
        ]
        for body, field in bad:
            r = await api.http.put("/api/v1/notifications/preferences", json=body)
            assert r.status_code == 422, (body, r.text)
            assert r.json()["error"] == "validation_error"
            assert any(f["field"].startswith(field) for f in r.json()["fields"]), (field, r.json())
        # Nothing half-saved by the refusals.
        assert (await api.get("/api/v1/notifications/preferences")).json()["customized"] is False

        mine = {
            "events": {"visitor_returned": {"sound": True, "desktop": True, "push": False, "email": False}},
            "sounds": {"new_message": "bell"},
            "volume": 0.3,
            "timezone": "Europe/Paris",
            "quiet_hours": {"enabled": True, "start": "22:30", "end": "06:00", "days": [5, 1, 1]},
            "email_after_minutes": 15,
        }
        r = await api.http.put("/api/v1/notifications/preferences", json=mine)
        assert r.status_code == 200, r.text
        saved = (await api.get("/api/v1/notifications/preferences")).json()
        assert saved["customized"] is True and saved["timezone"] == "Europe/Paris" and saved["volume"] == 0.3
        assert saved["quiet_hours"] == {"enabled": True, "start": "22:30", "end": "06:00", "days": [1, 5]}
        assert (
            saved["events"]["visitor_returned"]["sound"] is True and saved["sounds"]["new_message"] == "bell"
        )
        # Fields left out take their defaults.
        assert saved["events"]["new_conversation"] == {
            "sound": True,
            "desktop": True,
            "push": True,
            "email": True,
        }


async def test_mutes_and_their_bad_inputs(server, owner: Api) -> None:
    site_a = await owner.create_website()
    site_b = await owner.create_website()
    _info, api = await _agent_api(server, owner, [site_a["id"]])
    vis_b, _cfg, _ = await clients.visitor(server.url, site_b["id"])
    conv_b = (await vis_b.send_message("on website B"))["conversation_id"]
    vis_a, _cfg, _ = await clients.visitor(server.url, site_a["id"])
    conv_a = (await vis_a.send_message("on website A"))["conversation_id"]
    async with api:
        for body in ({"minutes": 45}, {"minutes": "30"}, {}, {"minutes": 30, "extra": 1}):
            r = await api.post("/api/v1/notifications/mute", json=body)
            assert r.status_code == 422 and r.json()["error"] == "validation_error", (body, r.text)
        before = datetime.now(UTC)
        r = await api.post("/api/v1/notifications/mute", json={"minutes": 60})
        assert r.status_code == 200, r.text
        until = datetime.fromisoformat(r.json()["muted_until"])
        assert timedelta(minutes=59) < until - before < timedelta(minutes=61)
        assert (await api.get("/api/v1/notifications/preferences")).json()["muted_until"] is not None
        assert (await api.delete("/api/v1/notifications/mute")).status_code == 204
        assert (await api.get("/api/v1/notifications/preferences")).json()["muted_until"] is None

        # Another website's conversation, and one that does not exist: not found, alike.
        for cid in (conv_b, "c_doesnotexist"):
            r = await api.post(f"/api/v1/conversations/{cid}/mute")
            assert r.status_code == 404 and r.json()["error"] == "not_found", r.text
        r = await api.post(f"/api/v1/conversations/{conv_a}/mute")
        assert r.status_code == 200 and r.json() == {"conversation_id": conv_a, "muted": True}
        assert (await api.get("/api/v1/notifications/preferences")).json()["muted_conversations"] == [conv_a]
        assert (await api.delete(f"/api/v1/conversations/{conv_a}/mute")).status_code == 204
        assert (await api.get("/api/v1/notifications/preferences")).json()["muted_conversations"] == []

        # Push: a key to subscribe with; endpoints only at real push services.
        key = (await api.get("/api/v1/notifications/push/key")).json()["public_key"]
        assert len(key) == 87  # 65 bytes, base64url
        sub = {"endpoint": "https://evil.example.com/x", "keys": {"p256dh": "B" * 87, "auth": "A" * 22}}
        r = await api.post("/api/v1/notifications/push/subscriptions", json=sub)
        assert r.status_code == 422 and r.json()["error"] == "push_endpoint_not_allowed", r.text
        sub["endpoint"] = "https://fcm.googleapis.com/fcm/send/abc123"
        r = await api.post("/api/v1/notifications/push/subscriptions", json=sub)
        assert r.status_code == 201, r.text
        r = await api.http.request(
            "DELETE", "/api/v1/notifications/push/subscriptions", json={"endpoint": sub["endpoint"]}
        )
        assert r.status_code == 204
        r = await api.http.request(
            "DELETE", "/api/v1/notifications/push/subscriptions", json={"endpoint": sub["endpoint"]}
        )
        assert r.status_code == 404
        # The service worker, with the scope the console registers it for.
        r = await api.get("/console/sw.js")
        assert r.status_code == 200 and r.headers["service-worker-allowed"] == "/console"
        assert "javascript" in r.headers["content-type"] and "notificationclick" in r.text
    await vis_a.close()
    await vis_b.close()
