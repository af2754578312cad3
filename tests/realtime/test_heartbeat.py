"""Heartbeats both ways, and named close codes for silent or slow-to-greet clients."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.support import clients
from tests.support.servers import ServerProcess, cli_website, started_sqlite_server


@pytest.fixture(scope="module")
def fast_server(tmp_path_factory: pytest.TempPathFactory):
    env = {
        "SITECHAT_HEARTBEAT_INTERVAL": "0.4",
        "SITECHAT_HEARTBEAT_TIMEOUT": "1.2",
        "SITECHAT_HELLO_TIMEOUT": "1",
        "SITECHAT_LOG_LEVEL": "info",
    }
    srv = started_sqlite_server(tmp_path_factory.mktemp("heartbeat"), "heartbeat", env)
    srv.website_id = cli_website(srv, "shop.example.com")  # type: ignore[attr-defined]
    yield srv
    srv.stop()


async def _connect(srv: ServerProcess) -> clients.Socket:
    cfg = (await clients.widget_config(srv.url, srv.website_id)).json()  # type: ignore[attr-defined]
    return await clients.open_socket(f"{cfg['ws_url']}?token={cfg['token']}", origin=clients.DEFAULT_ORIGIN)


async def test_a_client_that_answers_pings_stays_connected(fast_server: ServerProcess) -> None:
    sock = await _connect(fast_server)
    await sock.send({"type": "hello"})
    await sock.expect("welcome")
    await sock.quiet(2.5)  # Socket answers every server ping with a pong
    await sock.send({"type": "ping", "id": "after"})
    assert (await sock.expect("pong"))["id"] == "after"
    await sock.close()


async def test_a_silent_client_is_closed_with_heartbeat_timeout(fast_server: ServerProcess) -> None:
    sock = await _connect(fast_server)
    await sock.send({"type": "hello"})
    pings = 0
    try:
        while True:
            frame = json.loads(await asyncio.wait_for(sock.ws.recv(), 5))
            pings += frame["type"] == "ping"  # received, never answered
    except Exception:
        pass
    assert sock.ws.close_code == 4011
    assert pings >= 1


async def test_no_hello_in_time_is_closed(fast_server: ServerProcess) -> None:
    sock = await _connect(fast_server)
    assert await sock.wait_closed(5) == 4010


async def test_tokens_never_reach_the_log(fast_server: ServerProcess) -> None:
    cfg = (await clients.widget_config(fast_server.url, fast_server.website_id)).json()  # type: ignore[attr-defined]
    sock = await clients.open_socket(f"{cfg['ws_url']}?token={cfg['token']}", origin=clients.DEFAULT_ORIGIN)
    await sock.send({"type": "hello"})
    await sock.expect("welcome")
    await sock.close()
    await asyncio.sleep(0.3)
    log = fast_server.log_path.read_text()
    assert "/ws/visitor?token=[redacted]" in log  # the request was logged…
    assert cfg["token"] not in log and cfg["visitor_key"] not in log  # …without the secret
