"""Rate limits per API key, address, domain and visitor hold across two nodes sharing Redis
(and PostgreSQL); a limited client gets 429 with Retry-After, or an error frame with
retry_after and the RATE_LIMITED close code on a WebSocket. Revocation is immediate on both."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import clients
from tests.support.clients import DEFAULT_ORIGIN, Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess

LIMITS = {
    "SITECHAT_RATE_API_KEY": "6/minute",
    "SITECHAT_RATE_IP": "4/minute",
    "SITECHAT_RATE_DOMAIN": "6/minute",
    "SITECHAT_RATE_MESSAGES": "3/minute",
    # The tests are the proxy: each test speaks from addresses of its own (X-Forwarded-For),
    # so a re-run within the minute starts from zero.
    "SITECHAT_TRUSTED_PROXIES": "127.0.0.1",
}


@pytest.fixture(scope="module")
def nodes(
    tmp_path_factory: pytest.TempPathFactory, pg_dsn_factory, redis_url: str
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    dsn = pg_dsn_factory()
    tmp = tmp_path_factory.mktemp("limits-cluster")
    a = ServerProcess(tmp, database_url=dsn, name="limits-a", redis_url=redis_url, extra_env=LIMITS)
    b = ServerProcess(tmp, database_url=dsn, name="limits-b", redis_url=redis_url, extra_env=LIMITS)
    a.migrate()
    a.start()
    try:
        b.start()
    except BaseException:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()


def new_ip() -> str:
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


async def owner_on(node: ServerProcess) -> Api:
    """The owner by console session: its requests spend no API key's allowance."""
    api = Api(node.url)
    await api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    return api


async def config(
    node: ServerProcess, website_id: str, ip: str, origin: str = DEFAULT_ORIGIN
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=node.url, timeout=15) as http:
        return await http.post(
            f"/api/v1/widget/{website_id}/config",
            json={},
            headers={"Origin": origin, "X-Forwarded-For": ip},
        )


async def visitor_on(
    node: ServerProcess, website_id: str, ip: str, visitor_key: str | None = None
) -> tuple[clients.Socket, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=node.url, timeout=15) as http:
        r = await http.post(
            f"/api/v1/widget/{website_id}/config",
            json={"visitor_key": visitor_key},
            headers={"Origin": DEFAULT_ORIGIN, "X-Forwarded-For": ip},
        )
    assert r.status_code == 200, r.text
    cfg = r.json()
    sock = await clients.open_socket(
        f"{node.ws_url}/ws/visitor?token={cfg['token']}",
        origin=DEFAULT_ORIGIN,
        headers={"X-Forwarded-For": ip},
    )
    await sock.send({"type": "hello"})
    await sock.expect("welcome")
    return sock, dict(cfg)


def limited(r: httpx.Response) -> int:
    assert r.status_code == 429, r.text
    assert r.json()["error"] == "rate_limited"
    wait = int(r.headers["retry-after"])
    assert 1 <= wait <= 61
    return wait


async def test_an_api_key_limit_adds_up_across_nodes(nodes) -> None:
    a, b = nodes
    owner = await owner_on(a)
    try:
        key = await owner.create_token("busy")
        other = await owner.create_token("quiet")
    finally:
        await owner.http.aclose()
    auth = {"Authorization": f"Bearer {key}"}
    codes = []
    for i in range(6):
        async with httpx.AsyncClient(base_url=(a, b)[i % 2].url) as http:
            codes.append((await http.get("/api/v1/conversations", headers=auth)).status_code)
    assert codes == [200] * 6
    async with httpx.AsyncClient(base_url=b.url) as http:
        limited(await http.get("/api/v1/websites", headers=auth))
    async with httpx.AsyncClient(base_url=a.url) as http:
        limited(await http.get("/api/v1/conversations", headers=auth))
        # Another key has its own allowance.
        assert (
            await http.get("/api/v1/conversations", headers={"Authorization": f"Bearer {other}"})
        ).status_code == 200
    # The agent socket counts against the same key: refused with retry_after and 4008.
    sock = await clients.open_socket(f"{b.ws_url}/ws/agent", headers=auth)
    assert await sock.wait_closed() == 4008
    assert sock.frames[0]["code"] == "rate_limited" and sock.frames[0]["retry_after"] >= 1


