"""Start and stop real ``sitechat serve`` processes for tests (and stop them by PID)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ADMIN_EMAIL = "owner@example.com"
ADMIN_PASSWORD = "owner-password-123"
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = os.environ.get("SITECHAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BIN = Path(sys.executable).parent / "sitechat"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


async def create_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


class ServerProcess:
    def __init__(
        self,
        tmp: Path,
        *,
        database_url: str,
        name: str = "server",
        redis_url: str | None = None,
        secret_key: str = "test-secret-key-0123456789abcdefghijklmnop",
        extra_env: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.tmp = tmp
        self.name = name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.log_path = tmp / f"{name}-{self.port}.log"
        self.env = {
            **os.environ,
            "SITECHAT_DATA_DIR": str(tmp / "data"),
            "SITECHAT_DATABASE_URL": database_url,
            "SITECHAT_SECRET_KEY": secret_key,
            "SITECHAT_PUBLIC_URL": self.url,
            "SITECHAT_ADMIN_EMAIL": ADMIN_EMAIL,
            "SITECHAT_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "SITECHAT_LOG_LEVEL": "warning",
            # Tests log in often from one address; the login limit has its own test.
            "SITECHAT_RATE_LOGIN": "1000/minute",
            "SITECHAT_RATE_WIDGET_CONFIG": "1000/minute",
            "SITECHAT_RATE_MESSAGES": "1000/minute",
            # Every test speaks from 127.0.0.1; the per-address limits have their own tests.
            "SITECHAT_RATE_IP": "100000/minute",
        }
        if redis_url:
            self.env["SITECHAT_REDIS_URL"] = redis_url
        else:
            self.env.pop("SITECHAT_REDIS_URL", None)
        self.env.update(extra_env or {})
        self.proc: subprocess.Popen[bytes] | None = None

    def migrate(self) -> None:
        subprocess.run([str(BIN), "migrate"], env=self.env, check=True, capture_output=True, timeout=120)

    def start(self, timeout: float = 30) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(BIN), "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not start in {timeout}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except OSError:
            return ""


def run_sync(coro: Any) -> Any:
    """Run a coroutine from sync code even when an event loop is running in this thread
    (Playwright's sync API runs one)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def started_sqlite_server(tmp: Path, name: str, extra_env: dict[str, str] | None = None) -> ServerProcess:
    """A migrated, running server on its own SQLite file, for tests that need special settings."""
    srv = ServerProcess(
        tmp, database_url=f"sqlite+aiosqlite:///{tmp / 'db.sqlite'}", name=name, extra_env=extra_env
    )
    srv.migrate()
    srv.start()
    return srv


def cli_website(srv: ServerProcess, domain: str, name: str = "Site") -> str:
    """Create a website with `sitechat website create`; returns its id."""
    out = subprocess.run(
        [str(BIN), "website", "create", "--name", name, "--domain", domain],
        env=srv.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "<script>" in out and "websiteChat" in out  # the install snippet, ready to paste
    return out.split("website id: ")[1].split()[0]
