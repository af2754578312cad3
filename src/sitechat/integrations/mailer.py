"""Outgoing email: offline messages, agent invitations.

Two implementations behind one small interface:

- ``SmtpMailer`` sends through the SMTP server named by ``SITECHAT_SMTP_*`` (aiosmtplib).
- ``LogMailer``, the embedded default, sends nothing: it logs that a mail was skipped
  (who to and the subject, never the body, which may hold a visitor's message or a link).

Sending is always done after the transaction that caused it has committed, and in a
background task (:func:`send_later`): a slow or broken mail server never delays nor fails
the request of whoever triggered the mail.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol

import aiosmtplib

from sitechat.config import Settings

log = logging.getLogger(__name__)

SEND_TIMEOUT = 30.0
_PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
# Mails still being sent, kept referenced so the event loop does not drop them.
_pending: set[asyncio.Task[None]] = set()


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str
    reply_to: str | None = None
    reply_to_name: str | None = None


class Mailer(Protocol):
    @property
    def configured(self) -> bool: ...

    async def send(self, mail: Mail) -> None: ...


def _one_line(value: str, limit: int = 200) -> str:
    # Header values: a visitor-given name must never start a header of its own.
    return " ".join(value.split())[:limit]


def build_message(mail: Mail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = _one_line(mail.subject)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    # A visitor-given address becomes Reply-To only when it is plainly one: anything a
    # header parser might read differently is left to the body, which always names it.
    if mail.reply_to and _PLAIN_ADDRESS.match(mail.reply_to):
        msg["Reply-To"] = formataddr((_one_line(mail.reply_to_name or ""), mail.reply_to))
    # Plain text only: nothing a visitor wrote is ever interpreted as markup.
    msg.set_content(mail.text)
    return msg


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None and settings.smtp_from is not None
        self._host = settings.smtp_host
        self._port = settings.smtp_port
        self._username = settings.smtp_username
        self._password = settings.smtp_password
        self._starttls = settings.smtp_starttls
        self._tls = settings.smtp_tls
        self._sender = settings.smtp_from

    @property
    def configured(self) -> bool:
        return True

    async def send(self, mail: Mail) -> None:
        await aiosmtplib.send(
            build_message(mail, self._sender),
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            start_tls=self._starttls,
            use_tls=self._tls,
            timeout=SEND_TIMEOUT,
        )


class LogMailer:
    @property
    def configured(self) -> bool:
        return False

    async def send(self, mail: Mail) -> None:
        log.info("email not sent (SITECHAT_SMTP_HOST unset): to %s, subject %r", mail.to, mail.subject)


def make_mailer(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings)
    return LogMailer()


async def _send_logged(mailer: Mailer, mail: Mail, what: str) -> None:
    try:
        await mailer.send(mail)
    except Exception as exc:
        # The address and the kind of failure; never the body nor the credentials.
        log.warning("sending %s to %s failed: %s: %s", what, mail.to, type(exc).__name__, exc)
    else:
        if mailer.configured:
            log.info("sent %s to %s", what, mail.to)


def send_later(mailer: Mailer, mail: Mail, what: str) -> None:
    """Send in the background; failures are logged, never raised."""
    task = asyncio.create_task(_send_logged(mailer, mail, what), name=f"mail-{what}")
    _pending.add(task)
    task.add_done_callback(_pending.discard)
