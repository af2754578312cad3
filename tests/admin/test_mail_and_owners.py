"""Email through a real SMTP server (aiosmtpd on 127.0.0.1, started here): the offline
message reaches the website's address, an invitation goes out by mail; and the rules about
the last owner, on a server of this module's own (it must know every owner there is)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import create_async_engine

from tests.admin.test_agents import token_of
from tests.support import clients
from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, free_port, started_sqlite_server

REFUSED = "refused@example.com"


class Inbox:
    """An aiosmtpd handler keeping what it receives; refuses mail to REFUSED."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], EmailMessage]] = []
        self.arrived = threading.Condition()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address == REFUSED:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.mails.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 Message accepted"

    async def wait_for(self, to: str, timeout: float = 10) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for rcpt, msg in self.mails:
                if to in rcpt:
                    return msg
            await asyncio.sleep(0.05)
        raise AssertionError(f"no mail to {to} within {timeout}s; got {[r for r, _ in self.mails]}")


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Iterator[ServerProcess]:
    srv = started_sqlite_server(
        tmp_path_factory.mktemp("mail"),
        "mail",
        extra_env={
            "SITECHAT_SMTP_HOST": "127.0.0.1",
            "SITECHAT_SMTP_PORT": str(inbox.port),  # type: ignore[attr-defined]
            "SITECHAT_SMTP_STARTTLS": "false",
            "SITECHAT_SMTP_FROM": "chat@sitechat.test",
        },
    )
    yield srv
    srv.stop()


@pytest.fixture
async def boss(mail_server: ServerProcess) -> Any:
    async with Api(mail_server.url) as api:
        await api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        yield api


async def test_offline_message_is_emailed_to_the_website(mail_server, boss: Api, inbox: Inbox) -> None:
    site = await boss.create_website(name="Bakery")
    await boss.update_settings(site["id"], {"offline": {"email_to": "owner@bakery.test"}})
    sock, _cfg, _ = await clients.visitor(mail_server.url, site["id"])
    sent_at = time.monotonic()
    await sock.send(
        {
            "type": "offline.submit",
            "client_msg_id": str(uuid.uuid4()),
            # A name trying to add a header, a body trying to look like markup.
            "name": "Eve\r\nBcc: spy@evil.test",
            "email": "eve@visitor.test",
            "body": "Do you have <b>rye</b> bread?\nThanks",
        }
    )
    ack = await sock.expect("ack")
    assert time.monotonic() - sent_at < 2
    msg = await inbox.wait_for("owner@bakery.test")
    assert msg["From"] == "chat@sitechat.test"
    assert msg["To"] == "owner@bakery.test"
    assert "Bakery" in msg["Subject"] and "Eve" in msg["Subject"]
    assert msg["Reply-To"].addresses[0].addr_spec == "eve@visitor.test"
    assert msg["Bcc"] is None and all("spy@evil.test" not in to for tos, _ in inbox.mails for to in tos)
    body = msg.get_content().replace("\r\n", "\n")
    assert msg.get_content_type() == "text/plain"
    assert "Do you have <b>rye</b> bread?\nThanks" in body
    assert "eve@visitor.test" in body and ack["conversation_id"] in body
    await sock.close()


async def test_no_address_no_mail_and_a_refusing_server_does_not_hurt(
    mail_server, boss: Api, inbox: Inbox
) -> None:
    quiet = await boss.create_website()
    refused = await boss.create_website()
    await boss.update_settings(refused["id"], {"offline": {"email_to": REFUSED}})
    muted = await boss.create_website()
    await boss.update_settings(
        muted["id"], {"offline": {"email_to": "muted@bakery.test"}, "notifications": {"email": False}}
    )
    before = len(inbox.mails)
    for site in (quiet, refused, muted):
        sock, _cfg, _ = await clients.visitor(mail_server.url, site["id"])
        frame = {
            "type": "offline.submit",
            "client_msg_id": str(uuid.uuid4()),
            "email": "v@x.test",
            "body": "hi",
        }
        await sock.send(frame)
        assert (await sock.expect("ack"))["seq"] == 1
        # The same frame again (a retry) is the same message, and no second mail.
        await sock.send(frame)
        await sock.expect("ack")
        await sock.close()
    deadline = time.monotonic() + 5
    while "refused@example.com" not in mail_server.log() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert "sending offline message to refused@example.com failed" in mail_server.log()
    assert len(inbox.mails) == before


async def _mailed_token(inbox: Inbox, to: str) -> str:
    text = (await inbox.wait_for(to)).get_content()
    return token_of(
        next(line.strip() for line in text.splitlines() if "/console/#/accept-invite?token=" in line)
    )


async def test_invitation_is_emailed(mail_server, boss: Api, inbox: Inbox) -> None:
    r = await boss.post("/api/v1/agents/invite", json={"email": "new-agent@bakery.test", "name": "Nia"})
    assert r.status_code == 201
    assert r.json()["emailed"] is True and r.json()["invite_url"] is None
    token = await _mailed_token(inbox, "new-agent@bakery.test")
    async with httpx.AsyncClient(base_url=mail_server.url) as http:
        r = await http.post("/api/v1/auth/accept-invite", json={"token": token, "password": "nia-password-1"})
        assert r.status_code == 200 and r.json()["agent"]["email"] == "new-agent@bakery.test"


async def test_an_expired_invitation_is_refused(mail_server, boss: Api, inbox: Inbox) -> None:
    r = await boss.post("/api/v1/agents/invite", json={"email": "late@bakery.test", "name": "Late"})
    token = await _mailed_token(inbox, "late@bakery.test")
    engine = create_async_engine(mail_server.env["SITECHAT_DATABASE_URL"])
    async with engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE agent_invites SET expires_at = :t WHERE agent_id = :a"),
            {"t": (datetime.now(UTC) - timedelta(minutes=1)).replace(tzinfo=None), "a": r.json()["id"]},
        )
    await engine.dispose()
    async with httpx.AsyncClient(base_url=mail_server.url) as http:
        r = await http.post(
            "/api/v1/auth/accept-invite", json={"token": token, "password": "late-password-1"}
        )
        assert r.status_code == 410 and r.json()["error"] == "invite_expired"


async def test_nobody_demotes_or_disables_the_last_owner(mail_server, boss: Api) -> None:
    me = (await boss.get("/api/v1/auth/me")).json()["agent"]
    for body in ({"role": "admin"}, {"role": "agent"}, {"disabled": True}):
        r = await boss.http.patch(f"/api/v1/agents/{me['id']}", json=body)
        assert r.status_code == 409 and r.json()["error"] == "last_owner", body
    second, password, _ = await boss.create_agent([], role="owner")
    # With two owners, one may step down; then the other is the last one.
    r = await boss.http.patch(f"/api/v1/agents/{me['id']}", json={"role": "admin"})
    assert r.status_code == 200 and r.json()["role"] == "admin"
    async with Api(mail_server.url) as other:
        await other.login(second["email"], password)
        r = await other.http.patch(f"/api/v1/agents/{second['id']}", json={"disabled": True})
        assert r.status_code == 409 and r.json()["error"] == "last_owner"
        r = await other.http.patch(f"/api/v1/agents/{me['id']}", json={"role": "owner"})
        assert r.status_code == 200
    # Roles are read at each request: the same console session is an owner's again.
    assert (await boss.get("/api/v1/auth/me")).json()["agent"]["role"] == "owner"
