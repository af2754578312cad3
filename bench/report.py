"""bench/RESULTS.md from the results of one run: every figure with its budget from
DESIGN.md where there is one, and with its ratio to the floor where there is one."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from bench.common import DEFAULT_RATES, RATE_ENV, fmt_bytes, fmt_ms

KB = 1024  # budgets in KB are read as KiB
BUDGETS = {
    "loader_gzip": 2 * KB,
    "before_open_gzip": 10 * KB,
    "panel_gzip": 25 * KB,
    "main_thread_ms": 10.0,
    "p99_1k_ms": 50.0,
    "p99_10k_ms": 100.0,
    "connections": 10_000,
    "idle_conn_bytes": 30 * KB,
}


def _verdict(value: float | None, budget: float, lower_is_better: bool = True) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not measured"
    ok = value <= budget if lower_is_better else value >= budget
    return "within budget" if ok else "**over budget**" if lower_is_better else "**below target**"


def _ratio(value: float | None, floor: float | None) -> str:
    if value is None or floor is None or not floor or value != value or floor != floor:
        return ""
    return f" ({value / floor:.1f}x)"


def _connected(f: dict[str, Any]) -> int:
    return int(f.get("visitors_connected", 0)) + int(f.get("agents_connected", 0))


def _refused(f: dict[str, Any]) -> int:
    return sum(f.get("refused", {}).values())


def _lat(fig: dict[str, Any], name: str, key: str) -> float | None:
    v = fig.get("latency", {}).get(name, {}).get(key)
    return float(v) if v is not None else None


class Md:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def p(self, text: str = "") -> None:
        self.lines.append(text)

    def table(self, head: list[str], rows: list[list[str]]) -> None:
        self.p("| " + " | ".join(head) + " |")
        self.p("|" + "|".join("---" for _ in head) + "|")
        for r in rows:
            self.p("| " + " | ".join(r) + " |")
        self.p()


def render(res: dict[str, Any]) -> str:
    md = Md()
    meta = res["meta"]
    md.p("# Benchmark results")
    md.p()
    md.p(
        "Written by `make bench` (bench/README.md says how each figure is measured). These are "
        "measurements, not tests: nothing here fails a build. Budgets are those of "
        "`../shared/DESIGN.md` (KB read as KiB)."
    )
    md.p()
    md.table(
        ["", ""],
        [
            ["date", meta["date"]],
            ["command", f"`{meta['command']}`"],
            ["took", f"{meta['seconds'] / 60:.1f} min"],
            ["machine", f"{meta['cpu']}, {meta['memory']} RAM, {meta['os']}"],
            [
                "software",
                f"Python {meta['python']}; {meta['postgresql']}; {meta['redis']}; {meta['chromium']}",
            ],
            ["commit", meta["commit"]],
            ["server source", meta.get("server_src") or "this working tree"],
            ["load average (1 min) at start / end", f"{meta['load_start']:.2f} / {meta['load_end']:.2f}"],
        ],
    )
    surprises = _surprises(res)
    md.p("## Headlines")
    md.p()
    md.table(["figure", "measured", "budget", ""], _headlines(res))
    if surprises:
        md.p("## Look here first")
        md.p()
        for s in surprises:
            md.p(f"- {s}")
        md.p()
    if "realtime" in res:
        _realtime(md, res["realtime"])
    if "widget" in res:
        _widget(md, res["widget"])
    if "paths" in res:
        _paths(md, res["paths"])
    if res.get("errors"):
        md.p("## Sections that failed")
        md.p()
        for section, err in res["errors"].items():
            md.p(f"- **{section}**: `{err.strip().splitlines()[-1][:300]}` (full traceback in bench/out)")
        md.p()
    return "\n".join(md.lines).rstrip() + "\n"


# --- headlines ------------------------------------------------------------------------------------


def _headlines(res: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    sizes = res.get("widget", {}).get("sizes", {})
    for key, label, budget in (
        ("loader", "loader script, gzip", "loader_gzip"),
        (
            "before_open",
            "loaded before the first open (loader + launcher js + css), gzip",
            "before_open_gzip",
        ),
        ("panel", "panel after open (js + css), gzip", "panel_gzip"),
    ):
        v = sizes.get(key, {}).get("gzip")
        rows.append([label, fmt_bytes(v), f"≤ {fmt_bytes(BUDGETS[budget])}", _verdict(v, BUDGETS[budget])])
    impact = res.get("widget", {}).get("impact", {}).get("summary", {}).get("first", {})
    added = impact.get("task_ms", {}).get("added")
    rows.append(
        [
            "host page main-thread time added by the widget (median, first visit)",
            fmt_ms(added),
            "≤ 10 ms",
            _verdict(added, BUDGETS["main_thread_ms"]),
        ]
    )
    rt = res.get("realtime", {})
    for group, budget_key, label in (("scenarios", "p99_1k_ms", "1,000"), ("large", "p99_10k_ms", "10,000")):
        for name, fig in rt.get(group, {}).items():
            if name == "floor" or "skipped" in fig:
                continue
            p99 = _lat(fig, "v2a", "p99")
            rows.append(
                [
                    f"delivery visitor → agent p99, {label} visitors, {fig.get('title', name)}",
                    fmt_ms(p99),
                    f"≤ {BUDGETS[budget_key]:.0f} ms",
                    _verdict(p99, BUDGETS[budget_key]),
                ]
            )
    held = [
        (
            fig.get("title", n),
            fig.get("visitors_connected", 0) + fig.get("agents_connected", 0),
            fig.get("open_at_end", 0),
        )
        for n, fig in rt.get("large", {}).items()
        if n != "floor" and "skipped" not in fig and fig.get("nodes", 1) == 1
    ]
    if held:
        for title, conn, open_ in held:
            rows.append(
                [
                    f"concurrent WebSockets held on one node ({title})",
                    f"{open_:,} open at the end ({conn:,} connected)",
                    "≥ 10,000",
                    _verdict(open_, BUDGETS["connections"], lower_is_better=False),
                ]
            )
    else:
        rows.append(
            ["concurrent WebSockets on one node", "not run (`make bench BENCH_ARGS=--large`)", "≥ 10,000", ""]
        )
    for group in ("scenarios", "large"):
        for name, fig in rt.get(group, {}).items():
            if name == "floor" or "skipped" in fig:
                continue
            v = fig.get("rss_per_idle_conn")
            n = fig.get("visitors_connected", 0)
            rows.append(
                [
                    f"memory per idle connection, {n:,} visitors, {fig.get('title', name)}",
                    fmt_bytes(v),
                    "≤ 30 KiB",
                    _verdict(v, BUDGETS["idle_conn_bytes"]),
                ]
            )
    bad = [
        (fig.get("title", n), fig.get("lost", 0) + fig.get("duplicates", 0) + fig.get("unexpected", 0))
        for g in ("scenarios", "large")
        for n, fig in rt.get(g, {}).items()
        if "skipped" not in fig
    ]
    if bad:
        total = sum(b for _, b in bad)
        rows.append(
            [
                "messages lost, shown twice or shown to the wrong socket (all scenarios)",
                str(total),
                "0",
                "ok" if total == 0 else "**BUG**",
            ]
        )
    return rows


def _surprises(res: dict[str, Any]) -> list[str]:
    out = []
    rt = res.get("realtime", {})
    for group in ("scenarios", "large"):
        for name, fig in rt.get(group, {}).items():
            if "skipped" in fig:
                continue
            title = fig.get("title", name)
            for key, what in (
                ("lost", "messages lost (stored and acked, never delivered to a socket that stayed open)"),
                ("duplicates", "messages delivered twice to one socket"),
                ("unexpected", "messages delivered to a socket that should not see them"),
                ("order_errors", "messages out of seq order"),
                ("unanswered", "sends never acked nor refused"),
            ):
                if fig.get(key):
                    out.append(f"**{title}: {fig[key]} {what}.** A bug, or the harness: see bench/out.")
            if fig.get("closes"):
                out.append(
                    f"{title}: the server closed sockets during the run (close codes {fig['closes']})."
                )
            if fig.get("connect_failures"):
                out.append(f"{title}: connections failed ({fig['connect_failures']}).")
            if fig.get("refused"):
                out.append(f"{title}: sends refused ({fig['refused']}).")
            if fig.get("redis_channels_left"):
                out.append(
                    f"**{title}: {fig['redis_channels_left']} visitor topics were still subscribed in Redis "
                    "5 s after every load socket had closed**: goodbyes cut short (see the tracebacks: "
                    "`CancelledError` in `broker.unsubscribe` under `_goodbye`) leave subscriptions and hub "
                    "listeners behind on a mass disconnect. A leak; looks like a server bug."
                )
            if fig.get("server_errors_logged"):
                out.append(
                    f"{title}: the server logged {fig['server_errors_logged']} tracebacks during the run or "
                    "while the load sockets closed (node logs in bench/out)."
                )
            if fig.get("server_errors_at_shutdown"):
                out.append(
                    f"{title}: {fig['server_errors_at_shutdown']} tracebacks while the nodes were stopped "
                    "(SIGTERM after every load socket had closed); node logs in bench/out."
                )
            if fig.get("others_cpu_pct", 0) > 50:
                out.append(
                    f"{title}: other processes used {fig['others_cpu_pct']:.0f} % of a core while it ran: "
                    "its latencies are not the server's alone."
                )
            if fig.get("profile"):
                top = ", ".join(f"{f} {p:.0f} %" for f, p in fig["profile"][:4])
                out.append(f"{title}: where the server's time went during the send phase: {top}.")
    for db, r in res.get("paths", {}).get("persistence", {}).items():
        lo, hi = r.get("acks_per_visitor_min_max", [0, 0])
        if hi > 10 * max(1, lo):
            out.append(
                f"Message persistence on {db}: under saturation the server served its sockets very "
                f"unevenly ({lo} to {hi} acks per visitor in the same window): some senders wait seconds."
            )
    for db, r in res.get("paths", {}).get("ingest", {}).items():
        for ep in ("config", "events"):
            us = _page_view_us(r, ep)
            if us is not None and us > 1000:
                out.append(
                    f"Page-view ingest on {db}: a page view through `{ep}` costs {us / 1000:.1f} ms of "
                    "server CPU, against a target of well under 1 ms."
                )
    if res.get("widget", {}).get("sizes", {}).get("stale"):
        out.append("The widget build is older than widget/src: the sizes are those of the last `make build`.")
    return out


def _page_view_us(r: dict[str, Any], ep: str) -> float | None:
    """Server CPU of the page view itself: the request with it minus the same without."""
    with_pv = r.get(ep, {}).get("server_cpu_us")
    without = r.get(ep + "_base", {}).get("server_cpu_us")
    if with_pv is None or without is None:
        return None
    return float(with_pv - without)


# --- sections ---------------------------------------------------------------------------------


def _rate_note(spec: dict[str, Any], figs: dict[str, Any]) -> list[str]:
    """What the server's default limits would have done to this load."""
    connect_s = max((f.get("connect_seconds", 0) for f in figs.values() if "skipped" not in f), default=0)
    per_addr_min = spec["visitors"] / max(1, spec["workers"]) / max(connect_s, 1) * 60
    agent_min = spec["agent_rate"] / max(1, spec["agents"]) * 60
    visitor_min = spec["visitor_rate"] / max(1, spec["visitors"]) * 60
    agents_verdict = "some would be refused" if agent_min > 55 else "under the limit"
    return [
        f"- config requests: about {per_addr_min:,.0f} a minute from each load-worker address, against "
        f"{DEFAULT_RATES['SITECHAT_RATE_WIDGET_CONFIG']} per website and address: most visitors "
        "would get 429 (a real crowd comes from many addresses; the limit is aimed at one address "
        "hammering).",
        f"- agent replies: {agent_min:.0f} a minute per agent, against "
        f"{DEFAULT_RATES['SITECHAT_RATE_MESSAGES']} per sender: {agents_verdict}; visitors send "
        f"{visitor_min:.1f} a minute each.",
        f"- logins: {spec['agents'] + 1} API-token set-ups from one address, against "
        f"{DEFAULT_RATES['SITECHAT_RATE_LOGIN']}.",
        f"- frames per connection: at most a few a second, under the default "
        f"{DEFAULT_RATES['SITECHAT_RATE_WS_FRAMES']}, which stays in force.",
        "- so the bench raises the counts (not the windows): "
        + ", ".join(f"`{k}={v}`" for k, v in RATE_ENV.items())
        + ".",
    ]


