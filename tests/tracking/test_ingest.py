"""Page views written behind (tracking/ingest.py): nothing lost on a normal stop, retries
and late time-on-page reports land on the right row, and one bad row does not cost the
others — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from sitechat.db.engine import make_engine, make_sessionmaker
from sitechat.db.migrate import upgrade
from sitechat.tracking.ingest import PageViewIngest, PendingView, new_view_id
from sitechat.tracking.models import VisitorSession
from sitechat.visitors.models import Visitor
from sitechat.websites.models import Website
from tests.conftest import _database_url
from tests.support.servers import ServerProcess, cli_website
from tests.tracking.test_tracking_api import config, page


async def _rows(url: str, statement: str, **params: object) -> list[tuple[object, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(sa.text(statement), params)).all()]
    finally:
        await engine.dispose()


@pytest.fixture
def database_url(backend: str, tmp_path: Path, pg_dsn_factory) -> str:  # type: ignore[no-untyped-def]
    url = _database_url(backend, tmp_path, pg_dsn_factory)
    upgrade(url)
    return url


async def test_queued_page_views_are_written_once_with_their_time_on_page_and_bad_rows_alone_are_dropped(
    database_url: str,
) -> None:
    now = datetime.now(UTC)
    engine = make_engine(database_url)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session, session.begin():
        session.add(Website(id="web_i", name="S", allowed_domains=[], settings={}))
        await session.flush()
        session.add(Visitor(id="v_i", website_id="web_i"))
        await session.flush()
        session.add(VisitorSession(id="vs_i", visitor_id="v_i", website_id="web_i", page_views=0))
    ingest = PageViewIngest(sessionmaker, "postgresql" if "postgresql" in database_url else "sqlite")

    def view(pv: str, session_id: str = "vs_i", url: str = "https://shop.example.com/") -> PendingView:
        return PendingView(new_view_id(), session_id, "v_i", pv, url, "Shop", now)

    try:
        first = ingest.add_view(view("pv-one-0001"))
        assert ingest.add_view(view("pv-one-0001")) is first  # a retried request
        ingest.add_view(view("pv-two-0002", url="https://shop.example.com/cart"))
        ingest.add_view(view("pv-bad-0003", session_id="vs_gone"))  # its visit is gone
        ingest.touch("vs_i", now)
        ingest.duration("v_i", "pv-one-0001", 4000)  # still queued: set on the queued row
        assert ingest.queued_view("v_i", "pv-two-0002") is not None
        await ingest.flush()
        assert ingest.queued_view("v_i", "pv-two-0002") is None

        # Reported after the write, twice, the smaller second: the largest wins.
        ingest.duration("v_i", "pv-two-0002", 9000)
        ingest.duration("v_i", "pv-two-0002", 3000)
        # A retry after the write is ignored by the unique key.
        ingest.add_view(view("pv-one-0001"))
        ingest.touch("vs_i", now)
        await ingest.flush()
    finally:
        await ingest.close()
        await engine.dispose()

    rows = await _rows(database_url, "SELECT client_pv, url, duration_ms FROM page_views ORDER BY client_pv")
    assert rows == [
        ("pv-one-0001", "https://shop.example.com/", 4000),
        ("pv-two-0002", "https://shop.example.com/cart", 9000),
    ]
    assert await _rows(database_url, "SELECT page_views FROM visitor_sessions") == [(2,)]


async def test_page_views_just_before_a_normal_stop_are_all_kept(tmp_path: Path) -> None:
    """The stop comes at once after the answers, mostly inside the quarter second in
    which they are still queued: the node writes them on its way out."""
    srv = ServerProcess(
        tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        name="ingest-stop",
    )
    srv.migrate()
    srv.start()
    try:
        website_id = cli_website(srv, "shop.example.com")
        first = await config(srv, website_id, body={"page": page("https://shop.example.com/")})
        assert first.status_code == 200, first.text
        key = first.json()["visitor_key"]
        results = await asyncio.gather(
            *(
                config(
                    srv, website_id, body={"visitor_key": key, "page": page(f"https://shop.example.com/{i}")}
                )
                for i in range(5)
            )
        )
        assert all(r.status_code == 200 for r in results)
    finally:
        srv.stop()
    rows = await _rows(srv.env["SITECHAT_DATABASE_URL"], "SELECT count(*) FROM page_views")
    sessions = await _rows(srv.env["SITECHAT_DATABASE_URL"], "SELECT page_views FROM visitor_sessions")
    assert rows == [(6,)] and sessions == [(6,)]
