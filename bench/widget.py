"""Widget weight and what it costs a host page.

Sizes: the built files the server sends (src/sitechat/static, names from manifest.json),
raw, gzip and brotli, grouped as the browser fetches them: the loader; everything before
the first open (loader + launcher script + launcher stylesheet); the panel.

Page impact: a realistic host page (bench/hostpage) served from its own origin
(http://localhost:PORT) with and without the install snippet of a sitechat server on
another origin (http://127.0.0.1:PORT2), loaded many times in headless Chromium,
alternating the two (with first on even runs, without first on odd ones) so drift in the
machine's load hits both alike. Each load gets a fresh browser context (a first visit:
empty cache, no visitor key); a second tab in that context then loads the page again (a
repeat view: cache warm, visitor known).

Per load: main-thread time (CDP Performance.getMetrics TaskDuration: every task the page's
main thread ran, not only long ones), total blocking time from long tasks, the load event,
first contentful paint, snippet → launcher visible, and the bytes received from the
sitechat origin (CDP Network.loadingFinished). The report gives medians, the difference
and the with/without ratio.
"""

from __future__ import annotations

import asyncio
import gzip
import http.server
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import BENCH, STATIC, Admin, Server, fresh_database, log, median

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# DESIGN.md "Testing": Debian's Chromium, no sandbox, no background traffic.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTPAGE = BENCH / "hostpage"

# --- sizes ----------------------------------------------------------------------------------


def _compressed(path: Path, suffix: str, compress: Callable[[bytes], bytes]) -> int:
    """The size the server sends: the build's precompressed copy when there is one."""
    pre = path.with_name(path.name + suffix)
    if pre.exists():
        return pre.stat().st_size
    return len(compress(path.read_bytes()))


def _brotli(data: bytes) -> bytes:
    import brotli

    return bytes(brotli.compress(data, quality=11))


def sizes() -> dict[str, Any]:
    manifest_path = STATIC / "manifest.json"
    if not manifest_path.exists():
        return {"skipped": "the widget is not built (make build)"}
    manifest = json.loads(manifest_path.read_text())
    groups = {
        "loader": ["widget/loader.js"],
        "before_open": [
            "widget/loader.js",
            manifest.get("widget/launcher.js", ""),
            manifest.get("widget/launcher.css", ""),
        ],
        "panel": [manifest.get("widget/panel.js", ""), manifest.get("widget/panel.css", "")],
    }
    files: dict[str, dict[str, int]] = {}
    out: dict[str, Any] = {"files": files}
    for group, names in groups.items():
        total = {"raw": 0, "gzip": 0, "brotli": 0}
        for name in names:
            path = STATIC / name
            if not name or not path.exists():
                out.setdefault("missing", []).append(name or group)
                continue
            f = {
                "raw": path.stat().st_size,
                "gzip": _compressed(path, ".gz", lambda b: gzip.compress(b, 9)),
                "brotli": _compressed(path, ".br", _brotli),
            }
            files[name] = f
            for k in total:
                total[k] += f[k]
        out[group] = total
    # Is the build older than the widget's sources? Then these are not today's sizes.
    built = STATIC / ".built"
    sources = [p for p in (BENCH.parent / "widget" / "src").rglob("*") if p.is_file()]
    if built.exists() and sources and max(p.stat().st_mtime for p in sources) > built.stat().st_mtime:
        out["stale"] = True
    return out


# --- the host site ----------------------------------------------------------------------------

SECTIONS = [
    "Why we started roasting our own beans",
    "Choosing a grinder that lasts",
    "Water: the other 98 percent",
    "Filter, espresso or both?",
    "Delivery, returns and the small print",
    "Subscriptions that fit your week",
    "Looking after your machine",
    "Questions our customers ask most",
]
PARAGRAPH = (
    "Every bag we send is roasted in small batches on the Tuesday before it ships, rested for "
    "two days and packed with a one-way valve so it keeps its aroma for weeks. We publish the "
    "farm, the altitude and the process of each lot, and we answer every message ourselves, "
    "usually within the hour during opening times. If a grind setting or a recipe does not "
    "work for you, tell us what you brewed and how it tasted, and we will suggest a change. "
)