def _realtime(md: Md, rt: dict[str, Any]) -> None:
    spec = rt["spec"]
    md.p("## Realtime load")
    md.p()
    md.p(
        f"{spec['visitors']:,} visitor and {spec['agents']} agent WebSockets through the real protocol "
        f"(widget config request → `/ws/visitor`; API token → `/ws/agent`), {spec['workers']} load "
        f"processes, sockets bound to 127.0.0.2-141 (visitors) and 127.0.0.150-199 (agents). Open loop "
        f"for {spec['duration']:.0f} s: visitors send {spec['visitor_rate']:g} messages/s in all, "
        f"agents reply {spec['agent_rate']:g}/s in all to conversations they have seen. Every agent "
        "socket receives every message of the website; each message also comes back to its sender. "
        "Latency runs from the time a message was *due* (so a late sender counts) to its arrival. "
        "Ratios (x) are to the floor: the bare relay in `bench/relay.py`, driven by the same harness."
    )
    md.p()
    for group, title in (("scenarios", "Default scenarios"), ("large", "Large scenarios (`--large`)")):
        figs = rt.get(group)
        if not figs:
            continue
        if group == "large":
            lspec = rt.get("large_spec", spec)
            md.p(
                f"### {title}: {lspec['visitors']:,} visitors, {lspec['agents']} agents, "
                f"{lspec['visitor_rate']:g} + {lspec['agent_rate']:g} messages/s, {lspec['duration']:.0f} s"
            )
        else:
            md.p(f"### {title}")
        md.p()
        _scenario_table(md, figs)
    md.p("What the server's default rate limits would have done to this load:")
    md.p()
    for line in _rate_note(spec, rt.get("scenarios", {})):
        md.p(line)
    md.p()


