"""Server restarts lose nothing; rate limits answer with a stable code and Retry-After."""

from __future__ import annotations

import httpx
import pytest

from tests.support import clients
from tests.support.clients import Api
from tests.support.servers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ServerProcess,
    cli_website,
    started_sqlite_server,
)


async def test_conversations_survive_restart_and_clients_resume(
    backend: str, tmp_path_factory: pytest.TempPathFactory, pg_dsn_factory
) -> None:
    tmp = tmp_path_factory.mktemp(f"restart-{backend}")
    url = f"sqlite+aiosqlite:///{tmp / 'db.sqlite'}" if backend == "sqlite" else pg_dsn_factory()
    srv = ServerProcess(tmp, database_url=url, name=f"restart-{backend}")
    srv.migrate()
    srv.start()
    try:
        async with Api(srv.url) as owner:
            await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
            token = await owner.create_token("restart")
            owner.use_token(token)
            site = await owner.create_website()
            v, cfg, _ = await clients.visitor(srv.url, site["id"])
            conv = (await v.send_message("before the restart"))["conversation_id"]
            await v.expect("message")
            agent_ws, _ = await clients.agent(srv.ws_url, token)
            await agent_ws.send_message("reply before", conversation_id=conv)
            await v.expect("message")

            srv.kill()  # no graceful goodbye: a crash
            assert await v.wait_closed(10) in (0, 1006)  # gone without a close frame
            srv.start()

            # Both clients come back with what they had, and pick up where they were.
            v2, _, welcome = await clients.visitor(
                srv.url, site["id"], visitor_key=cfg["visitor_key"], resume={conv: 2}
            )
            assert welcome["conversations"][0]["id"] == conv and welcome["conversations"][0]["last_seq"] == 2
            agent2, _ = await clients.agent(srv.ws_url, token, resume={conv: 1})
            replay = await agent2.expect("message", conversation_id=conv)
            assert replay["message"]["seq"] == 2 and replay["message"]["body"] == "reply before"
            await agent2.send_message("after the restart", conversation_id=conv)
            got = await v2.expect("message")
            assert got["message"]["seq"] == 3 and got["message"]["body"] == "after the restart"
            r = await owner.get(f"/api/v1/conversations/{conv}/messages")
            assert [m["body"] for m in r.json()["items"]] == [
                "before the restart",
                "reply before",
                "after the restart",
            ]
            for s in (v2, agent2):
                await s.close()
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory):
    env = {
        "SITECHAT_RATE_LOGIN": "3/minute",
        "SITECHAT_RATE_WIDGET_CONFIG": "4/minute",
        "SITECHAT_RATE_WS_FRAMES": "5/second",
    }
    srv = started_sqlite_server(tmp_path_factory.mktemp("limits"), "limits", env)
    yield srv
    srv.stop()


async def test_login_attempts_are_rate_limited(strict_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=strict_server.url) as http:
        codes = []
        for _ in range(4):
            r = await http.post(
                "/api/v1/auth/login", json={"email": "victim@example.com", "password": "guess-guess"}
            )
            codes.append(r.status_code)
        assert codes == [401, 401, 401, 429]
        assert r.json()["error"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
        # Even the right password waits once the address is limited: no oracle for guessers.
        r = await http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert r.status_code == 429


async def test_widget_config_is_rate_limited_per_address(strict_server: ServerProcess) -> None:
    site_id = cli_website(strict_server, "localhost")
    codes = [
        (await clients.widget_config(strict_server.url, site_id, "http://localhost:3000")).status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]


async def test_socket_frame_flood_is_refused_then_closed(strict_server: ServerProcess) -> None:
    site_id = cli_website(strict_server, "127.0.0.1")
    r = await clients.widget_config(strict_server.url, site_id, "http://127.0.0.1:3000")
    assert r.status_code == 200  # the limit is per website and address
    cfg = r.json()
    sock = await clients.open_socket(f"{cfg['ws_url']}?token={cfg['token']}", origin="http://127.0.0.1:3000")
    await sock.send({"type": "hello"})
    await sock.expect("welcome")
    for _ in range(40):
        await sock.send({"type": "ping"})
    assert await sock.wait_closed() == 4008
    assert any(f.get("code") == "rate_limited" for f in sock.frames)
