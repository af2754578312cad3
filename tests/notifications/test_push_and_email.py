"""Web Push to a local receiver and the unanswered-conversation email to a local SMTP
server (aiosmtpd), on a server of this module's own that may push over http to 127.0.0.1."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.notifications.support import Browser, Inbox, PushReceiver, wait_until
from tests.support import clients
from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, started_sqlite_server


@pytest.fixture(scope="module")
def notify_server(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Iterator[ServerProcess]:
    srv = started_sqlite_server(
        tmp_path_factory.mktemp("notify"),
        "notify",
        extra_env={
            "SITECHAT_SMTP_HOST": "127.0.0.1",
            "SITECHAT_SMTP_PORT": str(inbox.port),  # type: ignore[attr-defined]
            "SITECHAT_SMTP_STARTTLS": "false",
            "SITECHAT_SMTP_FROM": "chat@sitechat.test",
            "SITECHAT_PUSH_ALLOW_HTTP": "true",
            "SITECHAT_PUSH_HOSTS": "127.0.0.1",
            "SITECHAT_NOTIFY_SWEEP_INTERVAL": "0.3",
        },
    )
    yield srv
    srv.stop()


@pytest.fixture
async def boss(notify_server: ServerProcess) -> AsyncIterator[Api]:
    async with Api(notify_server.url) as api:
        await api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        api.use_token(await api.create_token("tests"))
        yield api


async def test_push_only_while_no_console_is_visible(
    notify_server, boss: Api, receiver: PushReceiver
) -> None:
    site = await boss.create_website()
    info, _pw, token = await boss.create_agent([site["id"]])
    browser = Browser(f"http://127.0.0.1:{receiver.port}/push/{info['id']}")
    dead = Browser(f"http://127.0.0.1:{receiver.port}/gone/{info['id']}")
    async with Api(notify_server.url) as api:
        api.use_token(token)
        for b in (browser, dead):
            r = await api.post("/api/v1/notifications/push/subscriptions", json=b.subscription())
            assert r.status_code == 201, r.text

        # A visible console: alerts go there, no push.
        console, _ = await clients.agent(notify_server.ws_url, token)
        await console.send({"type": "visibility", "visible": True})
        await console.send({"type": "ping", "id": "p1"})
        await console.expect("pong")
        vis, _cfg, _ = await clients.visitor(notify_server.url, site["id"])
        conv = (await vis.send_message("Anyone there?"))["conversation_id"]
        await console.expect("notify", conversation_id=conv)
        await asyncio.sleep(0.5)
        assert receiver.posts == []

        # Hidden: the console stays quiet-ish, the browser gets a push.
        await console.send({"type": "visibility", "visible": False})
        await console.send({"type": "ping", "id": "p2"})
        await console.expect("pong")
        await vis.send_message("Hello? <script>x</script>")
        await wait_until(lambda: receiver.to(f"/push/{info['id']}"))
        _path, headers, body = receiver.to(f"/push/{info['id']}")[0]
        assert headers["content-encoding"] == "aes128gcm" and headers["authorization"].startswith("vapid t=")
        assert int(headers["ttl"]) > 0 and headers["urgency"] == "high"
        payload = browser.read(body)
        assert payload["conversation_id"] == conv and payload["event"] == "new_message"
        assert payload["body"] == "Hello? <script>x</script>" and payload["url"] == f"/console#/c/{conv}"
        # The dead subscription answered 410: it is deleted (after that push's round trip).
        await wait_until(lambda: receiver.to(f"/gone/{info['id']}"))
        db = str(notify_server.tmp / "db.sqlite")

        def subscriptions(endpoint: str) -> int:
            with sqlite3.connect(db) as c:
                sql = "SELECT count(*) FROM push_subscriptions WHERE endpoint = ?"
                return int(c.execute(sql, (endpoint,)).fetchone()[0])

        await wait_until(lambda: subscriptions(dead.endpoint) == 0)
        assert subscriptions(browser.endpoint) == 1

        # Console closed altogether: push again (and only to the live subscription).
        await console.close()
        await asyncio.sleep(0.3)
        before = len(receiver.posts)
        await vis.send_message("Still waiting")
        await wait_until(lambda: len(receiver.to(f"/push/{info['id']}")) == 2)
        assert browser.read(receiver.to(f"/push/{info['id']}")[1][2])["body"] == "Still waiting"
        assert len(receiver.posts) == before + 1 and len(receiver.to(f"/gone/{info['id']}")) == 1

        # The test endpoint says what happened on each channel.
        r = await api.post("/api/v1/notifications/test")
        assert r.status_code == 200, r.text
        channels = r.json()["channels"]
        assert channels["push"]["status"] == "sent"
        assert channels["email"]["status"] == "sent"
        assert channels["desktop"]["status"] == "no_target"  # no console open
        await vis.close()


async def test_unanswered_conversation_is_emailed_once(notify_server, boss: Api, inbox: Inbox) -> None:
    site = await boss.create_website(name="Bakery")
    a_info, _pw, _tok = await boss.create_agent([site["id"]])
    other_site = await boss.create_website(name="Elsewhere")
    b_info, _pw, _tok = await boss.create_agent([other_site["id"]])
    vis, _cfg, _ = await clients.visitor(notify_server.url, site["id"])
    conv = (await vis.send_message("Is the rye bread ready?"))["conversation_id"]
    answered = (await (await clients.visitor(notify_server.url, site["id"]))[0].send_message("answered one"))[
        "conversation_id"
    ]
    r = await boss.post(f"/api/v1/conversations/{answered}/messages", json={"body": "Yes!"})
    assert r.status_code == 201
    await asyncio.sleep(0.5)
    assert inbox.to(a_info["email"]) == []  # not yet: ten minutes have not passed

    # Eleven minutes later (moved back in the database).
    db = str(notify_server.tmp / "db.sqlite")
    with sqlite3.connect(db) as c:
        c.execute("UPDATE notification_unanswered SET since_at = datetime('now', '-11 minutes')")
    await wait_until(lambda: inbox.to(a_info["email"]))
    [mail] = inbox.to(a_info["email"])
    assert "Unanswered" in mail["Subject"] and "Bakery" in mail["Subject"]
    text = mail.get_content()
    assert "Is the rye bread ready?" in text and f"/console#/c/{conv}" in text
    await asyncio.sleep(1.0)  # several sweeps later: still one, and none about the answered one
    assert len(inbox.to(a_info["email"])) == 1
    assert inbox.to(b_info["email"]) == []  # another website's agent

    # Answered, then the visitor writes again: a new period, a new email once due.
    r = await boss.post(f"/api/v1/conversations/{conv}/messages", json={"body": "Yes, at noon"})
    assert r.status_code == 201
    await vis.send_message("Great, can you keep one for me?")
    await asyncio.sleep(0.5)
    with sqlite3.connect(db) as c:
        c.execute("UPDATE notification_unanswered SET since_at = datetime('now', '-11 minutes')")
    await wait_until(lambda: len(inbox.to(a_info["email"])) == 2)
    assert "keep one for me" in inbox.to(a_info["email"])[1].get_content()
    await vis.close()