def _scenario_table(md: Md, figs: dict[str, Any]) -> None:
    names = list(figs)
    floor = figs.get("floor", {})
    head = ["figure"] + [figs[n].get("title", n) for n in names]
    rows: list[list[str]] = []

    def row(label: str, get: Any, fmt: Any, ratio: bool = False) -> None:
        cells = []
        fv = get(floor) if floor and "skipped" not in floor else None
        for n in names:
            f = figs[n]
            if "skipped" in f:
                cells.append("skipped: " + f["skipped"])
                continue
            v = get(f)
            cells.append(fmt(v) + (_ratio(v, fv) if ratio and n != "floor" else ""))
        rows.append([label, *cells])

    def ms(v: Any) -> str:
        return fmt_ms(v)

    def num(v: Any) -> str:
        return "-" if v is None else f"{v:,.0f}" if isinstance(v, int | float) else str(v)

    def pct(v: Any) -> str:
        return "-" if v is None else f"{v:.0f} %"

    row(
        "connections held at the end / connected",
        lambda f: (
            f"{f.get('open_at_end', 0):,} / {f.get('visitors_connected', 0) + f.get('agents_connected', 0):,}"
        ),
        str,
    )
    for key, label in (("p50", "p50"), ("p95", "p95"), ("p99", "p99"), ("max", "max")):
        row(f"delivery visitor → agent, {label}", lambda f, k=key: _lat(f, "v2a", k), ms, ratio=True)
    row("delivery agent → visitor, p50", lambda f: _lat(f, "a2v", "p50"), ms, ratio=True)
    row("delivery agent → visitor, p99", lambda f: _lat(f, "a2v", "p99"), ms, ratio=True)
    row("ack (stored) after due time, p99", lambda f: _lat(f, "ack", "p99"), ms, ratio=True)
    row("sender lateness (load generator), p99", lambda f: _lat(f, "lag", "p99"), ms)
    row("messages stored / s", lambda f: f.get("stored_per_s"), lambda v: f"{v:.1f}")
    row("deliveries / s (all sockets)", lambda f: f.get("deliveries_per_s"), lambda v: f"{v:,.0f}")
    row(
        "lost · duplicated · to the wrong socket",
        lambda f: f"{f.get('lost', 0)} · {f.get('duplicates', 0)} · {f.get('unexpected', 0)}",
        str,
    )
    row(
        "out of seq order · unanswered · refused",
        lambda f: (
            f"{f.get('order_errors', 0)} · {f.get('unanswered', 0)} · {sum(f.get('refused', {}).values())}"
        ),
        str,
    )
    row("missed after the server closed the socket", lambda f: f.get("lost_on_closed", 0), num)
    row("Redis visitor subscriptions left after all closed", lambda f: f.get("redis_channels_left"), num)
    row("server tracebacks logged (run + disconnects)", lambda f: f.get("server_errors_logged"), num)
    row("server CPU while sending (% of one core)", lambda f: f.get("server_cpu_pct"), pct, ratio=True)
    row(
        "server CPU per stored message",
        lambda f: f.get("server_cpu_ms_per_msg"),
        lambda v: fmt_ms(v, 2),
        ratio=True,
    )
    row("server CPU with every socket idle", lambda f: f.get("idle_cpu_pct"), pct)
    row("connects / s (config + WebSocket + welcome)", lambda f: f.get("connect_rate"), num)
    row(
        "server CPU per visitor connect",
        lambda f: f.get("connect_cpu_ms"),
        lambda v: fmt_ms(v, 2),
        ratio=True,
    )
    row(
        "memory per idle connection (RSS growth / N)",
        lambda f: f.get("rss_per_idle_conn"),
        fmt_bytes,
        ratio=True,
    )
    row("server RSS, all connected and idle", lambda f: f.get("rss_idle"), fmt_bytes)
    row("load generator CPU (% of one core)", lambda f: f.get("loadgen_cpu_pct"), pct)
    row("PostgreSQL + Redis CPU (whole machine)", lambda f: f.get("db_redis_cpu_pct"), pct)
    row("other processes' CPU (not ours)", lambda f: f.get("others_cpu_pct"), pct)
    md.table(head, rows)


