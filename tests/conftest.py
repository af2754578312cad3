"""Test fixtures: real servers (``sitechat serve`` processes) on SQLite and PostgreSQL.

Every test that takes ``server`` runs once per database backend. PostgreSQL and Redis are
real; when one is not reachable the run says so, and under CI=true that is a failure.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.clients import Api
from tests.support.servers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PG_ADMIN_DSN,
    REDIS_URL,
    ServerProcess,
    create_pg_database,
    drop_pg_database,
    postgres_reachable,
    redis_reachable,
    run_sync,
)

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(what: str, ok: bool) -> None:
    if ok:
        return
    message = f"{what} is not reachable: start it (see README, 'make services') to run these tests"
    if CI:
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


def _run_coro(coro: object) -> None:
    # A fixture may be set up inside a running event loop.
    run_sync(coro)


@pytest.fixture(scope="session")
def pg_dsn_factory() -> Iterator[object]:
    """Creates fresh PostgreSQL databases and drops them at the end of the session."""
    created: list[str] = []

    def make() -> str:
        need("PostgreSQL (" + PG_ADMIN_DSN + ")", postgres_reachable())
        name = "sitechat_t_" + secrets.token_hex(4)
        _run_coro(create_pg_database(name))
        created.append(name)
        return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"

    yield make
    for name in created:
        _run_coro(drop_pg_database(name))


@pytest.fixture(scope="session")
def redis_url() -> str:
    need("Redis (" + REDIS_URL + ")", redis_reachable())
    return REDIS_URL


def _database_url(backend: str, tmp: Path, pg_dsn_factory: object) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'sitechat.db'}"
    return pg_dsn_factory()  # type: ignore[operator,no-any-return]


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


GEOIP_DIR = Path(__file__).resolve().parent.parent / ".cache" / "geoip"


@pytest.fixture(scope="session")
def geoip_city_db() -> Path:
    """MaxMind's GeoIP2 City test database (from the geoip2 source package, see
    scripts/geoip-testdb.sh): 81.2.69.142 is London in it."""
    path = GEOIP_DIR / "GeoIP2-City-Test.mmdb"
    if not path.exists():
        if CI:
            pytest.fail(f"CI=true: {path} is missing; `make test` fetches it (scripts/geoip-testdb.sh)")
        subprocess.run(["bash", "scripts/geoip-testdb.sh"], check=True, cwd=GEOIP_DIR.parent.parent)
    return path


@pytest.fixture(scope="session")
def server(
    backend: str, tmp_path_factory: pytest.TempPathFactory, pg_dsn_factory: object, geoip_city_db: Path
) -> Iterator[ServerProcess]:
    """One server per backend for the whole session; tests isolate themselves by creating
    their own websites and agents. It believes X-Forwarded-For from 127.0.0.1 (the tests
    are its proxy) and locates addresses with MaxMind's City test data. It remembers a
    visit for one second only, so that a test can move a visit back in time in the
    database and be believed a second later."""
    tmp = tmp_path_factory.mktemp(f"server-{backend}")
    proc = ServerProcess(
        tmp,
        database_url=_database_url(backend, tmp, pg_dsn_factory),
        name=backend,
        extra_env={
            "SITECHAT_TRUSTED_PROXIES": "127.0.0.1",
            "SITECHAT_GEOIP_DB": str(geoip_city_db),
            "SITECHAT_VISIT_MEMORY_SECONDS": "1",
        },
    )
    proc.migrate()
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
async def owner(server: ServerProcess) -> AsyncIterator[Api]:
    """An API client authenticated as the bootstrap owner (by API token)."""
    async with Api(server.url) as api:
        await api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        token = await api.create_token("tests")
        api.use_token(token)
        yield api
