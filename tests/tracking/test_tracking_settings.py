"""Tracking under the server's own settings, each on a server of its own: trusted proxies
and truncated addresses, a tab that stops pinging, and the retention of anonymous
visitors."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support import clients
from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD, BIN, ServerProcess, started_sqlite_server
from tests.tracking.test_tracking_api import LONDON_IP, config, new_id, page, sessions, sql


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory, geoip_city_db: Path) -> Iterator[ServerProcess]:
    """Behind a trusted proxy, storing truncated addresses, with MaxMind's City test data."""
    srv = started_sqlite_server(
        tmp_path_factory.mktemp("proxied"),
        "proxied",
        {
            "SITECHAT_TRUSTED_PROXIES": "127.0.0.1",
            "SITECHAT_IP_TRUNCATE": "true",
            "SITECHAT_GEOIP_DB": str(geoip_city_db),
        },
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """No proxy trusted, the bundled GeoIP data, and a short live-list TTL."""
    env = {"SITECHAT_LIVE_VISITOR_TTL": "5", "SITECHAT_TRUSTED_PROXIES": "", "SITECHAT_GEOIP_DB": ""}
    srv = started_sqlite_server(tmp_path_factory.mktemp("plain"), "plain", env)
    yield srv
    srv.stop()


async def owner_of(srv: ServerProcess) -> Api:
    api = Api(srv.url)
    await api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    api.use_token(await api.create_token("tests"))
    return api


async def test_forwarded_addresses_are_believed_only_from_trusted_proxies(
    proxied: ServerProcess, plain: ServerProcess
) -> None:
    for srv, ip, city in ((proxied, "81.2.69.0", "London"), (plain, "127.0.0.1", None)):
        async with await owner_of(srv) as owner:
            site = await owner.create_website()
            r = await config(
                srv,
                site["id"],
                body={"page": page("https://shop.example.com/")},
                headers={"X-Forwarded-For": LONDON_IP},
            )
            assert r.status_code == 200, r.text
            [s] = await sessions(owner, r.json()["visitor_id"])
            # Truncated when stored (IPv4 /24); GeoIP still saw the whole address.
            assert s["ip_address"] == ip, srv.name
            assert s["location"].get("city") == city, srv.name


async def test_a_tab_that_stops_pinging_leaves_the_live_list(plain: ServerProcess) -> None:
    async with await owner_of(plain) as owner:
        site = await owner.create_website()
        _agent, _pw, token = await owner.create_agent([site["id"]])
        agent_ws, _ = await clients.agent(plain.ws_url, token)
        r = await config(plain, site["id"], body={"tab": new_id(), "page": page("https://shop.example.com/")})
        vid = r.json()["visitor_id"]
        arrived = await agent_ws.expect("visitor.live")
        assert arrived["visitor"]["visitor_id"] == vid
        # TTL 5 s, swept every few seconds: gone well within the minute.
        left = await agent_ws.expect("visitor.left", timeout=20)
        assert left["visitor_id"] == vid
        r = await owner.get(f"/api/v1/websites/{site['id']}/visitors/live")
        assert r.json()["visitors"] == []
        await agent_ws.close()


async def test_idle_anonymous_visitors_are_forgotten_and_everyone_else_is_kept(plain: ServerProcess) -> None:
    async with await owner_of(plain) as owner:
        site = await owner.create_website()
        anon = (await config(plain, site["id"], body={"page": page("https://shop.example.com/")})).json()
        named = (
            await config(
                plain,
                site["id"],
                body={"identify": {"email": "kept@example.com"}, "page": page("https://shop.example.com/")},
            )
        ).json()
        sock, chatted, _ = await clients.visitor(plain.url, site["id"])
        await sock.send_message("Hello")
        await sock.close()
        recent = (await config(plain, site["id"], body={"page": page("https://shop.example.com/")})).json()

        old = datetime.now(UTC) - timedelta(days=31)
        for v in (anon, named, chatted):
            await sql(plain, "UPDATE visitors SET last_seen_at = :t WHERE id = :v", t=old, v=v["visitor_id"])
        out = await asyncio.to_thread(
            subprocess.run,
            [str(BIN), "visitors", "purge"],
            env=plain.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert "forgot 1 anonymous visitors" in out.stdout, out.stdout
        r = await owner.get(f"/api/v1/visitors/{anon['visitor_id']}/sessions")
        assert r.status_code == 404
        for kept in (named, chatted, recent):
            r = await owner.get(f"/api/v1/visitors/{kept['visitor_id']}/sessions")
            assert r.status_code == 200, kept