async def test_widget_traffic_is_limited_per_address_across_nodes(nodes) -> None:
    a, b = nodes
    owner = await owner_on(a)
    try:
        site = await owner.create_website()
        other_site = await owner.create_website()
    finally:
        await owner.http.aclose()
    ip = new_ip()
    codes = [(await config((a, b)[i % 2], site["id"], ip)).status_code for i in range(4)]
    assert codes == [200] * 4
    r = await config(b, site["id"], ip)
    limited(r)
    # The page can read why and how long to wait.
    assert r.headers["access-control-allow-origin"] == DEFAULT_ORIGIN
    assert "retry-after" in r.headers["access-control-expose-headers"].lower()
    # The address is limited across websites too; another address is not.
    limited(await config(a, other_site["id"], ip))
    assert (await config(a, site["id"], new_ip())).status_code == 200


async def test_a_limited_address_cannot_open_a_visitor_socket(nodes) -> None:
    a, b = nodes
    owner = await owner_on(a)
    try:
        site = await owner.create_website()
    finally:
        await owner.http.aclose()
    ip = new_ip()
    r = await config(a, site["id"], ip)
    assert r.status_code == 200
    cfg = r.json()
    url = f"{b.ws_url}/ws/visitor?token={cfg['token']}"
    # Three openings on node B fill the address's allowance of four (with the config on A) …
    for _ in range(3):
        sock = await clients.open_socket(url, origin=DEFAULT_ORIGIN, headers={"X-Forwarded-For": ip})
        await sock.send({"type": "hello"})
        await sock.expect("welcome")
        await sock.close()
    # … so the next is refused, with how long to wait, and a named close code.
    sock = await clients.open_socket(url, origin=DEFAULT_ORIGIN, headers={"X-Forwarded-For": ip})
    assert await sock.wait_closed() == 4008
    frame: dict[str, Any] = sock.frames[0]
    assert frame["type"] == "error" and frame["code"] == "rate_limited" and 1 <= frame["retry_after"] <= 61


async def test_widget_traffic_is_limited_per_domain_across_nodes(nodes) -> None:
    a, b = nodes
    owner = await owner_on(a)
    try:
        site = await owner.create_website(domains=["shop.example.com", "*.example.org"])
    finally:
        await owner.http.aclose()
    # Six different addresses, one host page domain: the domain's allowance is six.
    codes = [(await config((a, b)[i % 2], site["id"], new_ip())).status_code for i in range(6)]
    assert codes == [200] * 6
    limited(await config(b, site["id"], new_ip()))
    # Another domain of the same website (a wildcard match) has its own allowance.
    assert (await config(a, site["id"], new_ip(), "https://eu.example.org")).status_code == 200


async def test_a_visitors_messages_are_limited_across_nodes(nodes) -> None:
    a, b = nodes
    owner = await owner_on(a)
    try:
        site = await owner.create_website()
    finally:
        await owner.http.aclose()
    tab1, cfg = await visitor_on(a, site["id"], new_ip())
    conv = (await tab1.send_message("one"))["conversation_id"]
    await tab1.send_message("two", conversation_id=conv)
    tab2, _ = await visitor_on(b, site["id"], new_ip(), cfg["visitor_key"])
    await tab2.send_message("three", conversation_id=conv)
    await tab2.send({"type": "message.send", "client_msg_id": "over-limit-0001", "body": "four", "id": "x"})
    err = await tab2.expect("error", id="x")
    assert err["code"] == "rate_limited" and 1 <= err["retry_after"] <= 61
    for s in (tab1, tab2):
        await s.close()


async def test_a_revoked_key_is_refused_at_once_on_both_nodes(nodes) -> None:
    a, b = nodes
    owner = await owner_on(a)
    try:
        r = await owner.post("/api/v1/tokens", json={"name": "doomed"})
        key, key_id = r.json()["token"], r.json()["id"]
        auth = {"Authorization": f"Bearer {key}"}
        sock_b, _ = await clients.agent(b.ws_url, key)
        for node in (a, b):
            async with httpx.AsyncClient(base_url=node.url) as http:
                assert (await http.get("/api/v1/auth/me", headers=auth)).status_code == 200
        assert (await owner.delete(f"/api/v1/tokens/{key_id}")).status_code == 200
    finally:
        await owner.http.aclose()
    for node in (b, a):
        async with httpx.AsyncClient(base_url=node.url) as http:
            r = await http.get("/api/v1/conversations", headers=auth)
            assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    # The socket opened on the other node is closed too (the revocation crosses Redis).
    assert await sock_b.wait_closed() == 4001
