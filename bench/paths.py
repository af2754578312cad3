"""Server paths, each on a fresh database and a fresh server process:

- page-view ingest: what a page load costs the server — the widget's config request
  (which carries the page view once tracking is in) and its events request — as server CPU
  time per request (psutil on the server's PID, divided by the requests answered);
- message persistence: visitors sending as fast as acks come back (a few sends in flight
  each, no agents connected), i.e. how many messages a node can store and acknowledge;
- the conversation list (GET /api/v1/conversations) with 10,000 conversations seeded
  (bench/seed.py), one request at a time.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.typing import Origin

from bench.common import (
    ORIGIN,
    ROOT,
    SERVER_SRC,
    Admin,
    Server,
    fresh_database,
    hist_summary,
    log,
    new_hist,
    postgres_reachable,
    usage_of,
)

# --- payloads ---------------------------------------------------------------------------------


def _fresh_ids(payload: Any, visitor_key: str) -> Any:
    """The captured payload for another page view: our visitor key, new page-view and tab
    ids (each page view has its own), everything else as the widget sent it."""
    p = copy.deepcopy(payload)

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for k, v in list(x.items()):
                if k == "visitor_key":
                    x[k] = visitor_key
                elif k in ("pv", "tab") and isinstance(v, str):
                    x[k] = secrets.token_hex(8)
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(p)
    return p


def config_candidates(captured: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """Best first: what the real loader sent in Chromium; then the page-view shape of the
    tracking work (docs/widget.md, docs/api.md); then the plain documented request."""
    out: list[tuple[str, Any]] = []
    if captured and isinstance(captured.get("config"), dict):
        out.append(("captured from the loader in Chromium", captured["config"]))
    out.append(
        (
            "page view (tracking fields)",
            {
                "visitor_key": None,
                "locale": "en-GB",
                "tab": "tab0000000000000",
                "page": {
                    "pv": "pv00000000000000",
                    "url": "https://shop.example.com/products/blue-kettle?utm_source=news",
                    "title": "Blue kettle - Shop",
                    "referrer": "https://www.example.org/search?q=kettle",
                },
                "client": {
                    "tz": "Europe/Berlin",
                    "screen": "1920x1080",
                    "viewport": "1280x720",
                    "languages": ["en-GB"],
                },
            },
        )
    )
    out.append(("plain config request (visitor_key, locale)", {"visitor_key": None, "locale": "en-GB"}))
    return out


def events_candidates(captured: dict[str, Any] | None) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if captured and isinstance(captured.get("events"), dict):
        out.append(("captured from the loader in Chromium", captured["events"]))
    out.append(
        (
            "SPA page view + time on page",
            {
                "visitor_key": None,
                "tab": "tab0000000000000",
                "events": [
                    {"type": "page_leave", "pv": "pv00000000000000", "duration_ms": 41000},
                    {
                        "type": "page_view",
                        "pv": "pv11111111111111",
                        "url": "https://shop.example.com/cart",
                        "title": "Cart - Shop",
                        "referrer": "https://shop.example.com/products/blue-kettle",
                    },
                ],
            },
        )
    )
    out.append(
        (
            "WebsiteChat.track batch",
            {"visitor_key": None, "events": [{"name": "add_to_cart", "data": {"sku": "KET-BLUE", "qty": 1}}]},
        )
    )
    return out


# --- closed-loop HTTP with server CPU ------------------------------------------------------------


async def _hammer(
    http: httpx.AsyncClient,
    request: Any,
    seconds: float,
    concurrency: int,
    pids: list[int],
) -> dict[str, Any]:
    """`concurrency` clients, each sending the next request when the last is answered."""
    hist = new_hist()
    statuses: dict[int, int] = {}
    stop = time.monotonic() + seconds
    u0 = usage_of(pids)

    async def client() -> None:
        while time.monotonic() < stop:
            t = time.perf_counter()
            r = await request(http)
            hist.record_value(max(1, int((time.perf_counter() - t) * 1e6)))
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    await asyncio.gather(*(client() for _ in range(concurrency)))
    u1 = usage_of(pids)
    n = hist.get_total_count()
    return {
        "requests": n,
        "per_s": n / (u1.at - u0.at),
        "server_cpu_us": (u1.cpu - u0.cpu) / max(1, n) * 1e6,
        "server_cpu_pct": (u1.cpu - u0.cpu) / (u1.at - u0.at) * 100,
        "latency": hist_summary(hist),
        "statuses": {str(k): v for k, v in statuses.items()},
    }


async def _ingest(
    server: Server, seconds: float, concurrency: int, captured: dict[str, Any] | None
) -> dict[str, Any]:
    async with Admin(server.url) as admin:
        wid = await admin.create_website(["shop.example.com"])
    headers = {"Origin": ORIGIN, "Content-Type": "text/plain;charset=UTF-8"}
    out: dict[str, Any] = {}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, trust_env=False, limits=limits) as http:
        # Returning visitors: the common page view (the loader sends its stored key).
        keys = []
        for _ in range(50):
            r = await http.post(
                f"/api/v1/widget/{wid}/config", content='{"visitor_key":null}', headers=headers
            )
            r.raise_for_status()
            keys.append(r.json()["visitor_key"])

        async def pick(kind: str, candidates: list[tuple[str, Any]]) -> tuple[str, Any] | None:
            for label, payload in candidates:
                body = json.dumps(_fresh_ids(payload, keys[0]))
                r = await http.post(f"/api/v1/widget/{wid}/{kind}", content=body, headers=headers)
                if r.status_code in (200, 202):
                    return label, payload
                out.setdefault("refused", {})[f"{kind}: {label}"] = f"{r.status_code} {r.text[:300]}"
            return None

        counter = iter(range(10**9))

        def request_for(kind: str, payload: Any) -> Any:
            async def send(h: httpx.AsyncClient) -> httpx.Response:
                body = json.dumps(_fresh_ids(payload, keys[next(counter) % len(keys)]))
                return await h.post(f"/api/v1/widget/{wid}/{kind}", content=body, headers=headers)

            return send

        pids = [server.pid]
        # The floor of any request on this server: a route that does nothing.
        out["healthz"] = await _hammer(http, lambda h: h.get("/healthz"), seconds / 2, concurrency, pids)
        for kind, candidates in (
            ("config", config_candidates(captured)),
            ("events", events_candidates(captured)),
        ):
            chosen = await pick(kind, candidates)
            if chosen is None:
                out[kind] = {"skipped": "the server refused every payload (see refused)"}
                continue
            label, payload = chosen
            await _hammer(http, request_for(kind, payload), 1.0, concurrency, pids)  # warm-up
            res = await _hammer(http, request_for(kind, payload), seconds, concurrency, pids)
            res["payload"] = label
            res["example"] = _fresh_ids(payload, "<visitor_key>")
            out[kind] = res
            # The same request without its page view: the difference is what the page
            # view itself costs (the rest is the widget's config, or any events request).
            base = _without_page_view(kind, payload)
            if base is not None:
                await _hammer(http, request_for(kind, base), 1.0, concurrency, pids)
                res = await _hammer(http, request_for(kind, base), seconds, concurrency, pids)
                res["example"] = _fresh_ids(base, "<visitor_key>")
                out[kind + "_base"] = res
    return out


def _without_page_view(kind: str, payload: Any) -> Any | None:
    if not isinstance(payload, dict):
        return None
    if kind == "config" and "page" in payload:
        return {k: v for k, v in payload.items() if k != "page"}
    events = payload.get("events", [])
    if kind == "events" and any(isinstance(e, dict) and e.get("type") == "page_view" for e in events):
        # The same batch without its page view (a page_leave alone if nothing else is left).
        # Not a ping: each request here is a new tab, and a ping from an unlisted tab takes
        # the slow path that re-lists it, which a real ping from a listed tab never does.
        rest = [e for e in events if not (isinstance(e, dict) and e.get("type") == "page_view")]
        return {
            **payload,
            "events": rest or [{"type": "page_leave", "pv": "pv00000000000000", "duration_ms": 1000}],
        }
    return None


def ingest(
    db: str, workdir: Path, seconds: float, concurrency: int, captured: dict[str, Any] | None
) -> dict[str, Any]:
    log(f"paths: page-view ingest on {db}")
    if db == "postgres" and not postgres_reachable():
        return {"skipped": "PostgreSQL is not reachable"}
    with fresh_database(db, workdir) as url:
        server = Server(f"ingest-{db}", workdir, url)
        server.migrate()
        server.start()
        try:
            return asyncio.run(_ingest(server, seconds, concurrency, captured))
        finally:
            server.stop()


# --- message persistence -----------------------------------------------------------------------


async def _persist(server: Server, seconds: float, visitors: int, window: int) -> dict[str, Any]:
    async with Admin(server.url) as admin:
        wid = await admin.create_website(["shop.example.com"])
    socks = []
    async with httpx.AsyncClient(base_url=server.url, timeout=60, trust_env=False) as http:
        for _ in range(visitors):
            r = await http.post(
                f"/api/v1/widget/{wid}/config", json={"visitor_key": None}, headers={"Origin": ORIGIN}
            )
            r.raise_for_status()
            cfg = r.json()
            ws = await connect(
                f"{cfg['ws_url']}?token={cfg['token']}",
                origin=Origin(ORIGIN),
                compression=None,
                proxy=None,
                ping_interval=None,
            )
            await ws.send('{"type":"hello"}')
            while json.loads(await ws.recv()).get("type") != "welcome":
                pass
            socks.append(ws)
    hist = new_hist()
    acked = 0
    per_socket = [0] * len(socks)  # acks per visitor while measuring: is the server fair?
    errors: dict[str, int] = {}
    measuring = False
    stop_at = 0.0

    async def visitor(i: int, ws: Any) -> None:
        nonlocal acked
        sent_at: dict[str, float] = {}
        n = 0

        async def send() -> None:
            nonlocal n
            n += 1
            cmid = f"p{i:04d}-{n:08d}"
            sent_at[cmid] = time.perf_counter()
            await ws.send(
                json.dumps(
                    {"type": "message.send", "id": cmid, "client_msg_id": cmid, "body": f"message {n}"}
                )
            )

        for _ in range(window):
            await send()
        async for raw in ws:
            f = json.loads(raw)
            if f.get("type") == "ack":
                t = sent_at.pop(f["client_msg_id"], None)
                if measuring and t is not None:
                    acked += 1
                    per_socket[i] += 1
                    hist.record_value(max(1, int((time.perf_counter() - t) * 1e6)))
            elif f.get("type") == "error":
                code = str(f.get("code")) + ("" if f.get("id") else " (frame rate)")
                errors[code] = errors.get(code, 0) + 1
                sent_at.pop(str(f.get("id")), None)
                await asyncio.sleep(1.0)  # as the widget does: back off, then go on
            elif f.get("type") == "ping":
                await ws.send('{"type":"pong"}')
                continue
            else:
                continue
            if time.monotonic() >= stop_at and measuring:
                return
            await send()

    tasks = [asyncio.create_task(visitor(i, ws)) for i, ws in enumerate(socks)]
    stop_at = time.monotonic() + 2.0 + seconds
    await asyncio.sleep(2.0)  # warm-up: the first message of each visitor opens a conversation
    u0 = usage_of([server.pid])
    measuring = True
    await asyncio.sleep(seconds)
    u1 = usage_of([server.pid])
    measured = acked
    await asyncio.wait(tasks, timeout=30)
    for t in tasks:
        t.cancel()
    for ws in socks:
        await ws.close()
    return {
        "visitors": visitors,
        "in_flight": window,
        "stored_per_s": measured / (u1.at - u0.at),
        "server_cpu_ms_per_msg": (u1.cpu - u0.cpu) / max(1, measured) * 1000,
        "server_cpu_pct": (u1.cpu - u0.cpu) / (u1.at - u0.at) * 100,
        "ack_latency": hist_summary(hist),
        "acks_per_visitor_min_max": [min(per_socket), max(per_socket)],
        "errors": errors,
    }


def persistence(
    db: str, workdir: Path, seconds: float, visitors: int = 20, window: int = 2
) -> dict[str, Any]:
    log(f"paths: message persistence on {db}")
    if db == "postgres" and not postgres_reachable():
        return {"skipped": "PostgreSQL is not reachable"}
    with fresh_database(db, workdir) as url:
        # Each socket sends a few dozen frames a second here: above the default frame
        # limit (30/second), which a visitor typing never reaches.
        server = Server(f"persist-{db}", workdir, url, extra_env={"SITECHAT_RATE_WS_FRAMES": "1000/second"})
        server.migrate()
        server.start()
        try:
            return asyncio.run(_persist(server, seconds, visitors, window))
        finally:
            server.stop()


# --- conversation list -------------------------------------------------------------------------


def _seed(url: str, website_id: str, agent_id: str, n: int) -> float:
    """Seed in a child process that imports the server's own source tree."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SERVER_SRC, str(ROOT)) if p)
    t = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "bench.seed", url, website_id, agent_id, str(n)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return time.monotonic() - t


