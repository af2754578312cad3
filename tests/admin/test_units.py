"""Pieces of the administration code that need no server: audit redaction, the mail
message, SMTP settings, the settings frame."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from sitechat.audit.service import _redacted
from sitechat.config import SettingsError, load_settings
from sitechat.integrations.mailer import LogMailer, Mail, SmtpMailer, build_message, make_mailer
from sitechat.realtime import protocol as p
from sitechat.websites.service import _changed, settings_frame
from sitechat.websites.settings import merged


def test_secrets_never_reach_the_audit_log() -> None:
    got = _redacted(
        {
            "identity_secret": "rotated",
            "password": "hunter2-hunter2",
            "nested": {"api_key": "sct_abc", "token_hash": "f00", "name": "x"},
            "name": "Shop",
        }
    )
    assert got == {
        "identity_secret": "rotated",
        "password": "redacted",
        "nested": {"api_key": "redacted", "token_hash": "redacted", "name": "x"},
        "name": "Shop",
    }


def test_changed_settings_are_named_leaf_by_leaf() -> None:
    before = merged(None, {}).model_dump(mode="json")
    after = merged(None, {"appearance": {"color": "#000000"}, "business_hours": {"holidays": ["2026-12-25"]}})
    assert _changed(before, after.model_dump(mode="json")) == {
        "appearance.color": {"from": "#4F46E5", "to": "#000000"},
        "business_hours.holidays": {"from": [], "to": ["2026-12-25"]},
    }


def test_the_settings_frame_never_carries_the_offline_address() -> None:
    settings = merged(None, {"offline": {"email_to": "team@example.com"}})
    frame = settings_frame("web_1", settings)
    dumped = frame.model_dump(mode="json")
    assert dumped["type"] == "settings" and dumped["offline"] == {
        "message": settings.offline.message,
        "form_enabled": True,
    }
    assert "team@example.com" not in frame.model_dump_json()
    assert p.WebsiteDeletedFrame(website_id="web_1").model_dump() == {
        "type": "website.deleted",
        "website_id": "web_1",
    }
    assert p.CloseCode.WEBSITE_DELETED == 4004


def test_mail_headers_cannot_be_injected() -> None:
    msg: EmailMessage = build_message(
        Mail(
            to="team@example.com",
            subject="Offline message from Eve\r\nBcc: spy@evil.test",
            text="line one\n<script>x</script>",
            reply_to="eve@example.com",
            reply_to_name='Eve "the visitor"\nBcc: spy@evil.test',
        ),
        "chat@example.com",
    )
    raw = msg.as_string()
    assert "\nBcc:" not in raw and msg["Bcc"] is None
    assert msg["Subject"] == "Offline message from Eve Bcc: spy@evil.test"
    assert msg["Reply-To"].addresses[0].addr_spec == "eve@example.com"
    assert msg.get_content_type() == "text/plain" and "<script>x</script>" in msg.get_content()
    odd = build_message(
        Mail(to="t@example.com", subject="s", text="t", reply_to='"a>b"@x.test'), "c@example.com"
    )
    assert odd["Reply-To"] is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"smtp_host": "mail.example.com"}, "SITECHAT_SMTP_FROM"),
        ({"smtp_host": "mail.example.com", "smtp_from": "Chat <chat@example.com>"}, "SITECHAT_SMTP_FROM"),
        ({"smtp_host": "m", "smtp_from": "c@example.com", "smtp_tls": True}, "exclude each other"),
        ({"smtp_host": "m", "smtp_from": "c@example.com", "smtp_username": "u"}, "go together"),
        ({"smtp_port": 0}, "SITECHAT_SMTP_PORT"),
    ],
)
def test_smtp_settings_are_checked(tmp_path, env: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(data_dir=tmp_path, **env)


def test_mailer_is_smtp_only_when_configured(tmp_path) -> None:
    assert isinstance(make_mailer(load_settings(data_dir=tmp_path)), LogMailer)
    smtp = make_mailer(
        load_settings(data_dir=tmp_path, smtp_host="m", smtp_from="c@example.com", smtp_port=25)
    )
    assert isinstance(smtp, SmtpMailer) and smtp.configured
