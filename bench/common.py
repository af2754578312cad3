"""What every benchmark shares: the machine, server processes measured by PID, a fresh
PostgreSQL database per run, an admin REST client, and latency histograms."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import platform
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from hdrh.histogram import HdrHistogram

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# Raw figures, server logs and scratch data: never committed (bench/.gitignore).
OUT = BENCH / "out"
BIN = Path(sys.executable).parent / "sitechat"

PG_ADMIN_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
# A database number of its own: test runs on the same Redis may flush theirs.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")

ADMIN_EMAIL = "bench-owner@example.com"
ADMIN_PASSWORD = "bench-password-0123"
SECRET_KEY = "bench-secret-key-" + "0123456789abcdef" * 3
ORIGIN = "https://shop.example.com"

# The load would hit the default limits (a few addresses sending thousands of config
# requests, agents answering about once a second). The limits stay switched on, with their
# default windows (their cost is part of every request), only with higher counts; the
# frame limit per connection stays at its default, which the harness never reaches.
# RESULTS.md says what the defaults would do.
RATE_ENV = {
    "SITECHAT_RATE_LOGIN": "100000/minute",
    "SITECHAT_RATE_MESSAGES": "100000/minute",
    "SITECHAT_RATE_WIDGET_CONFIG": "100000/minute",
    "SITECHAT_RATE_WIDGET_EVENTS": "100000/minute",
    "SITECHAT_RATE_API_KEY": "1000000/minute",
    "SITECHAT_RATE_IP": "1000000/minute",
    "SITECHAT_RATE_DOMAIN": "1000000/minute",
}
DEFAULT_RATES = {
    "SITECHAT_RATE_LOGIN": "10/minute",
    "SITECHAT_RATE_WS_FRAMES": "30/second",
    "SITECHAT_RATE_MESSAGES": "60/minute",
    "SITECHAT_RATE_WIDGET_CONFIG": "60/minute",
    "SITECHAT_RATE_WIDGET_EVENTS": "120/minute",
    "SITECHAT_RATE_API_KEY": "1200/minute",
    "SITECHAT_RATE_IP": "1200/minute",
    "SITECHAT_RATE_DOMAIN": "12000/minute",
}

# Run the servers from another source tree (its `src/`), e.g. a `git worktree` of another
# commit: compare two versions, or measure HEAD while the working tree is mid-edit.
SERVER_SRC = os.environ.get("BENCH_SERVER_SRC", "")
STATIC = (Path(SERVER_SRC) if SERVER_SRC else ROOT / "src") / "sitechat" / "static"

HIST_MAX_US = 3_600_000_000  # one hour in microseconds: nothing sane is slower


def new_hist() -> HdrHistogram:
    return HdrHistogram(1, HIST_MAX_US, 3)


def hist_summary(h: HdrHistogram, scale: float = 1000.0) -> dict[str, float | int]:
    """p50/p95/p99/max in milliseconds (values are recorded in microseconds)."""
    n = h.get_total_count()
    if n == 0:
        return {"count": 0}
    return {
        "count": n,
        "p50": h.get_value_at_percentile(50) / scale,
        "p95": h.get_value_at_percentile(95) / scale,
        "p99": h.get_value_at_percentile(99) / scale,
        "max": h.get_max_value() / scale,
        "mean": h.get_mean_value() / scale,
    }


def merge_hists(encoded: Iterable[bytes]) -> HdrHistogram:
    h = new_hist()
    for e in encoded:
        h.decode_and_add(e)
    return h


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of a small sample (the browser runs)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k]


def median(values: Sequence[float]) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def raise_nofile(want: int = 65536) -> int:
    """Raise this process's open-file limit (inherited by the servers and workers we
    start): 10,000 sockets do not fit under a default of 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for target in (max(want, hard), hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, target))
            return target
        except (ValueError, OSError):
            continue
    return soft


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- the machine ------------------------------------------------------------------------------


def _cmd(args: list[str]) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
        return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine_info() -> dict[str, str]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    git = _cmd(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = _cmd(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{cpu or platform.processor()} x {psutil.cpu_count(logical=True)} (logical)",
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": _cmd(["psql", "--version"]),
        "redis": _cmd(["redis-server", "--version"]),
        "chromium": _cmd([os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), "--version"]),
        "commit": git + (" (with uncommitted changes)" if dirty else ""),
    }


# --- processes we start and measure ---------------------------------------------------------


@dataclass
class Usage:
    """CPU seconds (user + system) and resident memory of some processes at one moment."""

    cpu: float
    rss: int
    at: float = field(default_factory=time.monotonic)


def usage_of(pids: Iterable[int]) -> Usage:
    cpu, rss = 0.0, 0
    for pid in pids:
        try:
            p = psutil.Process(pid)
            t = p.cpu_times()
            cpu += t.user + t.system + t.children_user + t.children_system
            rss += p.memory_info().rss
        except psutil.Error:
            continue
    return Usage(cpu, rss)