async def _list(server: Server, url: str, n: int, samples: int) -> dict[str, Any]:
    async with Admin(server.url) as admin:
        wid = await admin.create_website(["shop.example.com"])
        me = (await admin.http.get("/api/v1/auth/me")).json()["agent"]["id"]
        seed_s = await asyncio.to_thread(_seed, url, wid, me, n)
        http = admin.http
        # The cursor of page 40 (rows 2,001-2,050 of all statuses), fetched once.
        cursor = None
        for _ in range(40):
            r = await http.get(
                "/api/v1/conversations", params={"status": "all", **({"cursor": cursor} if cursor else {})}
            )
            r.raise_for_status()
            cursor = r.json()["next_cursor"]
        queries: dict[str, dict[str, str]] = {
            "open, first page (the console's default)": {},
            "all statuses, first page": {"status": "all"},
            "all statuses, page 40 (cursor)": {"status": "all", "cursor": cursor or ""},
            "one website, unassigned, open": {"website_id": wid, "assignee": "unassigned"},
            "assigned to me, all statuses": {"assignee": "me", "status": "all"},
            "all statuses, limit=200": {"status": "all", "limit": "200"},
        }
        out: dict[str, Any] = {"conversations": n, "seed_seconds": seed_s, "queries": {}}
        for label, params in queries.items():
            hist = new_hist()
            for _ in range(3):  # warm the caches of both the server and the database
                (await http.get("/api/v1/conversations", params=params)).raise_for_status()
            u0 = usage_of([server.pid])
            items = 0
            for _ in range(samples):
                t = time.perf_counter()
                r = await http.get("/api/v1/conversations", params=params)
                hist.record_value(max(1, int((time.perf_counter() - t) * 1e6)))
                r.raise_for_status()
                items = len(r.json()["items"])
            u1 = usage_of([server.pid])
            out["queries"][label] = {
                **hist_summary(hist),
                "items": items,
                "server_cpu_ms": (u1.cpu - u0.cpu) / samples * 1000,
            }
    return out


def conversation_list(db: str, workdir: Path, n: int, samples: int) -> dict[str, Any]:
    log(f"paths: conversation list with {n} conversations on {db}")
    if db == "postgres" and not postgres_reachable():
        return {"skipped": "PostgreSQL is not reachable"}
    with fresh_database(db, workdir) as url:
        server = Server(f"list-{db}", workdir, url)
        server.migrate()
        server.start()
        try:
            return asyncio.run(_list(server, url, n, samples))
        finally:
            server.stop()
