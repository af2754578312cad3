"""Realtime scenarios: the floor (bare relay), one node on SQLite, one on PostgreSQL, and
two nodes on PostgreSQL behind Redis; each with a fresh database and fresh processes."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    REDIS_URL,
    Admin,
    RelayServer,
    Server,
    fresh_database,
    hist_summary,
    log,
    postgres_reachable,
    redis_reachable,
)
from bench.loadgen import LoadSpec, Target, run_load


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    db: str | None  # None: the relay
    nodes: int = 1
    redis: bool = False


SCENARIOS = {
    "floor": Scenario("floor", "floor: bare `websockets` relay", None),
    "sqlite": Scenario("sqlite", "one node, SQLite", "sqlite"),
    "postgres": Scenario("postgres", "one node, PostgreSQL", "postgres"),
    "redis2": Scenario("redis2", "two nodes, PostgreSQL + Redis", "postgres", nodes=2, redis=True),
}


async def _prepare(url: str, nodes: list[str], agents: int) -> Target:
    async with Admin(url) as admin:
        wid = await admin.create_website(["shop.example.com"])
        tokens = await admin.create_agents(wid, agents)
    return Target("sitechat", tuple(nodes), wid, tuple(tokens))


def run_scenario(sc: Scenario, spec: LoadSpec, workdir: Path) -> dict[str, Any]:
    """Figures of one scenario, or {"skipped": why}."""
    log(f"realtime: {sc.title}: {spec.visitors} visitors, {spec.agents} agents")
    if sc.db == "postgres" and not postgres_reachable():
        return {"skipped": "PostgreSQL is not reachable on 127.0.0.1:5432 (make services)"}
    if sc.redis and not redis_reachable():
        return {"skipped": "Redis is not reachable on 127.0.0.1:6379 (make services)"}
    workdir.mkdir(parents=True, exist_ok=True)
    if sc.db is None:
        relay = RelayServer(workdir)
        relay.start()
        try:
            figures = run_load(Target("relay", (relay.url,)), spec, [relay.pid], log)
        finally:
            relay.stop()
        return _plain(figures)
    with fresh_database(sc.db, workdir) as url:
        servers = [
            Server(f"{sc.name}-node{i}", workdir, url, REDIS_URL if sc.redis else None)
            for i in range(sc.nodes)
        ]
        try:
            servers[0].migrate()
            # One after the other: the first start creates the owner the setup signs in as.
            for s in servers:
                s.start()
            target = asyncio.run(_prepare(servers[0].url, [s.url for s in servers], spec.agents))
            figures = run_load(target, spec, [s.pid for s in servers], log)
            # The load workers are gone: let the servers see every socket close before
            # they are stopped, and tell apart what they logged during the run.
            time.sleep(5)
            during = sum(_errors_in(s.log_path) for s in servers)
            if sc.redis:
                figures["redis_channels_left"] = _channels_left(figures["visitor_ids"])
        finally:
            for s in servers:
                with contextlib.suppress(Exception):
                    s.stop()
        figures["server_errors_logged"] = during
        figures["server_errors_at_shutdown"] = sum(_errors_in(s.log_path) for s in servers) - during
    return _plain(figures)


def _channels_left(visitor_ids: list[str]) -> int:
    """Visitor topics the nodes are still subscribed to in Redis after every visitor socket
    closed: each one is a subscription (and a hub entry) that outlived its connection."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        live = {str(c) for c in client.pubsub_channels("sitechat:visitor:*")}
    finally:
        client.close()
    return sum(1 for v in visitor_ids if f"sitechat:visitor:{v}" in live)


def _errors_in(path: Path) -> int:
    """Tracebacks the server logged during the run: each one is worth a look."""
    try:
        return path.read_text(errors="replace").count("Traceback")
    except OSError:
        return 0


def _plain(figures: dict[str, Any]) -> dict[str, Any]:
    """Histograms summarised (ms), everything else as measured."""
    out = {k: v for k, v in figures.items() if k not in ("hists", "visitor_ids")}
    out["latency"] = {k: hist_summary(h) for k, h in figures["hists"].items()}
    return out
