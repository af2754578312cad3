"""The notification rules without a server: Do Not Disturb, defaults, frames, push hosts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from sitechat.config import Settings
from sitechat.notifications import service
from sitechat.notifications.dispatch import preview, push_payload
from sitechat.notifications.push import host_allowed, load_or_create_keys
from sitechat.notifications.schemas import Preferences, QuietHours
from sitechat.realtime import protocol as p
from sitechat.websites.settings import WebsiteSettings

# A Wednesday, 23:30 UTC.
NOW = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)


def test_quiet_hours_cross_midnight_and_follow_their_days() -> None:
    q = QuietHours(enabled=True, start="22:00", end="07:00", days=[3])  # windows starting Wednesdays
    wed = datetime(2026, 11, 25)
    assert q.active(wed.replace(hour=23, minute=30))
    assert q.active(
        (wed + timedelta(days=1)).replace(hour=6, minute=59)
    )  # Thursday morning: Wednesday's window
    assert not q.active((wed + timedelta(days=1)).replace(hour=7))
    assert not q.active((wed + timedelta(days=1)).replace(hour=23))  # Thursday night: no window
    assert not q.active(wed.replace(hour=21, minute=59))
    assert not QuietHours(enabled=False).active(wed.replace(hour=23))
    day = QuietHours(enabled=True, start="12:00", end="13:00")
    assert day.active(wed.replace(hour=12, minute=30)) and not day.active(wed.replace(hour=13))
    with pytest.raises(ValidationError):
        QuietHours(start="10:00", end="10:00")
    with pytest.raises(ValidationError):
        QuietHours(days=[0])


def test_decide_each_kind_of_do_not_disturb() -> None:
    prefs = Preferences()
    assert service.decide(prefs, "new_message", NOW, muted_until=None, conversation_muted=False).channels == {
        "sound",
        "desktop",
        "push",
        "email",
    }
    assert service.decide(
        prefs, "visitor_returned", NOW, muted_until=None, conversation_muted=False
    ).channels == {"desktop"}
    muted = service.decide(
        prefs, "new_message", NOW, muted_until=NOW + timedelta(minutes=1), conversation_muted=False
    )
    assert muted == service.Decision(frozenset(), "muted")
    over = service.decide(
        prefs, "new_message", NOW, muted_until=NOW - timedelta(seconds=1), conversation_muted=False
    )
    assert over.suppressed is None
    conv = service.decide(prefs, "new_message", NOW, muted_until=None, conversation_muted=True)
    assert conv.suppressed == "conversation_muted"
    # 23:30 UTC is 08:30 in Tokyo (outside 22-07) and 18:30 in New York.
    quiet = {"enabled": True, "start": "22:00", "end": "09:00"}
    tokyo = Preferences(timezone="Asia/Tokyo", quiet_hours=quiet)
    assert (
        service.decide(tokyo, "urgent", NOW, muted_until=None, conversation_muted=False).suppressed
        == "quiet_hours"
    )
    ny = Preferences(timezone="America/New_York", quiet_hours=quiet)
    assert service.decide(ny, "urgent", NOW, muted_until=None, conversation_muted=False).suppressed is None


def test_website_defaults_apply_until_an_agent_saves_theirs() -> None:
    ws = WebsiteSettings.model_validate(
        {"notifications": {"sound": "none", "desktop": False, "email": False}}
    )
    d = service.website_defaults(ws)
    assert not any(
        d.wants(e, c) for e in ("new_conversation", "urgent") for c in ("sound", "desktop", "email")
    )
    assert d.wants("new_conversation", "push")
    bell = service.website_defaults(WebsiteSettings.model_validate({"notifications": {"sound": "bell"}}))
    assert bell.sounds.new_conversation == "bell" and bell.wants("new_conversation", "sound")


def test_frames_and_payload() -> None:
    assert p.client_frame_adapter.validate_python({"type": "visibility", "visible": False}).visible is False
    with pytest.raises(ValidationError):
        p.client_frame_adapter.validate_python({"type": "visibility", "visible": "yes"})
    frame = p.NotifyFrame(
        event="new_message",
        website_id="web_1",
        conversation_id="c_1",
        visitor=p.NotifyVisitor(name="Eve"),
        preview=preview("x" * 300),
        sound=p.NotifySound(name="pop", volume=0.5),
        desktop=True,
        at=NOW,
    )
    data = frame.model_dump(mode="json")
    assert data["type"] == "notify" and data["at"] == "2026-11-25T23:30:00.000000Z"
    assert len(data["preview"]) == 140 and data["preview"].endswith("…")
    payload = push_payload(frame, "https://chat.example.com")
    assert payload["title"] == "New message: Eve" and payload["url"] == "/console#/c/c_1"
    assert payload["tag"] == "sitechat:c_1"


def test_push_hosts_and_vapid_keys(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    assert host_allowed("https://fcm.googleapis.com/fcm/send/x", s)
    assert host_allowed("https://updates.push.services.mozilla.com/wpush/v2/x", s)
    assert not host_allowed("http://fcm.googleapis.com/fcm/send/x", s)
    assert not host_allowed("https://fcm.googleapis.com.evil.com/x", s)
    assert not host_allowed("https://user:pw@fcm.googleapis.com/x", s)
    assert not host_allowed("https://push.services.mozilla.com/x", s)  # the wildcard needs a subdomain
    assert not host_allowed("https://169.254.169.254/latest", s)
    local = Settings(data_dir=tmp_path, push_hosts="127.0.0.1", push_allow_http=True)
    assert host_allowed("http://127.0.0.1:9/x", local) and not host_allowed("http://localhost:9/x", local)
    # Made once, then read back: the same key on every start.
    first = load_or_create_keys(s).public_key
    assert (tmp_path / "vapid_private.pem").stat().st_mode & 0o077 == 0
    assert load_or_create_keys(s).public_key == first and len(first) == 87
