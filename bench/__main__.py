"""`python -m bench`: run the benchmarks and write bench/RESULTS.md (see bench/README.md).

Measurements never fail the build: a section that breaks is reported in RESULTS.md (with
its traceback in bench/out/) and the run goes on; the exit status is 0 unless the
arguments are wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import BENCH, OUT, SERVER_SRC, jsonable, log, machine_info, raise_nofile


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m bench",
        description="sitechat benchmarks: realtime load, widget weight and page impact, server paths.",
    )
    ap.add_argument(
        "--only",
        action="append",
        choices=["realtime", "widget", "paths"],
        help="run only this section (repeatable)",
    )
    ap.add_argument("--quick", action="store_true", help="a small, fast run for trying the harness (~3 min)")
    ap.add_argument(
        "--large", action="store_true", help="also the 10,000-visitor scenarios (several minutes each)"
    )
    rt = ap.add_argument_group("realtime")
    rt.add_argument(
        "--scenarios",
        default="floor,sqlite,postgres,redis2",
        help="comma-separated: floor, sqlite, postgres, redis2",
    )
    rt.add_argument("--visitors", type=int, default=1000)
    rt.add_argument("--agents", type=int, default=10)
    rt.add_argument(
        "--rate", type=float, default=20.0, help="visitor messages per second, all visitors together"
    )
    rt.add_argument(
        "--agent-rate", type=float, default=5.0, help="agent replies per second, all agents together"
    )
    rt.add_argument("--duration", type=float, default=20.0, help="seconds of sending")
    rt.add_argument("--workers", type=int, default=2, help="load-generator processes")
    rt.add_argument("--large-visitors", type=int, default=10_000)
    rt.add_argument("--large-scenarios", default="floor,sqlite,postgres,redis2")
    rt.add_argument("--large-workers", type=int, default=4)
    wd = ap.add_argument_group("widget")
    wd.add_argument("--widget-runs", type=int, default=12, help="page loads per variant (with / without)")
    wd.add_argument("--throttle", type=float, default=1.0, help="CDP CPU throttling (4 ≈ a mid-range phone)")
    ph = ap.add_argument_group("server paths")
    ph.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    ph.add_argument("--ingest-seconds", type=float, default=6.0)
    ph.add_argument("--persist-seconds", type=float, default=8.0)
    ph.add_argument("--conversations", type=int, default=10_000)
    ph.add_argument("--list-samples", type=int, default=50)
    ap.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    a = ap.parse_args(argv)
    if a.quick:
        a.visitors, a.duration, a.agents = min(a.visitors, 200), min(a.duration, 10.0), min(a.agents, 5)
        a.widget_runs = min(a.widget_runs, 4)
        a.ingest_seconds, a.persist_seconds = 3.0, 4.0
        a.conversations, a.list_samples = min(a.conversations, 2000), 20
    return a


def main(argv: list[str]) -> int:
    a = parse_args(argv)
    sections = set(a.only or ["realtime", "widget", "paths"])
    raise_nofile()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = OUT / f"run-{stamp}"
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    meta: dict[str, Any] = {
        **machine_info(),
        "command": "make bench" + (f" BENCH_ARGS={shlex.quote(' '.join(argv))}" if argv else ""),
        "server_src": SERVER_SRC,
        "load_start": os.getloadavg()[0],
        "args": vars(a),
    }
    results: dict[str, Any] = {"meta": meta, "errors": {}}
    log(f"writing scratch data and logs to {run_dir}")

    def attempt(name: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception:
            err = traceback.format_exc()
            results["errors"][name] = err
            (run_dir / f"{name.replace(' ', '-')}.traceback.txt").write_text(err)
            log(f"{name} failed (recorded in RESULTS.md):\n{err}")
            return None

    captured = None
    if "widget" in sections:
        from bench import widget

        w: dict[str, Any] = {}
        w["sizes"] = attempt("widget sizes", widget.sizes) or {}
        log("widget: page impact in Chromium")
        impact = attempt(
            "widget page impact", partial(widget.page_impact, run_dir / "widget", a.widget_runs, a.throttle)
        )
        if impact:
            w["impact"] = impact
            captured = impact.get("captured")
        results["widget"] = w

    if "realtime" in sections:
        from bench.loadgen import LoadSpec
        from bench.realtime import SCENARIOS, run_scenario

        spec = LoadSpec(a.visitors, a.agents, a.rate, a.agent_rate, a.duration, a.workers)
        rt: dict[str, Any] = {"spec": asdict(spec), "scenarios": {}}
        groups = [("scenarios", spec, a.scenarios)]
        if a.large:
            large = LoadSpec(
                a.large_visitors,
                a.agents,
                a.rate,
                a.agent_rate,
                a.duration,
                a.large_workers,
                drain_timeout=60,
            )
            rt["large_spec"] = asdict(large)
            rt["large"] = {}
            groups.append(("large", large, a.large_scenarios))
        for group, sp, names in groups:
            for name in [n.strip() for n in names.split(",") if n.strip()]:
                sc = SCENARIOS[name]
                fig = attempt(
                    f"realtime {group} {name}",
                    partial(run_scenario, sc, sp, run_dir / f"{group}-{sc.name}"),
                )
                if fig is not None:
                    fig["title"] = sc.title
                    fig["nodes"] = sc.nodes
                    rt[group][name] = fig
                    _progress(fig)
        results["realtime"] = rt

    if "paths" in sections:
        from bench import paths

        dbs = [d.strip() for d in a.databases.split(",") if d.strip()]
        p: dict[str, Any] = {"ingest": {}, "persistence": {}, "list": {}}
        for db in dbs:
            d = run_dir / f"paths-{db}"
            d.mkdir(parents=True, exist_ok=True)
            r = attempt(f"ingest {db}", partial(paths.ingest, db, d, a.ingest_seconds, 8, captured))
            if r is not None:
                p["ingest"][db] = r
            r = attempt(f"persistence {db}", partial(paths.persistence, db, d, a.persist_seconds))
            if r is not None:
                p["persistence"][db] = r
            r = attempt(
                f"conversation list {db}",
                partial(paths.conversation_list, db, d, a.conversations, a.list_samples),
            )
            if r is not None:
                p["list"][db] = r
        results["paths"] = p

    meta["seconds"] = time.monotonic() - started
    meta["load_end"] = os.getloadavg()[0]
    from bench.report import render

    (run_dir / "results.json").write_text(json.dumps(jsonable(results), indent=1, default=str))
    a.output.write_text(render(results))
    log(f"wrote {a.output} in {meta['seconds'] / 60:.1f} min (raw figures: {run_dir / 'results.json'})")
    return 0


def _progress(fig: dict[str, Any]) -> None:
    if "skipped" in fig:
        log(f"  skipped: {fig['skipped']}")
        return
    v2a = fig.get("latency", {}).get("v2a", {})
    log(
        f"  p50 {v2a.get('p50', float('nan')):.1f} ms, p99 {v2a.get('p99', float('nan')):.1f} ms, "
        f"lost {fig.get('lost')}, dup {fig.get('duplicates')}, "
        f"server CPU {fig.get('server_cpu_pct', 0):.0f} %"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
