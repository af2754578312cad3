"""Migrations run up and down on both databases; the CLI creates agents and websites."""

from __future__ import annotations

import os
import subprocess

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from sitechat.db.migrate import downgrade, upgrade
from sitechat.db.models import Base
from tests.support.servers import BIN


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
    await engine.dispose()
    return names


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_migrations_up_down_up(backend: str, tmp_path, pg_dsn_factory) -> None:
    import asyncio

    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else pg_dsn_factory()
    await asyncio.to_thread(upgrade, url)
    assert set(Base.metadata.tables) <= await _tables(url)
    await asyncio.to_thread(downgrade, url, "base")
    assert not (set(Base.metadata.tables) & await _tables(url))
    await asyncio.to_thread(upgrade, url)
    assert set(Base.metadata.tables) <= await _tables(url)


def test_cli_agent_and_website_create(tmp_path) -> None:
    env = {**os.environ, "SITECHAT_DATA_DIR": str(tmp_path)}
    env.pop("SITECHAT_DATABASE_URL", None)

    def run(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=60, **kw)

    assert run("migrate").returncode == 0
    site = run(
        "website", "create", "--name", "Shop", "--domain", "shop.example.com", "--domain", "*.example.net"
    )
    assert site.returncode == 0, site.stderr
    assert "website id: web_" in site.stdout and "loader.js?id=" in site.stdout
    website_id = site.stdout.split("website id: ", 1)[1].split()[0]
    snippet = run("website", "snippet", website_id)
    assert snippet.returncode == 0 and snippet.stdout.strip() in site.stdout
    assert snippet.stdout.startswith("<script>") and f'"{website_id}"' in snippet.stdout
    unknown = run("website", "snippet", "web_nope")
    assert unknown.returncode != 0 and "website_not_found" in unknown.stderr
    bad = run("website", "create", "--name", "Shop", "--domain", "https://x.com/")
    assert bad.returncode != 0 and "domains" in bad.stderr
    ok = run(
        "agent",
        "create",
        "--email",
        "Ana@Example.com",
        "--name",
        "Ana",
        "--role",
        "admin",
        input="a-long-password\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert "ana@example.com\tadmin" in ok.stdout
    dup = run("agent", "create", "--email", "ana@example.com", "--name", "Ana", input="a-long-password\n")
    assert dup.returncode != 0 and "conflict" in dup.stderr
    short = run("agent", "create", "--email", "bo@example.com", "--name", "Bo", input="short\n")
    assert short.returncode != 0 and "password" in short.stderr
    # A wrong setting stops start-up with a message naming it.
    broken = subprocess.run(
        [str(BIN), "serve"], env={**env, "SITECHAT_PORT": "nope"}, capture_output=True, text=True, timeout=60
    )
    assert broken.returncode != 0 and "SITECHAT_PORT" in broken.stderr
    # serve refuses a database whose schema is not current.
    fresh = {**env, "SITECHAT_DATA_DIR": str(tmp_path / "other")}
    stale = subprocess.run([str(BIN), "serve"], env=fresh, capture_output=True, text=True, timeout=60)
    assert stale.returncode != 0 and "sitechat migrate" in stale.stderr


def test_first_start_creates_the_demo_and_prints_the_login_once(tmp_path) -> None:
    import httpx

    from tests.support.servers import ServerProcess

    srv = ServerProcess(tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}", name="demo")
    for k in ("SITECHAT_ADMIN_EMAIL", "SITECHAT_ADMIN_PASSWORD"):
        srv.env.pop(k)
    srv.env["SITECHAT_LOG_LEVEL"] = "info"
    srv.migrate()
    srv.start()
    try:
        out = srv.log()
        password = out.split("password: ")[1].split()[0]
        assert "email:    admin@example.com" in out
        with httpx.Client(base_url=srv.url) as http:
            r = http.post("/api/v1/auth/login", json={"email": "admin@example.com", "password": password})
            assert r.status_code == 200 and r.json()["agent"]["role"] == "owner"
            demo = http.get("/demo")
            site = http.get("/api/v1/websites").json()[0]
            assert (
                demo.status_code == 200 and site["id"] in demo.text and "/widget/loader.js?id=" in demo.text
            )
            assert site["domains"] == ["127.0.0.1", "localhost"]
    finally:
        srv.stop()
    srv.start()  # a second start creates nothing and prints no password
    srv.stop()
    assert srv.log().count("password: ") == 1