def host_page(snippet: str) -> str:
    """The same page with and without the widget: only `snippet` differs."""
    article = []
    for i, title in enumerate(SECTIONS):
        article.append(f"<h2>{title}</h2>")
        article += [f"<p>{PARAGRAPH * 2}</p>" for _ in range(4)]
        if i % 3 == 1:
            article.append(
                f'<figure><img data-src="/hero.svg" width="960" height="400" alt=""><figcaption>Fig. {i}'
                "</figcaption></figure>"
            )
    cards = "".join(
        f'<div class="card"><img src="/product.svg" width="320" height="200" alt=""><h4>Blend no. {n}</h4>'
        f"<p>Chocolate, hazelnut and a long finish.</p>"
        f'<div class="price" data-cents="{1290 + 100 * n}"></div></div>'
        for n in range(1, 7)
    )
    footer = "".join(
        f"<div><h5>{h}</h5><ul>"
        + "".join(f'<li><a href="#">{h} link {k}</a></li>' for k in range(5))
        + "</ul></div>"
        for h in ("Shop", "Help", "Company", "Legal")
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bench Coffee Roasters</title>
<link rel="stylesheet" href="/site.css">
</head><body>
<header class="top"><div class="wrap"><a class="logo" href="/">Bench Coffee</a>
<ul class="nav"><li><a href="#">Shop</a></li><li><a href="#">Subscriptions</a></li>
<li><a href="#">Journal</a></li><li><a href="#">About</a></li><li><a href="#">Contact</a></li></ul>
<button class="nav-toggle" type="button">Menu</button></div></header>
<section class="hero"><div class="wrap"><h1>Fresh coffee, roasted this week</h1>
<p>Small-batch coffee from farms we know by name, delivered to your door.</p>
<a class="btn" href="#">Shop the blends</a></div></section>
<main><div class="wrap"><article>{"".join(article)}<div class="cards">{cards}</div></article>
<aside><nav class="toc"><h3>On this page</h3><ol></ol></nav></aside></div></main>
<footer><div class="wrap cols">{footer}</div></footer>
<div class="cookie" hidden><p>We use one cookie to remember this choice.</p>
<button type="button">OK</button></div>
<script src="/site.js"></script>
<script>
(function () {{
  // Bench instrumentation, identical with and without the widget.
  var b = (window.__bench = {{ lt: [], visible: null, snippet: performance.now() }});
  try {{
    new PerformanceObserver(function (l) {{
      l.getEntries().forEach(function (e) {{ b.lt.push(e.duration); }});
    }}).observe({{ type: "longtask", buffered: true }});
  }} catch (e) {{}}
  function shown() {{
    var h = document.querySelector("sitechat-widget");
    var btn = h && h.shadowRoot && h.shadowRoot.querySelector('[data-testid="sitechat-launcher"]');
    if (btn && btn.getBoundingClientRect().width > 0) {{ b.visible = performance.now(); return true; }}
    return false;
  }}
  new MutationObserver(function (m, o) {{
    if (!document.querySelector("sitechat-widget")) return;
    o.disconnect();
    (function poll() {{ if (!shown()) requestAnimationFrame(poll); }})();
  }}).observe(document.body, {{ childList: true }});
}})();
</script>
{snippet}
</body></html>
"""


class HostSite:
    """Static files on http://localhost:PORT (another origin than the sitechat server)."""

    def __init__(self, pages: dict[str, str]) -> None:
        files = {
            name: (HOSTPAGE / name).read_bytes()
            for name in ("site.css", "site.js", "hero.svg", "product.svg")
        }
        types = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".html": "text/html"}
        for name, html in pages.items():
            files[name] = html.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.split("?")[0].lstrip("/")
                body = files.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", types.get(Path(name).suffix, "application/octet-stream"))
                self.send_header("Content-Length", str(len(body)))
                # As a typical CDN would: HTML revalidated, assets cached a while.
                self.send_header("Cache-Control", "no-cache" if name.endswith(".html") else "max-age=3600")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- one page load ------------------------------------------------------------------------------


def _chromium_cpu() -> float:
    """CPU seconds of every Chromium process we started (browser, renderers, network,
    GPU): unlike task durations, CPU time is not stretched when other work on the machine
    preempts the browser."""
    import psutil

    total = 0.0
    for p in psutil.Process().children(recursive=True):
        try:
            if "chrom" in p.name():
                t = p.cpu_times()
                total += t.user + t.system
        except psutil.Error:
            continue
    return total