def _widget(md: Md, w: dict[str, Any]) -> None:
    md.p("## Widget weight and page impact")
    md.p()
    sizes = w.get("sizes", {})
    if "skipped" in sizes:
        md.p(f"Sizes skipped: {sizes['skipped']}.")
    else:
        md.p(
            "Bytes the server sends (the build's precompressed `.gz`/`.br` copies); files from "
            "`manifest.json`."
        )
        md.p()
        rows = []
        for key, label, budget in (
            ("loader", "loader (`/widget/loader.js`)", "loader_gzip"),
            ("before_open", "before the first open: loader + launcher js + launcher css", "before_open_gzip"),
            ("panel", "panel after open: panel js + css", "panel_gzip"),
        ):
            s = sizes.get(key, {})
            rows.append(
                [
                    label,
                    fmt_bytes(s.get("raw")),
                    f"{fmt_bytes(s.get('gzip'))} ({s.get('gzip', 0):,} B)",
                    fmt_bytes(s.get("brotli")),
                    f"≤ {fmt_bytes(BUDGETS[budget])}: {_verdict(s.get('gzip'), BUDGETS[budget])}",
                ]
            )
        md.table(["what", "raw", "gzip", "brotli", "budget (gzip)"], rows)
        md.p(
            "Modern browsers take the launcher's css from inside the launcher script (adopted "
            "stylesheet); the separate css file is fetched only by old Safari. The byte counts "
            "measured in Chromium below are what a page actually received."
        )
        md.p()
        files = sizes.get("files", {})
        if files:
            md.table(
                ["file", "raw", "gzip", "brotli"],
                [
                    [f"`{n}`", fmt_bytes(f["raw"]), fmt_bytes(f["gzip"]), fmt_bytes(f["brotli"])]
                    for n, f in files.items()
                ],
            )
    imp = w.get("impact", {})
    if "skipped" in imp:
        md.p(f"Page impact skipped: {imp['skipped']}.")
        md.p()
        return
    if "summary" not in imp:
        return
    md.p(
        f"Headless Chromium, a host page on http://localhost:PORT with the sitechat server on "
        f"http://127.0.0.1:PORT2, {imp['runs']} runs of each variant alternating, CPU throttling "
        f"{imp['throttle']:g}x. Medians; *added* = with - without."
    )
    md.p()
    labels: dict[str, tuple[str, Callable[[Any], str]]] = {
        "task_ms": ("main-thread task time (CDP TaskDuration)", fmt_ms),
        "cpu_ms": ("Chromium CPU time, all processes", fmt_ms),
        "script_ms": ("script time", fmt_ms),
        "layout_style_ms": ("layout + style time", fmt_ms),
        "tbt_ms": ("total blocking time (long tasks - 50 ms)", fmt_ms),
        "load_ms": ("load event", fmt_ms),
        "fcp_ms": ("first contentful paint", fmt_ms),
        "visible_ms": ("snippet → launcher visible", fmt_ms),
        "sitechat_bytes": ("bytes received from sitechat before the first open", fmt_bytes),
        "sitechat_requests": ("requests to sitechat before the first open", lambda v: f"{v:.0f}"),
        "total_bytes": ("bytes received, whole page", fmt_bytes),
    }
    for visit, title in (
        ("first", "First visit (empty cache)"),
        ("repeat", "Repeat view (warm cache, visitor known)"),
    ):
        s = imp["summary"].get(visit, {})
        rows = []
        for key, (label, fmt) in labels.items():
            m = s.get(key)
            if not m:
                continue
            ratio = m.get("ratio")
            rows.append(
                [
                    label,
                    fmt(m["without"]) if m["without"] == m["without"] else "-",
                    fmt(m["with"]),
                    fmt(m["added"]),
                    f"{ratio:.2f}x" if ratio == ratio and ratio is not None else "-",
                ]
            )
        md.p(f"### {title}")
        md.p()
        md.table(["figure", "without", "with", "added", "with / without"], rows)
    cap = imp.get("captured") or {}
    if cap:
        md.p(
            "What the loader posted (captured in Chromium; the ingest benchmark below replays it): "
            + ", ".join(
                f"`{k}` with fields {sorted(v) if isinstance(v, dict) else v}" for k, v in cap.items()
            )
            + "."
        )
        md.p()


