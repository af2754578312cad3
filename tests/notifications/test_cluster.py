"""Two nodes sharing PostgreSQL and Redis: a console's visibility on one node holds back
the push another node would send, and the unanswered-conversation email goes out once
although both nodes sweep."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest

from tests.notifications.support import Browser, Inbox, PushReceiver, wait_until
from tests.support import clients
from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess


@pytest.fixture(scope="module")
def nodes(
    tmp_path_factory: pytest.TempPathFactory, pg_dsn_factory, redis_url: str, inbox: Inbox
) -> Iterator[tuple[ServerProcess, ServerProcess, str]]:
    dsn = pg_dsn_factory()
    tmp = tmp_path_factory.mktemp("notify-cluster")
    env = {
        "SITECHAT_SMTP_HOST": "127.0.0.1",
        "SITECHAT_SMTP_PORT": str(inbox.port),  # type: ignore[attr-defined]
        "SITECHAT_SMTP_STARTTLS": "false",
        "SITECHAT_SMTP_FROM": "chat@sitechat.test",
        "SITECHAT_PUSH_ALLOW_HTTP": "true",
        "SITECHAT_PUSH_HOSTS": "127.0.0.1",
        "SITECHAT_NOTIFY_SWEEP_INTERVAL": "0.2",
    }
    a = ServerProcess(tmp, database_url=dsn, name="node-a", redis_url=redis_url, extra_env=env)
    b = ServerProcess(tmp, database_url=dsn, name="node-b", redis_url=redis_url, extra_env=env)
    a.migrate()
    a.start()
    b.start()
    yield a, b, dsn
    a.stop()
    b.stop()


async def test_visibility_and_email_across_nodes(nodes, receiver: PushReceiver, inbox: Inbox) -> None:
    a, b, dsn = nodes
    async with Api(a.url) as boss:
        await boss.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        boss.use_token(await boss.create_token("tests"))
        site = await boss.create_website()
        info, _pw, token = await boss.create_agent([site["id"]])
    browser = Browser(f"http://127.0.0.1:{receiver.port}/push/{info['id']}")
    async with Api(b.url) as api:
        api.use_token(token)
        r = await api.post("/api/v1/notifications/push/subscriptions", json=browser.subscription())
        assert r.status_code == 201, r.text

    # The console is on node A and visible; the visitor (and so the alert) is on node B.
    console, _ = await clients.agent(a.ws_url, token)
    await console.send({"type": "visibility", "visible": True})
    await console.send({"type": "ping", "id": "v"})
    await console.expect("pong")
    vis, _cfg, _ = await clients.visitor(b.url, site["id"])
    conv = (await vis.send_message("Hello from node B"))["conversation_id"]
    await console.expect("notify", conversation_id=conv)
    await asyncio.sleep(0.5)
    assert receiver.posts == []
    await console.send({"type": "visibility", "visible": False})
    await console.send({"type": "ping", "id": "h"})
    await console.expect("pong")
    await vis.send_message("Anyone?")
    await wait_until(lambda: receiver.posts)
    assert browser.read(receiver.posts[0][2])["body"] == "Anyone?"
    await console.close()

    # Both nodes sweep every 0.2 s; the period is claimed once.
    conn = await asyncpg.connect(dsn.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(
            "UPDATE notification_unanswered SET since_at = now() - interval '11 minutes'"
            " WHERE conversation_id = $1",
            conv,
        )
    finally:
        await conn.close()
    await wait_until(lambda: inbox.to(info["email"]))
    await asyncio.sleep(1.0)
    assert len(inbox.to(info["email"])) == 1
    await vis.close()
