"""Fixtures of the notification tests: a local SMTP server and a local push service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from aiosmtpd.controller import Controller

from tests.notifications.support import Inbox, PushReceiver
from tests.support.servers import free_port


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[PushReceiver]:
    r = PushReceiver()
    await r.start()
    yield r
    await r.stop()