def _paths(md: Md, paths: dict[str, Any]) -> None:
    md.p("## Server paths")
    md.p()
    ing = paths.get("ingest", {})
    if ing:
        md.p(
            "Page-view ingest: closed loop (each client sends its next request when the last is "
            "answered), returning visitors (a stored `visitor_key`), server CPU time per request "
            "from psutil on the server's PID. Target: well under a millisecond of CPU per page view. "
            "`/healthz` is the floor: the cost of any request on this stack."
        )
        md.p()
        rows = []
        for db, r in ing.items():
            if "skipped" in r:
                rows.append([db, "skipped: " + r["skipped"], "", "", "", "", ""])
                continue
            for ep in ("healthz", "config", "config_base", "events", "events_base"):
                e = r.get(ep, {})
                if "skipped" in e or not e:
                    if ep.endswith("_base"):
                        continue
                    rows.append([db, ep, "skipped", "", "", "", ""])
                    continue
                lat = e["latency"]
                rows.append(
                    [
                        db,
                        {
                            "healthz": "`GET /healthz` (floor)",
                            "config": "`POST …/config` (page load)",
                            "config_base": "`POST …/config` without the page view",
                            "events": "`POST …/events`",
                            "events_base": "`POST …/events`, the same batch without its page view",
                        }[ep],
                        f"{e['per_s']:.0f}",
                        f"{e['server_cpu_us'] / 1000:.2f} ms",
                        fmt_ms(lat.get("p50")),
                        fmt_ms(lat.get("p99")),
                        e.get("payload", ""),
                    ]
                )
        md.table(["database", "request", "requests/s", "server CPU / request", "p50", "p99", "payload"], rows)
        md.p()
        md.p(
            "What a page view itself costs the server (the request with it minus the same request "
            "without it; page views are queued and written in batches, tracking/ingest.py):"
        )
        md.p()
        for db, r in ing.items():
            for ep, how in (("config", "a page load"), ("events", "a single-page-app navigation")):
                us = _page_view_us(r, ep)
                if us is not None:
                    noise = " (below zero: within the noise of this measurement)" if us < 0 else ""
                    md.p(f"- {db}, {how} (`{ep}`): **{us / 1000:.2f} ms** of server CPU{noise}")
        md.p()
        for db, r in ing.items():
            for ep in ("config", "events"):
                ex = r.get(ep, {}).get("example")
                if ex:
                    md.p(f"- {db} `{ep}` body: `{_compact(ex)}`")
            if r.get("refused"):
                md.p(f"- {db}: payloads the server refused before one was accepted: {r['refused']}")
        md.p()
    per = paths.get("persistence", {})
    if per:
        md.p(
            "Message persistence: visitors over `/ws/visitor`, each keeping a few sends in flight "
            "(the next goes when an ack comes back), no agent connected: store + ack + echo. The "
            "server is saturated on purpose, so ack latency here is mostly queueing (in flight / "
            "throughput); its spread shows how evenly the server serves its sockets."
        )
        md.p()
        rows = []
        for db, r in per.items():
            if "skipped" in r:
                rows.append([db, "skipped: " + r["skipped"], "", "", "", "", ""])
                continue
            lo, hi = r.get("acks_per_visitor_min_max", [0, 0])
            rows.append(
                [
                    db,
                    f"{r['stored_per_s']:.0f}",
                    fmt_ms(r["server_cpu_ms_per_msg"], 2),
                    fmt_ms(r["ack_latency"].get("p50")),
                    fmt_ms(r["ack_latency"].get("p99")),
                    f"{lo} - {hi}",
                    f"{r['visitors']} x {r['in_flight']}"
                    + (f"; errors {r['errors']}" if r.get("errors") else ""),
                ]
            )
        md.table(
            [
                "database",
                "messages stored/s",
                "server CPU / message",
                "ack p50",
                "ack p99",
                "acks per visitor (fewest - most)",
                "visitors x in flight",
            ],
            rows,
        )
    lst = paths.get("list", {})
    if lst:
        dbs = list(lst)
        n = next((r.get("conversations") for r in lst.values() if "conversations" in r), 0)
        md.p(
            f"`GET /api/v1/conversations` with {n:,} conversations seeded (bench/seed.py: one "
            "website, 3 messages each, 25 % open), one request at a time, as the owner; "
            "p50 / p99 and server CPU per request."
        )
        md.p()
        queries: list[str] = []
        for r in lst.values():
            for q in r.get("queries", {}):
                if q not in queries:
                    queries.append(q)
        rows = []
        for q in queries:
            cells = [q]
            for db in dbs:
                m = lst[db].get("queries", {}).get(q)
                cells.append(
                    f"{fmt_ms(m['p50'])} / {fmt_ms(m['p99'])} · CPU {fmt_ms(m['server_cpu_ms'])}"
                    if m
                    else "-"
                )
            rows.append(cells)
        md.table(["query", *dbs], rows)
        for db in dbs:
            if "skipped" in lst[db]:
                md.p(f"- {db}: skipped: {lst[db]['skipped']}")
            elif "seed_seconds" in lst[db]:
                md.p(f"- {db}: seeding took {lst[db]['seed_seconds']:.1f} s")
        md.p()


def _compact(x: Any) -> str:
    import json

    s = json.dumps(x, ensure_ascii=False, separators=(",", ":"))
    return s if len(s) <= 400 else s[:400] + "…"
