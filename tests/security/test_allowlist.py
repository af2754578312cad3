"""The domain allowlist (exact hosts and ``*.example.com``) on every widget request, the
visitor WebSocket and CORS; the agent API answers no foreign page."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import clients
from tests.support.clients import Api
from tests.support.servers import ServerProcess

ALLOWED = ("https://shop.example.com", "https://SHOP.example.com", "http://shop.example.com:8080")
WILDCARD = ("https://eu.example.org", "https://a.b.example.org:8443")
REFUSED = (
    "https://evil.com",
    "https://example.org",  # a wildcard covers subdomains, not the domain itself
    "https://shop.example.com.evil.com",
    "https://evilshop.example.com",
    "https://notexample.org",
    "null",
    "",
    "file://shop.example.com",
)


async def _post(server: ServerProcess, path: str, origin: str, body: dict[str, Any]) -> httpx.Response:
    headers = {"Origin": origin} if origin else {}
    async with httpx.AsyncClient(base_url=server.url) as http:
        return await http.post(path, json=body, headers=headers)


async def _preflight(server: ServerProcess, path: str, origin: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as http:
        return await http.options(
            path, headers={"Origin": origin, "Access-Control-Request-Method": "POST"} if origin else {}
        )


async def test_config_events_and_preflights_answer_only_allowed_origins(
    server: ServerProcess, owner: Api
) -> None:
    site = await owner.create_website(domains=["shop.example.com", "*.example.org"])
    config_path = f"/api/v1/widget/{site['id']}/config"
    events_path = f"/api/v1/widget/{site['id']}/events"
    key = (await clients.widget_config(server.url, site["id"])).json()["visitor_key"]
    events = {"visitor_key": key, "events": [{"name": "probe"}]}
    for origin in ALLOWED + WILDCARD:
        r = await _post(server, config_path, origin, {})
        assert r.status_code == 200, (origin, r.text)
        assert r.headers["access-control-allow-origin"] == origin and "Origin" in r.headers["vary"]
        r = await _post(server, events_path, origin, events)
        assert r.status_code == 202 and r.headers["access-control-allow-origin"] == origin, origin
        for path in (config_path, events_path):
            pre = await _preflight(server, path, origin)
            assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == origin
    for origin in REFUSED:
        for path, body in ((config_path, {}), (events_path, events)):
            r = await _post(server, path, origin, body)
            assert r.status_code == 403 and r.json()["error"] == "origin_not_allowed", (origin, path)
            assert "access-control-allow-origin" not in r.headers  # the page cannot read it
            pre = await _preflight(server, path, origin)
            assert pre.status_code == 403 and "access-control-allow-origin" not in pre.headers
    # A refused origin learns nothing about its body (a bad body is answered only to allowed ones).
    r = await _post(server, events_path, "https://evil.com", {"nonsense": True})
    assert r.status_code == 403 and "fields" not in r.json()
    r = await _post(server, "/api/v1/widget/web_nope/config", "https://shop.example.com", {})
    assert r.status_code == 404 and r.json()["error"] == "website_not_found"


async def test_visitor_socket_checks_the_origin_and_the_token(server: ServerProcess, owner: Api) -> None:
    site = await owner.create_website(domains=["shop.example.com", "*.example.org"])
    cfg = (await clients.widget_config(server.url, site["id"])).json()
    url = f"{cfg['ws_url']}?token={cfg['token']}"
    for origin in ("https://evil.com", "https://example.org", "https://shop.example.com.evil.com"):
        refused = await clients.open_socket(url, origin=origin)
        assert await refused.wait_closed() == 4003, origin
    forged = await clients.open_socket(url + "x", origin=clients.DEFAULT_ORIGIN)
    assert await forged.wait_closed() == 4001
    none = await clients.open_socket(cfg["ws_url"], origin=clients.DEFAULT_ORIGIN)
    assert await none.wait_closed() == 4001
    # A wildcard domain, the panel iframe on the server's own origin, and the exact host.
    for page, ws_origin in (
        ("https://eu.example.org", "https://eu.example.org"),
        (clients.DEFAULT_ORIGIN, server.url),
        (clients.DEFAULT_ORIGIN, clients.DEFAULT_ORIGIN),
    ):
        sock, got, welcome = await clients.visitor(server.url, site["id"], origin=page, ws_origin=ws_origin)
        assert welcome["visitor_id"] == got["visitor_id"]
        await sock.close()
    # A token of another website is no key to this one.
    other = await owner.create_website(domains=["other.example.net"])
    other_cfg = (await clients.widget_config(server.url, other["id"], "https://other.example.net")).json()
    cross = await clients.open_socket(
        f"{cfg['ws_url']}?token={other_cfg['token']}", origin=clients.DEFAULT_ORIGIN
    )
    assert await cross.wait_closed() == 4003


async def test_a_changed_allowlist_holds_for_the_next_request_and_socket(
    server: ServerProcess, owner: Api
) -> None:
    site = await owner.create_website(domains=["shop.example.com", "*.example.org"])
    cfg = (await clients.widget_config(server.url, site["id"])).json()
    r = await owner.http.patch(f"/api/v1/websites/{site['id']}", json={"domains": ["*.example.org"]})
    assert r.status_code == 200, r.text
    r = await clients.widget_config(server.url, site["id"], clients.DEFAULT_ORIGIN)
    assert r.status_code == 403 and r.json()["error"] == "origin_not_allowed"
    # The token was issued to a page no longer allowed: its socket is refused, from anywhere.
    for origin in (clients.DEFAULT_ORIGIN, server.url):
        sock = await clients.open_socket(f"{cfg['ws_url']}?token={cfg['token']}", origin=origin)
        assert await sock.wait_closed() == 4003
    # The panel may now be framed only by the remaining domains.
    async with httpx.AsyncClient(base_url=server.url) as http:
        panel = await http.get("/widget/panel", params={"website_id": site["id"]})
    ancestors = next(
        p for p in panel.headers["content-security-policy"].split("; ") if p.startswith("frame-ancestors")
    )
    assert "*.example.org" in ancestors and "shop.example.com" not in ancestors


async def test_the_agent_api_grants_no_cross_origin_reads(server: ServerProcess, owner: Api) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers=dict(owner.http.headers)) as http:
        r = await http.get("/api/v1/conversations", headers={"Origin": "https://shop.example.com"})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
        pre = await http.options(
            "/api/v1/conversations",
            headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in pre.headers and pre.status_code in (404, 405)