def _load(
    context: Any, url: str, widget: bool, sitechat: str, throttle: float, settle_ms: int
) -> dict[str, Any]:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    cdp.send("Network.enable")
    if throttle > 1:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    urls: dict[str, str] = {}
    received: dict[str, float] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: received.__setitem__(e["requestId"], e["encodedDataLength"]))
    cpu0 = _chromium_cpu()
    page.goto(url, wait_until="load")
    if widget:
        page.wait_for_function("window.__bench && window.__bench.visible !== null", timeout=30000)
    page.wait_for_timeout(settle_ms)
    cpu = _chromium_cpu() - cpu0
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    timing = page.evaluate(
        """() => {
          const n = performance.getEntriesByType("navigation")[0];
          const fcp = performance.getEntriesByName("first-contentful-paint")[0];
          const b = window.__bench;
          return {load: n.loadEventStart, dcl: n.domContentLoadedEventEnd, fcp: fcp ? fcp.startTime : null,
                  visible: b.visible === null ? null : b.visible - b.snippet, longtasks: b.lt};
        }"""
    )
    ours = [rid for rid, u in urls.items() if u.startswith(sitechat)]
    page.close()
    return {
        "task_ms": metrics.get("TaskDuration", 0) * 1000,
        "cpu_ms": cpu * 1000,
        "script_ms": metrics.get("ScriptDuration", 0) * 1000,
        "layout_style_ms": (metrics.get("LayoutDuration", 0) + metrics.get("RecalcStyleDuration", 0)) * 1000,
        "tbt_ms": sum(max(0.0, d - 50) for d in timing["longtasks"]),
        "longtasks": len(timing["longtasks"]),
        "load_ms": timing["load"],
        "dcl_ms": timing["dcl"],
        "fcp_ms": timing["fcp"],
        "visible_ms": timing["visible"],
        "sitechat_bytes": sum(received.get(rid, 0) for rid in ours),
        "sitechat_requests": len(ours),
        "total_bytes": sum(received.values()),
    }


def _capture(context: Any, url: str) -> dict[str, Any]:
    """What the real loader posts (config; and events, flushed when the page is left): the
    ingest benchmark replays exactly that, so it follows the widget as tracking lands."""
    seen: dict[str, Any] = {}

    def on_request(req: Any) -> None:
        for kind in ("config", "events"):
            if req.method == "POST" and "/api/v1/widget/" in req.url and req.url.endswith("/" + kind):
                try:
                    seen.setdefault(kind, json.loads(req.post_data or "null"))
                except ValueError:
                    pass

    context.on("request", on_request)
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_function("window.__bench && window.__bench.visible !== null", timeout=30000)
    page.wait_for_timeout(1500)
    page.goto("about:blank")  # pagehide: a loader flushes what it batched
    page.wait_for_timeout(1000)
    page.close()
    return seen


def page_impact(workdir: Path, runs: int, throttle: float = 1.0, settle_ms: int = 700) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        return {
            "skipped": f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
        }
    if not (STATIC / "manifest.json").exists():
        return {"skipped": "the widget is not built (make build)"}
    with fresh_database("sqlite", workdir) as db:
        server = Server("widget", workdir, db)
        server.migrate()
        server.start()
        try:
            snippet = asyncio.run(_website(server.url))
            site = HostSite({"with.html": host_page(snippet), "without.html": host_page("")})
            try:
                with sync_playwright() as pw:
                    browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
                    try:
                        ctx = browser.new_context()
                        captured = _capture(ctx, site.origin + "/with.html")
                        ctx.close()
                        samples: dict[str, list[dict[str, Any]]] = {
                            k: [] for k in ("with", "without", "with_repeat", "without_repeat")
                        }
                        for i in range(runs):
                            order = ("with", "without") if i % 2 == 0 else ("without", "with")
                            for variant in order:
                                widget = variant == "with"
                                url = f"{site.origin}/{variant}.html"
                                ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                                samples[variant].append(
                                    _load(ctx, url, widget, server.url, throttle, settle_ms)
                                )
                                samples[variant + "_repeat"].append(
                                    _load(ctx, url, widget, server.url, throttle, settle_ms)
                                )
                                ctx.close()
                            if (i + 1) % 5 == 0:
                                log(f"  widget: {i + 1}/{runs} runs")
                    finally:
                        browser.close()
            finally:
                site.close()
        finally:
            server.stop()
    return {
        "runs": runs,
        "throttle": throttle,
        "samples": samples,
        "summary": summarize(samples),
        "captured": captured,
    }


async def _website(url: str) -> str:
    async with Admin(url) as admin:
        r = await admin.http.post("/api/v1/websites", json={"name": "Bench host", "domains": ["localhost"]})
        r.raise_for_status()
        return str(r.json()["snippet"])


METRICS = (
    "task_ms",
    "cpu_ms",
    "script_ms",
    "layout_style_ms",
    "tbt_ms",
    "load_ms",
    "fcp_ms",
    "visible_ms",
    "sitechat_bytes",
    "sitechat_requests",
    "total_bytes",
)


def summarize(samples: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, dict[str, float]]]:
    """Per visit kind (first, repeat) and metric: median with, median without, added, ratio."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for visit, suffix in (("first", ""), ("repeat", "_repeat")):
        out[visit] = {}
        for m in METRICS:
            w = [s[m] for s in samples["with" + suffix] if s[m] is not None]
            wo = [s[m] for s in samples["without" + suffix] if s[m] is not None]
            mw, mwo = median(w), median(wo)
            out[visit][m] = {
                "with": mw,
                "without": mwo,
                "added": mw - mwo if wo else mw,
                "ratio": mw / mwo if wo and mwo else float("nan"),
            }
    return out
