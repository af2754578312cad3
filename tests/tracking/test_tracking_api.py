"""Visitor tracking over real HTTP and WebSockets (SQLite and PostgreSQL): what a page load
records (source, device, location, trail), the session rules, consent and Global Privacy
Control, the live list with arrivals and departures, and an agent writing first."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support import clients
from tests.support.clients import DEFAULT_ORIGIN, Api

CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
LONDON_IP = "81.2.69.142"  # London in MaxMind's GeoIP2-City-Test.mmdb


def new_id() -> str:
    return secrets.token_urlsafe(12)


def page(url: str, referrer: str = "", title: str = "Shop") -> dict[str, Any]:
    return {"pv": new_id(), "url": url, "title": title, "referrer": referrer}


async def config(
    server: Any,
    website_id: str,
    *,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    origin: str = DEFAULT_ORIGIN,
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
        return await http.post(
            f"/api/v1/widget/{website_id}/config",
            content=json.dumps(body),
            headers={"Origin": origin, "Content-Type": "text/plain", **(headers or {})},
        )


async def events(
    server: Any, website_id: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
        return await http.post(
            f"/api/v1/widget/{website_id}/events",
            json=body,
            headers={"Origin": DEFAULT_ORIGIN, **(headers or {})},
        )


async def sessions(api: Api, visitor_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/api/v1/visitors/{visitor_id}/sessions")
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def live(api: Api, website_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/api/v1/websites/{website_id}/visitors/live")
    assert r.status_code == 200, r.text
    return list(r.json()["visitors"])


async def sql(server: Any, statement: str, **params: Any) -> None:
    engine = create_async_engine(server.env["SITECHAT_DATABASE_URL"])
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(statement), params)
    finally:
        await engine.dispose()


async def test_a_page_load_records_where_the_visitor_came_from_with_what_and_from_where(
    server, owner: Api
) -> None:
    site = await owner.create_website()
    _agent, _pw, token = await owner.create_agent([site["id"]])
    agent_ws, _ = await clients.agent(server.ws_url, token)
    tab = new_id()
    landing = page(
        "https://shop.example.com/products?utm_source=newsletter&utm_medium=email&utm_campaign=nov",
        title="Products",
    )
    r = await config(
        server,
        site["id"],
        body={
            "tab": tab,
            "page": landing,
            "client": {
                "tz": "Europe/Paris",
                "screen": "1920x1080",
                "viewport": "1280x720",
                "languages": ["fr-FR", "en"],
            },
        },
        # The test server trusts 127.0.0.1 as a proxy (SITECHAT_TRUSTED_PROXIES).
        headers={"User-Agent": CHROME_MAC, "X-Forwarded-For": LONDON_IP},
    )
    assert r.status_code == 200, r.text
    cfg = r.json()
    assert cfg["tracking"] is True
    visitor_id = cfg["visitor_id"]

    # Agents hear of the arrival at once.
    frame = await agent_ws.expect("visitor.live")
    seen = frame["visitor"]
    assert frame["website_id"] == site["id"] and seen["visitor_id"] == visitor_id
    assert seen["page_url"] == landing["url"] and seen["page_title"] == "Products"
    assert seen["source_class"] == "email" and seen["location"]["city"] == "London"

    # A single-page-app navigation, then the time on the first page.
    second = page("https://shop.example.com/pricing", referrer=landing["url"], title="Pricing")
    r = await events(
        server,
        site["id"],
        {
            "visitor_key": cfg["visitor_key"],
            "tab": tab,
            "events": [
                {"type": "page_leave", "pv": landing["pv"], "duration_ms": 4500},
                {"type": "page_view", **second},
                {"type": "exit_intent", "pv": second["pv"]},
            ],
        },
        headers={"User-Agent": CHROME_MAC},
    )
    assert r.status_code == 202, r.text
    assert {k: r.json()[k] for k in ("recorded", "has_open_conversation")} == {
        "recorded": 3,
        "has_open_conversation": False,
    }
    moved = await agent_ws.expect("visitor.live")
    assert moved["visitor"]["page_url"] == second["url"]

    [s] = await sessions(owner, visitor_id)
    assert s["landing_page"] == landing["url"]
    assert s["source_class"] == "email" and s["source"] == "newsletter"
    assert s["utm"] == {"source": "newsletter", "medium": "email", "campaign": "nov"}
    assert s["ip_address"] == LONDON_IP
    assert s["location"]["country_code"] == "GB" and s["location"]["city"] == "London"
    # The browser's own time zone wins over GeoIP's.
    assert s["timezone"] == "Europe/Paris"
    assert s["device"]["type"] == "desktop" and s["device"]["browser"] == "Chrome"
    assert s["device"]["screen"] == "1920x1080" and s["device"]["languages"] == ["fr-FR", "en"]
    assert [(v["url"], v["title"], v["duration_ms"]) for v in s["page_views"]] == [
        (landing["url"], "Products", 4500),
        (second["url"], "Pricing", None),
    ]

    [now] = await live(owner, site["id"])
    assert now["visitor_id"] == visitor_id and now["page_url"] == second["url"] and now["tabs"] == 1
    await agent_ws.close()


async def test_time_on_page_keeps_the_largest_report_and_retries_count_once(server, owner: Api) -> None:
    site = await owner.create_website()
    first = page("https://shop.example.com/")
    cfg = (await config(server, site["id"], body={"tab": new_id(), "page": first})).json()
    key = cfg["visitor_key"]
    for ms in (3000, 9000, 2000):  # hidden, shown again, and a late smaller beacon
        r = await events(
            server,
            site["id"],
            {"visitor_key": key, "events": [{"type": "page_leave", "pv": first["pv"], "duration_ms": ms}]},
        )
        assert r.status_code == 202
    # The same page view sent twice (a retried request) is one page view.
    again = {"visitor_key": key, "events": [{"type": "page_view", **page("https://shop.example.com/a")}]}
    again["events"][0]["pv"] = first["pv"]
    assert (await events(server, site["id"], again)).status_code == 202
    [s] = await sessions(owner, cfg["visitor_id"])
    assert [(v["url"], v["duration_ms"]) for v in s["page_views"]] == [("https://shop.example.com/", 9000)]


async def test_a_new_session_after_30_idle_minutes_or_a_new_campaign_and_agents_hear_of_returns(
    server, owner: Api
) -> None:
    site = await owner.create_website()
    _agent, _pw, token = await owner.create_agent([site["id"]])
    agent_ws, _ = await clients.agent(server.ws_url, token)
    cfg = (await config(server, site["id"], body={"page": page("https://shop.example.com/")})).json()
    key, vid = cfg["visitor_key"], cfg["visitor_id"]

    # Within 30 minutes, from an internal link: the same visit.
    await config(
        server,
        site["id"],
        body={"visitor_key": key, "page": page("https://shop.example.com/b", "https://shop.example.com/")},
    )
    assert [len(s["page_views"]) for s in await sessions(owner, vid)] == [2]

    # 31 minutes of silence: the next page view is a new visit, and agents hear of it.
    old = datetime.now(UTC) - timedelta(minutes=31)
    await sql(server, "UPDATE visitor_sessions SET last_seen_at = :t WHERE visitor_id = :v", t=old, v=vid)
    # The node's memory of the visit lapses (the test server keeps it one second), as it
    # would have in 31 silent minutes.
    await asyncio.sleep(1.1)
    await config(
        server,
        site["id"],
        body={"visitor_key": key, "page": page("https://shop.example.com/c", "https://www.google.co.uk/")},
    )
    got = await sessions(owner, vid)
    assert [s["source_class"] for s in got] == ["organic", "direct"]
    assert got[0]["source"] == "Google"
    returned = await agent_ws.expect("visitor.returned")
    assert returned["visitor_id"] == vid and returned["visits"] == 2

    # Minutes later, through an ad: a new campaign is a new visit too.
    await config(
        server,
        site["id"],
        body={"visitor_key": key, "page": page("https://shop.example.com/sale?gclid=abc123&utm_campaign=bf")},
    )
    got = await sessions(owner, vid)
    assert [s["source_class"] for s in got] == ["paid", "organic", "direct"]
    assert got[0]["click_ids"] == {"gclid": "abc123"}
    await agent_ws.close()


async def test_consent_and_global_privacy_control_are_honoured(server, owner: Api) -> None:
    site = await owner.create_website(settings={"behavior": {"require_consent": True, "honor_gpc": True}})
    r = await config(server, site["id"], body={"tab": new_id(), "page": page("https://shop.example.com/")})
    cfg = r.json()
    assert r.status_code == 200 and cfg["tracking"] is False
    ev = {
        "visitor_key": cfg["visitor_key"],
        "events": [{"type": "page_view", **page("https://shop.example.com/x")}],
    }
    assert (await events(server, site["id"], ev)).status_code == 202
    assert await sessions(owner, cfg["visitor_id"]) == []
    assert await live(owner, site["id"]) == []

    # Consent given, but the browser sends Global Privacy Control (header or widget flag).
    for extra, headers in (({"consent": True}, {"Sec-GPC": "1"}), ({"consent": True, "gpc": True}, {})):
        body = {"visitor_key": cfg["visitor_key"], "page": page("https://shop.example.com/"), **extra}
        r = await config(server, site["id"], body=body, headers=headers)
        assert r.json()["tracking"] is False
    assert await sessions(owner, cfg["visitor_id"]) == []

    # Consent and no GPC: tracked.
    r = await config(
        server,
        site["id"],
        body={"visitor_key": cfg["visitor_key"], "consent": True, "page": page("https://shop.example.com/")},
    )
    assert r.json()["tracking"] is True
    assert len(await sessions(owner, cfg["visitor_id"])) == 1


async def test_the_live_list_follows_tabs_and_departures(server, owner: Api) -> None:
    site = await owner.create_website()
    _agent, _pw, token = await owner.create_agent([site["id"]])
    agent_ws, _ = await clients.agent(server.ws_url, token)
    tab_a, tab_b = new_id(), new_id()
    cfg = (
        await config(server, site["id"], body={"tab": tab_a, "page": page("https://shop.example.com/a")})
    ).json()
    key, vid = cfg["visitor_key"], cfg["visitor_id"]
    await config(
        server,
        site["id"],
        body={"visitor_key": key, "tab": tab_b, "page": page("https://shop.example.com/b")},
    )
    [one] = await live(owner, site["id"])
    assert one["visitor_id"] == vid and one["tabs"] == 2 and one["page_url"] == "https://shop.example.com/b"

    # A ping keeps a tab; closing one of two tabs is not leaving.
    ping = {"visitor_key": key, "tab": tab_a, "events": [{"type": "ping"}]}
    assert (await events(server, site["id"], ping)).status_code == 202
    leave_b = {"visitor_key": key, "tab": tab_b, "events": [{"type": "leave"}]}
    assert (await events(server, site["id"], leave_b)).status_code == 202
    [one] = await live(owner, site["id"])
    assert one["tabs"] == 1
    frames = await agent_ws.quiet(0.5)
    assert not [f for f in frames if f["type"] == "visitor.left"]

    leave_a = {"visitor_key": key, "tab": tab_a, "events": [{"type": "leave"}]}
    assert (await events(server, site["id"], leave_a)).status_code == 202
    left = await agent_ws.expect("visitor.left")
    assert left == {"type": "visitor.left", "website_id": site["id"], "visitor_id": vid}
    assert await live(owner, site["id"]) == []
    await agent_ws.close()


async def test_an_agent_writes_first_to_a_browsing_visitor(server, owner: Api) -> None:
    site = await owner.create_website()
    agent, _pw, token = await owner.create_agent([site["id"]])
    other_site = await owner.create_website()
    _stranger, _pw2, stranger_token = await owner.create_agent([other_site["id"]])
    sock, cfg, _welcome = await clients.visitor(server.url, site["id"])
    async with Api(server.url) as api:
        api.use_token(token)
        # Bad input first: nothing is created.
        for bad in (
            {"visitor_id": cfg["visitor_id"]},
            {"visitor_id": cfg["visitor_id"], "body": ""},
            {"body": "hi"},
        ):
            r = await api.post("/api/v1/conversations", json=bad)
            assert r.status_code == 422, r.text
        r = await api.post("/api/v1/conversations", json={"visitor_id": "v_nobody", "body": "Hi"})
        assert r.status_code == 404 and r.json()["error"] == "not_found"

        r = await api.post(
            "/api/v1/conversations",
            json={"visitor_id": cfg["visitor_id"], "body": "Hi! Can I help you find a size?"},
        )
        assert r.status_code == 201, r.text
        started = r.json()
        assert started["created"] is True
        msg = await sock.expect("message")
        assert msg["message"]["body"] == "Hi! Can I help you find a size?"
        assert msg["message"]["sender"]["kind"] == "agent"
        conv = (await api.get(f"/api/v1/conversations/{started['conversation_id']}")).json()
        assert conv["origin"] == "agent" and conv["assignee_id"] == agent["id"]

        # The widget's next ping learns there is a conversation going.
        r = await events(
            server, site["id"], {"visitor_key": cfg["visitor_key"], "events": [{"type": "ping"}]}
        )
        assert r.json()["has_open_conversation"] is True

        # A second message goes into the same conversation.
        r = await api.post(
            "/api/v1/conversations", json={"visitor_id": cfg["visitor_id"], "body": "Still there?"}
        )
        assert r.status_code == 201 and r.json()["conversation_id"] == started["conversation_id"]
        assert r.json()["created"] is False

    # An agent of another website cannot reach this visitor, nor read their visits.
    async with Api(server.url) as stranger:
        stranger.use_token(stranger_token)
        r = await stranger.post("/api/v1/conversations", json={"visitor_id": cfg["visitor_id"], "body": "Hi"})
        assert r.status_code == 404
        r = await stranger.get(f"/api/v1/visitors/{cfg['visitor_id']}/sessions")
        assert r.status_code == 404
        r = await stranger.get(f"/api/v1/websites/{site['id']}/visitors/live")
        assert r.status_code == 404
    await sock.close()


async def test_bad_tracking_input_is_refused_with_the_field_named_and_nothing_kept(
    server, owner: Api
) -> None:
    site = await owner.create_website()
    cfg = (await config(server, site["id"], body={})).json()
    key = cfg["visitor_key"]
    bad_pages = [
        ({"pv": "short", "url": "https://shop.example.com/"}, "page.pv"),
        ({"pv": new_id(), "url": "x" * 3000}, "page.url"),
        ({"pv": new_id(), "url": "https://shop.example.com/", "extra": 1}, "page.extra"),
    ]
    for bad, field in bad_pages:
        r = await config(server, site["id"], body={"visitor_key": key, "page": bad})
        assert r.status_code == 422, r.text
        assert field in [f["field"] for f in r.json()["fields"]], r.json()
    r = await config(server, site["id"], body={"visitor_key": key, "client": {"screen": "huge"}})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "client.screen"
    # An unknown time zone from an odd browser is dropped, not refused.
    r = await config(
        server,
        site["id"],
        body={
            "visitor_key": key,
            "client": {"tz": "Mars/Olympus"},
            "page": page("https://shop.example.com/"),
        },
    )
    assert r.status_code == 200
    [s] = await sessions(owner, cfg["visitor_id"])
    assert s["timezone"] is None

    bad_events = [
        [{"type": "teleport"}],
        [{"type": "page_leave", "pv": new_id(), "duration_ms": -1}],
        [{"type": "page_view", "pv": new_id()}],
        [{"type": "ping"}] * 21,
    ]
    for evs in bad_events:
        r = await events(server, site["id"], {"visitor_key": key, "events": evs})
        assert r.status_code == 422, (evs[:1], r.text)
        assert r.json()["error"] == "validation_error"
    # A batch with one bad event keeps none of the good ones.
    mixed = [
        {"type": "page_view", **page("https://shop.example.com/kept?")},
        {"type": "page_leave", "pv": "x"},
    ]
    assert (await events(server, site["id"], {"visitor_key": key, "events": mixed})).status_code == 422
    [s] = await sessions(owner, cfg["visitor_id"])
    assert [v["url"] for v in s["page_views"]] == ["https://shop.example.com/"]
    # A forged key is refused.
    r = await events(server, site["id"], {"visitor_key": key + "x", "events": [{"type": "ping"}]})
    assert r.status_code == 401