def pids_named(*names: str) -> list[int]:
    """PIDs of the machine's own PostgreSQL or Redis (shared with anyone else using them:
    their CPU is reported as context, not as ours)."""
    out = []
    for p in psutil.process_iter(["name"]):
        with contextlib.suppress(psutil.Error):
            if (p.info["name"] or "").split(":")[0] in names:
                out.append(p.pid)
    return out


class Process:
    """A child process of ours; stopped by its PID only."""

    def __init__(self, name: str, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def usage(self) -> Usage:
        return usage_of([self.pid])

    def _spawn(self, args: list[str], env: dict[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as logf:
            self.proc = subprocess.Popen(
                args, env=env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
            )

    def _wait_http(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log_path}:\n{self.log_tail()}")
            try:
                if httpx.get(url, timeout=1, trust_env=False).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not start in {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


class Server(Process):
    """One `sitechat serve` node, started as the tests start theirs (tests/support/servers.py)."""

    def __init__(
        self,
        name: str,
        workdir: Path,
        database_url: str,
        redis_url: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(name, workdir / f"{name}.log")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SITECHAT_")},
            "SITECHAT_DATA_DIR": str(workdir / "data"),
            "SITECHAT_DATABASE_URL": database_url,
            "SITECHAT_SECRET_KEY": SECRET_KEY,
            "SITECHAT_PUBLIC_URL": self.url,
            "SITECHAT_ADMIN_EMAIL": ADMIN_EMAIL,
            "SITECHAT_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "SITECHAT_LOG_LEVEL": "warning",
            **RATE_ENV,
            **(extra_env or {}),
        }
        if redis_url:
            self.env["SITECHAT_REDIS_URL"] = redis_url
        if SERVER_SRC:
            self.env["PYTHONPATH"] = SERVER_SRC

    def migrate(self) -> None:
        subprocess.run(
            [str(BIN), "migrate"], env=self.env, check=True, capture_output=True, timeout=180, cwd=ROOT
        )

    def start(self, timeout: float = 60) -> None:
        self._spawn([str(BIN), "serve", "--host", "127.0.0.1", "--port", str(self.port)], self.env)
        self._wait_http(self.url + "/healthz", timeout)


class RelayServer(Process):
    """The floor (bench/relay.py) in a process of its own, measured like a node."""

    def __init__(self, workdir: Path) -> None:
        super().__init__("relay", workdir / "relay.log")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> None:
        self._spawn([sys.executable, "-m", "bench.relay", "--port", str(self.port)], dict(os.environ))
        self._wait_http(self.url + "/healthz", timeout)


# --- databases --------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[str]:
    """A SQLAlchemy URL of a new, empty database; a PostgreSQL one is dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / f'bench-{secrets.token_hex(3)}.sqlite'}"
        return
    name = f"sitechat_bench_{secrets.token_hex(4)}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# --- the REST API as an administrator --------------------------------------------------------


class Admin:
    """Sets a server up through its public REST API, as an operator would."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=60, trust_env=False)
        self.token = ""

    async def __aenter__(self) -> Admin:
        await self.login()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def _token_for(self, email: str, password: str) -> str:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=60, trust_env=False) as http:
            r = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
            r.raise_for_status()
            csrf = r.json()["csrf_token"]
            r = await http.post("/api/v1/tokens", json={"name": "bench"}, headers={"X-CSRF-Token": csrf})
            r.raise_for_status()
            return str(r.json()["token"])

    async def login(self) -> None:
        self.token = await self._token_for(ADMIN_EMAIL, ADMIN_PASSWORD)
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    async def create_website(self, domains: list[str]) -> str:
        r = await self.http.post("/api/v1/websites", json={"name": "Bench shop", "domains": domains})
        r.raise_for_status()
        return str(r.json()["id"])

    async def create_agents(self, website_id: str, n: int) -> list[str]:
        """n agents of the website (role agent), each with an API token of its own."""

        async def one(i: int) -> str:
            email = f"bench-agent-{i}-{secrets.token_hex(3)}@example.com"
            password = "agent-password-" + secrets.token_hex(4)
            r = await self.http.post(
                "/api/v1/agents",
                json={
                    "email": email,
                    "name": f"Agent {i}",
                    "role": "agent",
                    "password": password,
                    "website_ids": [website_id],
                },
            )
            r.raise_for_status()
            return await self._token_for(email, password)

        # A few at a time: each costs an argon2 hash on the server.
        tokens: list[str] = []
        for start in range(0, n, 4):
            tokens += await asyncio.gather(*(one(i) for i in range(start, min(n, start + 4))))
        return tokens


def fmt_ms(v: float | int | None, digits: int = 1) -> str:
    if v is None or v != v:  # NaN
        return "-"
    return f"{v:.{digits}f} ms"


def fmt_bytes(n: float | int | None) -> str:
    if n is None:
        return "-"
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n:.0f} B"


def jsonable(x: Any) -> Any:
    """Results as JSON (bench/out/results.json): dataclasses and paths made plain."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if isinstance(x, Path):
        return str(x)
    if isinstance(x, float) and x != x:
        return None
    return x
