"""Realtime load generator: N visitor and M agent WebSockets through the real protocol,
sending open loop at a fixed rate, every message carrying the time it was due.

Shape of a run (``run_load``):

1. W worker processes start (spawned; each runs its own event loop, on uvloop when
   present). Each owns every W-th visitor and agent and binds its sockets to a spread of
   127.0.0.x source addresses, so 10,000 sockets never run short of ephemeral ports and
   per-address limits see many clients.
2. Agents connect (API token → ``/ws/agent`` → hello/welcome), then visitors (``POST
   /api/v1/widget/{id}/config`` from an allowed ``Origin`` → ``ws_url?token=…`` →
   hello/welcome), as the widget does. Against the relay there is no config request.
3. After a quiet pause the server's RSS is sampled again: growth / N is the memory an idle
   connection costs.
4. Open loop: each worker sends its share of the visitor and agent rates on a fixed
   schedule from a shared start time and never waits for answers, so a stalled server
   shows up as latency instead of as a slower sender (no coordinated omission). The body
   holds the *scheduled* time, so a late sender is charged to the latency too (the
   generator's own lateness is reported separately).
5. Receivers record delivery latency in HDR histograms (µs). Every message is identified
   by its ``client_msg_id``; the coordinator works out who should have received each
   stored (acked) message — every agent socket and the visitor for a visitor message,
   every agent socket and the conversation's visitor for an agent reply — and counts what
   was lost, received twice, received by someone who should not have, or out of ``seq``
   order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from bench.common import ORIGIN, Usage, merge_hists, new_hist, pids_named, usage_of

FILLER = "Hello! I ordered the blue one last week and it has not arrived yet, can you check? "


@dataclass(frozen=True)
class Target:
    kind: str  # "sitechat" or "relay"
    nodes: tuple[str, ...]  # http://host:port of each node; visitors and agents go round-robin
    website_id: str = ""
    agent_tokens: tuple[str, ...] = ()
    origin: str = ORIGIN


@dataclass(frozen=True)
class LoadSpec:
    visitors: int
    agents: int
    visitor_rate: float  # messages per second, all visitors together
    agent_rate: float  # replies per second, all agents together
    duration: float  # seconds of sending
    workers: int
    connect_concurrency: int = 32  # per worker
    body_chars: int = 80
    settle: float = 3.0  # quiet seconds before the idle-memory sample
    drain_timeout: float = 20.0


def _addr(n: int, base: int, spread: int) -> str:
    return f"127.0.0.{base + n % spread}"


# --- one worker process ------------------------------------------------------------------------


@dataclass
class Conn:
    key: str  # "v<i>" or "a<j>": the receiver's identity in the loss accounting
    kind: str  # "v" or "a"
    ws: ClientConnection
    got: dict[str, int] = field(default_factory=dict)  # client_msg_id → times received
    last_seq: dict[str, int] = field(default_factory=dict)
    closed: int | None = None


class Worker:
    def __init__(self, w: int, target: Target, spec: LoadSpec) -> None:
        self.w = w
        self.t = target
        self.s = spec
        self.conns: list[Conn] = []
        self.visitors: list[Conn] = []
        self.agents: list[Conn] = []
        self.hists = {k: new_hist() for k in ("v2a", "a2v", "echo", "a2a", "ack", "lag", "connect")}
        self.sent: list[tuple[str, str, str]] = []  # (client_msg_id, sender key, "v"/"a")
        self.pending: dict[str, int] = {}  # client_msg_id → scheduled ns, until ack or error
        self.acked: dict[str, str] = {}  # client_msg_id → conversation id
        self.errors: dict[str, str] = {}  # client_msg_id → error code
        self.other_errors: Counter[str] = Counter()
        self.conv_owner: dict[str, str] = {}  # conversation → visitor key (from acks)
        self.known_convs: list[str] = []
        self._known: set[str] = set()
        self.order_errors = 0
        self.closes: Counter[str] = Counter()
        self.connect_failures: Counter[str] = Counter()
        self.skipped = 0
        self.visitor_ids: list[str] = []
        self.last_rx = time.time()
        self.stopping = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.http: httpx.AsyncClient | None = None

    # -- connecting --

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _open(
        self, url: str, addr: str, headers: dict[str, str] | None, agent: bool
    ) -> ClientConnection:
        return await connect(
            url,
            origin=None if agent else Origin(self.t.origin),
            additional_headers=headers or {},
            compression=None,  # the server refuses per-message deflate anyway
            proxy=None,
            ping_interval=None,  # the server pings; the library answers
            open_timeout=120,
            close_timeout=2,
            # An agent gets every message of the website: let it buffer rather than push
            # back on the server while a worker is busy.
            max_queue=4096 if agent else 64,
            local_addr=(addr, 0),
        )

    async def _hello(self, c: Conn) -> None:
        await c.ws.send('{"type":"hello","resume":{}}')
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            frame = json.loads(await asyncio.wait_for(c.ws.recv(), deadline - time.monotonic()))
            if frame.get("type") == "welcome":
                return
            self._on_frame(c, frame)
        raise TimeoutError("no welcome")

    async def _connect(self, kind: str, n: int) -> None:
        node = self.t.nodes[n % len(self.t.nodes)]
        ws_node = "ws" + node[4:]
        t0 = time.perf_counter()
        try:
            if kind == "a":
                addr = _addr(n, 150, 50)
                url = ws_node + "/ws/agent"
                headers = (
                    {"Authorization": f"Bearer {self.t.agent_tokens[n]}"} if self.t.agent_tokens else None
                )
            else:
                addr = _addr(n, 2, 140)
                headers = None
                if self.t.kind == "relay":
                    url = ws_node + "/ws/visitor"
                else:
                    assert self.http is not None
                    r = await self.http.post(
                        f"{node}/api/v1/widget/{self.t.website_id}/config",
                        content=json.dumps({"visitor_key": None, "locale": "en-GB"}),
                        headers={"Origin": self.t.origin, "Content-Type": "text/plain;charset=UTF-8"},
                    )
                    if r.status_code != 200:
                        self.connect_failures[f"config HTTP {r.status_code}"] += 1
                        return
                    cfg = r.json()
                    url = f"{cfg['ws_url']}?token={cfg['token']}"
                    self.visitor_ids.append(str(cfg["visitor_id"]))
            ws = await self._open(url, addr, headers, kind == "a")
        except Exception as exc:
            self.connect_failures[type(exc).__name__] += 1
            return
        c = Conn(key=f"{kind}{n}", kind=kind, ws=ws)
        try:
            await self._hello(c)
        except ConnectionClosed as exc:
            self.connect_failures[f"closed {exc.rcvd.code if exc.rcvd else 1006} before welcome"] += 1
            return
        except Exception as exc:
            self.connect_failures[f"hello: {type(exc).__name__}"] += 1
            await ws.close()
            return
        self.hists["connect"].record_value(max(1, int((time.perf_counter() - t0) * 1e6)))
        self.conns.append(c)
        (self.agents if kind == "a" else self.visitors).append(c)
        self._spawn(self._read(c))

    async def connect_all(self, kind: str, lo: int, hi: int) -> dict[str, Any]:
        mine = [n for n in range(lo, hi) if n % self.s.workers == self.w]
        sem = asyncio.Semaphore(self.s.connect_concurrency)

        async def one(n: int) -> None:
            async with sem:
                await self._connect(kind, n)

        await asyncio.gather(*(one(n) for n in mine))
        return {"connected": len(self.agents if kind == "a" else self.visitors)}

    # -- receiving --

    async def _read(self, c: Conn) -> None:
        try:
            async for raw in c.ws:
                self._on_frame(c, json.loads(raw))
        except ConnectionClosed as exc:
            c.closed = exc.rcvd.code if exc.rcvd else 1006
        except Exception:
            c.closed = -1
        else:
            c.closed = c.ws.close_code or 1000
        if not self.stopping:
            self.closes[str(c.closed)] += 1

    def _on_frame(self, c: Conn, f: dict[str, Any]) -> None:
        kind = f.get("type")
        if kind == "message":
            m = f["message"]
            body = m.get("body") or ""
            cmid = m.get("client_msg_id")
            if not body.startswith("b:") or not cmid:
                return
            now = time.time_ns()
            self.last_rx = now / 1e9
            c.got[cmid] = c.got.get(cmid, 0) + 1
            conv, seq = f["conversation_id"], int(m["seq"])
            prev = c.last_seq.get(conv)
            # A conversation starts at seq 1 for everyone here (all sockets were open
            # before it was created); after that each frame must be the next seq.
            if (prev is None and seq != 1) or (prev is not None and seq != prev + 1):
                self.order_errors += 1
            c.last_seq[conv] = max(seq, prev or 0)
            lat = max(1, (now - int(body[2 : body.index(" ")])) // 1000)
            sender = m["sender"]["kind"]
            if c.kind == "a":
                name = "v2a" if sender == "visitor" else "a2a"
            else:
                name = "a2v" if sender == "agent" else "echo"
            self.hists[name].record_value(lat)
        elif kind == "ack":
            cmid = f.get("client_msg_id") or ""
            sched = self.pending.pop(cmid, None)
            if sched is not None:
                self.hists["ack"].record_value(max(1, (time.time_ns() - sched) // 1000))
            self.acked[cmid] = f["conversation_id"]
            if c.kind == "v":
                self.conv_owner[f["conversation_id"]] = c.key
        elif kind == "conversation":
            self._learn(f["conversation"]["id"])
        elif kind == "ping":
            self._spawn(c.ws.send('{"type":"pong"}'))
        elif kind == "error":
            ref = f.get("id")
            if ref and self.pending.pop(ref, None) is not None:
                self.errors[ref] = str(f.get("code"))
            else:
                self.other_errors[str(f.get("code"))] += 1

    def _learn(self, conv: str) -> None:
        if conv not in self._known:
            self._known.add(conv)
            self.known_convs.append(conv)

    # -- sending (open loop) --

    async def _schedule(self, kind: str, rate: float, t0_ns: int, duration: float) -> None:
        if rate <= 0:
            return
        pool = self.visitors if kind == "v" else self.agents
        if not pool:
            return
        order = list(range(len(pool)))
        random.Random(self.w).shuffle(order)
        interval_ns = int(1e9 / rate)
        count = int(rate * duration)
        filler = (FILLER * (1 + self.s.body_chars // len(FILLER)))[: self.s.body_chars]
        rng = random.Random(1000 + self.w)
        for k in range(count):
            due = t0_ns + k * interval_ns
            wait = (due - time.time_ns()) / 1e9
            if wait > 0:
                await asyncio.sleep(wait)
            elif k % 50 == 0:
                await asyncio.sleep(0)  # running late: still let the readers run
            c = pool[order[k % len(order)]]
            if c.closed is not None:
                self.skipped += 1
                continue
            frame: dict[str, Any] = {}
            if kind == "a":
                if not self.known_convs:
                    self.skipped += 1  # no conversation to answer yet
                    continue
                frame["conversation_id"] = rng.choice(self.known_convs)
            cmid = f"b{kind}{self.w:02d}-{k:08d}"
            frame.update(type="message.send", id=cmid, client_msg_id=cmid, body=f"b:{due} {filler}")
            self.hists["lag"].record_value(max(1, (time.time_ns() - due) // 1000))
            self.pending[cmid] = due
            self.sent.append((cmid, c.key, kind))
            self._spawn(c.ws.send(json.dumps(frame)))

    async def send_all(self, t0_ns: int, duration: float) -> dict[str, Any]:
        share = 1 / self.s.workers
        # Agents are dealt round-robin: a worker's share of the reply rate follows its agents.
        a_share = len(self.agents) / max(1, self.s.agents)
        await asyncio.gather(
            self._schedule("v", self.s.visitor_rate * share, t0_ns, duration),
            self._schedule("a", self.s.agent_rate * a_share, t0_ns, duration),
        )
        return {"sent": len(self.sent)}

    def status(self) -> dict[str, Any]:
        return {"pending": len(self.pending), "quiet_for": time.time() - self.last_rx}

    def report(self) -> dict[str, Any]:
        self.stopping = True
        return {
            "hists": {k: h.encode() for k, h in self.hists.items()},
            "sent": self.sent,
            "acked": self.acked,
            "errors": self.errors,
            "unanswered": list(self.pending),
            "other_errors": dict(self.other_errors),
            "got": {c.key: c.got for c in self.conns},
            "closed_keys": [c.key for c in self.conns if c.closed is not None],
            "agent_keys": [c.key for c in self.agents],
            "conv_owner": self.conv_owner,
            "order_errors": self.order_errors,
            "closes": dict(self.closes),
            "connect_failures": dict(self.connect_failures),
            "open": sum(1 for c in self.conns if c.closed is None),
            "sends_skipped": self.skipped,
            "visitor_ids": self.visitor_ids,
        }

    async def run(self, pipe: Pipe) -> None:
        self.http = httpx.AsyncClient(
            timeout=120,
            trust_env=False,
            transport=httpx.AsyncHTTPTransport(
                local_address=_addr(self.w, 210, 40),
                limits=httpx.Limits(max_connections=self.s.connect_concurrency),
            ),
        )
        while True:
            cmd, *args = await asyncio.to_thread(pipe.recv)
            if cmd == "connect":
                reply: Any = await self.connect_all(*args)
            elif cmd == "send":
                reply = await self.send_all(*args)
            elif cmd == "status":
                reply = self.status()
            elif cmd == "report":
                reply = self.report()
            else:
                break
            pipe.send(reply)
        self.stopping = True
        await self.http.aclose()
        # Sockets are left to the process exit: 10,000 closing handshakes would only
        # add noise to a server that is about to be stopped anyway.


def worker_main(w: int, target: Target, spec: LoadSpec, pipe: Pipe) -> None:
    worker = Worker(w, target, spec)
    try:
        import uvloop

        uvloop.run(worker.run(pipe))
    except ImportError:
        asyncio.run(worker.run(pipe))


# --- the coordinator ----------------------------------------------------------------------------


@dataclass
class Phase:
    usage_before: Usage
    usage_after: Usage

    @property
    def cpu(self) -> float:
        return self.usage_after.cpu - self.usage_before.cpu

    @property
    def seconds(self) -> float:
        return self.usage_after.at - self.usage_before.at


class Pool:
    def __init__(self, target: Target, spec: LoadSpec) -> None:
        ctx = mp.get_context("spawn")
        self.pipes: list[Pipe] = []
        self.procs: list[Any] = []
        for w in range(spec.workers):
            ours, theirs = ctx.Pipe()
            p = ctx.Process(target=worker_main, args=(w, target, spec, theirs), daemon=True)
            p.start()
            self.pipes.append(ours)
            self.procs.append(p)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def all(self, *cmd: Any, timeout: float = 3600) -> list[Any]:
        for pipe in self.pipes:
            pipe.send(cmd)
        out = []
        for pipe in self.pipes:
            if not pipe.poll(timeout):
                raise TimeoutError(f"load worker did not answer {cmd[0]!r} in {timeout}s")
            out.append(pipe.recv())
        return out

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError, BrokenPipeError):
                pipe.send(("exit",))
        for p in self.procs:
            p.join(timeout=15)
            if p.is_alive():
                p.kill()  # our own worker, by its handle
                p.join(timeout=5)


def _cpu_busy() -> float:
    """Core-seconds the whole machine has spent busy since boot."""
    import psutil

    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0))


def run_load(target: Target, spec: LoadSpec, server_pids: list[int], log: Any = print) -> dict[str, Any]:
    """One scenario against running servers (or the relay); returns its figures."""
    others = pids_named("postgres", "postgresql", "redis-server")
    pool = Pool(target, spec)
    try:
        base = usage_of(server_pids)
        res = pool.all("connect", "a", 0, spec.agents)
        agents_ok = sum(r["connected"] for r in res)
        log(f"  {agents_ok}/{spec.agents} agents connected")
        # A first few visitors warm the server (caches, pools, lazily built state), so
        # the memory and CPU figures below are per connection, not per first connection.
        warm = min(spec.visitors, max(20, spec.visitors // 20))
        pool.all("connect", "v", 0, warm)
        time.sleep(1.0)
        before = usage_of(server_pids)
        t_conn = time.monotonic()
        res = pool.all("connect", "v", warm, spec.visitors)
        connect_s = time.monotonic() - t_conn
        after_connect = usage_of(server_pids)
        visitors_ok = sum(r["connected"] for r in res)
        measured = max(1, visitors_ok - warm)
        log(f"  {visitors_ok}/{spec.visitors} visitors connected ({measured} in {connect_s:.1f}s)")
        time.sleep(spec.settle)
        idle = usage_of(server_pids)

        t0_ns = time.time_ns() + 1_000_000_000
        for pipe in pool.pipes:
            pipe.send(("send", t0_ns, spec.duration))
        time.sleep(max(0.0, (t0_ns - time.time_ns()) / 1e9))
        busy0 = _cpu_busy()
        s0, g0, o0 = usage_of(server_pids), usage_of(pool.pids), usage_of(others)
        time.sleep(spec.duration)
        s1, g1, o1 = usage_of(server_pids), usage_of(pool.pids), usage_of(others)
        busy1 = _cpu_busy()
        for pipe in pool.pipes:
            if not pipe.poll(spec.duration + 120):
                raise TimeoutError("load worker did not finish sending")
            pipe.recv()
        # Drain: until every send is answered and nothing has arrived for a while.
        deadline = time.monotonic() + spec.drain_timeout
        while time.monotonic() < deadline:
            st = pool.all("status", timeout=60)
            if all(s["pending"] == 0 for s in st) and min(s["quiet_for"] for s in st) > 1.5:
                break
            time.sleep(0.5)
        peak = usage_of(server_pids)
        reports = pool.all("report", timeout=300)
    finally:
        pool.close()

    figures = account(reports)
    send_s = s1.at - s0.at
    machine_pct = (busy1 - busy0) / send_s * 100
    server_pct = (s1.cpu - s0.cpu) / send_s * 100
    loadgen_pct = (g1.cpu - g0.cpu) / send_s * 100
    db_pct = (o1.cpu - o0.cpu) / send_s * 100
    figures.update(
        {
            "agents_connected": agents_ok,
            "visitors_connected": visitors_ok,
            "connect_seconds": connect_s,
            "connect_rate": measured / max(1e-9, connect_s),
            "connect_cpu_ms": (after_connect.cpu - before.cpu) / measured * 1000,
            "rss_base": base.rss,
            "rss_before_visitors": before.rss,
            "rss_idle": idle.rss,
            "rss_peak": peak.rss,
            "rss_per_idle_conn": (idle.rss - before.rss) / measured,
            # A server that burns CPU with nothing to do shows it here.
            "idle_cpu_pct": (idle.cpu - after_connect.cpu) / max(1e-9, idle.at - after_connect.at) * 100,
            # CPU figures are in % of one core (this machine has psutil.cpu_count() of them).
            "server_cpu_pct": server_pct,
            "server_cpu_ms_per_msg": (s1.cpu - s0.cpu) / max(1, figures["stored"]) * 1000,
            "loadgen_cpu_pct": loadgen_pct,
            "db_redis_cpu_pct": db_pct,
            "machine_cpu_pct": machine_pct,
            # Whatever else ran on the machine meanwhile (other people's test runs…): a
            # large figure here means the latencies above are not the server's alone.
            "others_cpu_pct": max(0.0, machine_pct - server_pct - loadgen_pct - db_pct),
            "send_seconds": send_s,
            "stored_per_s": figures["stored"] / spec.duration,
            "deliveries_per_s": figures["delivered"] / spec.duration,
        }
    )
    return figures


def account(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Who should have received what, against what each socket received."""
    got: dict[str, dict[str, int]] = {}
    acked: dict[str, str] = {}
    errors: dict[str, str] = {}
    owner: dict[str, str] = {}
    closed: set[str] = set()
    agent_keys: list[str] = []
    sent: list[tuple[str, str, str]] = []
    unanswered = 0
    other_errors: Counter[str] = Counter()
    closes: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    for r in reports:
        got.update(r["got"])
        acked.update(r["acked"])
        errors.update(r["errors"])
        owner.update(r["conv_owner"])
        closed.update(r["closed_keys"])
        agent_keys += r["agent_keys"]
        sent += r["sent"]
        unanswered += len(r["unanswered"])
        other_errors.update(r["other_errors"])
        closes.update(r["closes"])
        failures.update(r["connect_failures"])

    expected_by: dict[str, set[str]] = defaultdict(set)  # receiver → client_msg_ids
    lost = lost_on_closed = dup = 0
    unknown_owner = 0
    refused: Counter[str] = Counter()
    stored = 0
    for cmid, sender, kind in sent:
        if cmid not in acked:
            if cmid in errors:
                refused[errors[cmid]] += 1
            continue
        stored += 1
        want = set(agent_keys)
        if kind == "v":
            want.add(sender)
        elif acked[cmid] in owner:
            want.add(owner[acked[cmid]])
        else:
            unknown_owner += 1  # the visitor that owns it never acked a message here
        for rcv in want:
            expected_by[rcv].add(cmid)
            n = got.get(rcv, {}).get(cmid, 0)
            if n == 0:
                if rcv in closed:
                    lost_on_closed += 1
                else:
                    lost += 1
            elif n > 1:
                dup += n - 1
    delivered = 0
    unexpected = 0
    for rcv, ids in got.items():
        want_ids = expected_by.get(rcv, set())
        for cmid, n in ids.items():
            delivered += n
            if cmid not in want_ids:
                unexpected += n
    hists = {k: merge_hists(r["hists"][k] for r in reports) for k in reports[0]["hists"]} if reports else {}
    return {
        "hists": hists,
        "sent": len(sent),
        "stored": stored,
        "refused": dict(refused),
        "unanswered": unanswered,
        "lost": lost,
        "lost_on_closed": lost_on_closed,
        "duplicates": dup,
        "unexpected": unexpected,
        "unknown_owner": unknown_owner,
        "order_errors": sum(r["order_errors"] for r in reports),
        "delivered": delivered,
        "other_errors": dict(other_errors),
        "closes": dict(closes),
        "connect_failures": dict(failures),
        "open_at_end": sum(r["open"] for r in reports),
        "sends_skipped": sum(r["sends_skipped"] for r in reports),
        "visitor_ids": [v for r in reports for v in r["visitor_ids"]],
    }
