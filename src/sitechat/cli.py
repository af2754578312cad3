"""The ``sitechat`` command: migrate, serve, and manage agents and websites."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import sys
from typing import Any

from pydantic import ValidationError

from sitechat.config import Settings, SettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        sys.exit(f"sitechat: configuration error: {exc}")


async def _with_uow(settings: Settings, fn: Any) -> Any:
    from sitechat.context import build_context

    ctx = await build_context(settings)
    try:
        async with ctx.uow() as uow:
            return await fn(uow)
    finally:
        await ctx.close()


def _schema_current(settings: Settings) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from sitechat.db.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config(settings.database_url))
    sync_url = settings.database_url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")
    if "+psycopg" in sync_url:
        # No sync PostgreSQL driver is installed: ask through asyncpg instead.
        return asyncio.run(_schema_current_async(settings, set(script.get_heads())))
    engine = create_engine(sync_url)
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    engine.dispose()
    return current == set(script.get_heads())


async def _schema_current_async(settings: Settings, heads: set[str]) -> bool:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(settings.database_url)
    async with engine.connect() as conn:
        current = await conn.run_sync(lambda c: set(MigrationContext.configure(c).get_current_heads()))
    await engine.dispose()
    return bool(current == heads)


def cmd_migrate(_args: argparse.Namespace) -> None:
    from sitechat.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    print("sitechat: database is up to date")


async def _bootstrap(settings: Settings) -> None:
    """First start: a demo website and an owner, so `make run` is a working demo."""
    from sitechat.agents import service as agents
    from sitechat.agents.schemas import AgentCreate
    from sitechat.websites import service as websites
    from sitechat.websites.schemas import WebsiteCreate

    async def run(uow: Any) -> None:
        if await agents.count(uow):
            return
        site = await websites.create(
            uow, WebsiteCreate(name="Demo website", domains=["127.0.0.1", "localhost"])
        )
        email = settings.admin_email or "admin@example.com"
        password = settings.admin_password or secrets.token_urlsafe(12)
        await agents.create(uow, AgentCreate(email=email, name="Admin", role="owner", password=password))
        print("\n  sitechat first start: created a demo website and an owner agent")
        print(f"    console:  {settings.public_url}/console")
        print(f"    demo:     {settings.public_url}/demo   (website {site.id})")
        print(f"    email:    {email}")
        if not settings.admin_password:
            print(f"    password: {password}   (shown once; set SITECHAT_ADMIN_PASSWORD to choose)")
        print()

    await _with_uow(settings, run)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from sitechat.app import create_app
    from sitechat.logs import log_config

    settings = _settings()
    if args.port:
        settings.port = args.port
    if args.host:
        settings.host = args.host
    if settings.public_url_derived:
        settings.public_url = f"http://{settings.host}:{settings.port}"
    try:
        current = _schema_current(settings)
    except Exception as exc:
        sys.exit(
            f"sitechat: cannot reach the database ({type(exc).__name__}: {exc}); check SITECHAT_DATABASE_URL"
        )
    if not current:
        sys.exit("sitechat: the database schema is not current: run `sitechat migrate` first")
    if not args.no_bootstrap:
        asyncio.run(_bootstrap(settings))
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level),
        ws="websockets-sansio",  # ~26 KiB an idle connection against ~33 KiB (measured)
        ws_per_message_deflate=False,  # ~20 KiB a connection instead of ~300 KiB
        ws_max_size=1024 * 1024,
        # Client addresses (rate limits) come from X-Forwarded-For only when the request
        # comes from a configured proxy; otherwise every visitor behind a load balancer
        # would share one address.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        server_header=False,
        timeout_graceful_shutdown=5,
    )


def _read_password(prompt: str) -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != first:
            sys.exit("sitechat: the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def cmd_agent_create(args: argparse.Namespace) -> None:
    from sitechat.agents import service as agents
    from sitechat.agents.schemas import AgentCreate
    from sitechat.errors import SitechatError

    settings = _settings()
    password = _read_password("Password: ")
    try:
        data = AgentCreate(
            email=args.email,
            name=args.name,
            role=args.role,
            password=password,
            website_ids=args.website or [],
        )
    except ValidationError as exc:
        sys.exit(
            "sitechat: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        )

    async def run(uow: Any) -> Any:
        return await agents.create(uow, data)

    try:
        agent = asyncio.run(_with_uow(settings, run))
    except SitechatError as exc:
        sys.exit(f"sitechat: {exc.code}: {exc.detail}")
    print(f"{agent.id}\t{agent.email}\t{agent.role}")


def cmd_website_create(args: argparse.Namespace) -> None:
    from sitechat.errors import SitechatError
    from sitechat.websites import service as websites
    from sitechat.websites.schemas import WebsiteCreate

    settings = _settings()
    try:
        data = WebsiteCreate(name=args.name, domains=args.domain)
    except ValidationError as exc:
        sys.exit(
            "sitechat: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        )

    async def run(uow: Any) -> Any:
        return await websites.create(uow, data)

    try:
        site = asyncio.run(_with_uow(settings, run))
    except SitechatError as exc:
        sys.exit(f"sitechat: {exc.code}: {exc.detail}")
    print(f"website id: {site.id}")
    print("install snippet (paste before </body> on every page):\n")
    print(websites.install_snippet(settings.public_url, site.id))


def cmd_website_snippet(args: argparse.Namespace) -> None:
    from sitechat.errors import SitechatError
    from sitechat.websites import service as websites

    settings = _settings()

    async def run(uow: Any) -> Any:
        return await websites.get(uow, args.website_id)

    try:
        site = asyncio.run(_with_uow(settings, run))
    except SitechatError as exc:
        sys.exit(f"sitechat: {exc.code}: {exc.detail}")
    print(websites.install_snippet(settings.public_url, site.id))


def cmd_visitors_purge(_args: argparse.Namespace) -> None:
    """What each node does hourly, now: forget idle anonymous visitors."""
    from datetime import timedelta

    from sitechat.db.base import utcnow
    from sitechat.tracking import repository as tracking

    settings = _settings()
    cutoff = utcnow() - timedelta(days=settings.anonymous_retention_days)

    async def run(uow: Any) -> int:
        return await tracking.purge_anonymous(uow.session, cutoff, batch=1_000_000)

    n = asyncio.run(_with_uow(settings, run))
    print(f"forgot {n} anonymous visitors idle for more than {settings.anonymous_retention_days} days")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sitechat", description="Self-hosted live chat for websites.")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--no-bootstrap", action="store_true", help="do not create the demo website and owner")
    serve.set_defaults(func=cmd_serve)

    agent = sub.add_parser("agent", help="manage agents").add_subparsers(dest="agent_command", required=True)
    ac = agent.add_parser("create", help="create an agent (password from stdin or a prompt)")
    ac.add_argument("--email", required=True)
    ac.add_argument("--name", required=True)
    ac.add_argument("--role", choices=["owner", "admin", "agent"], default="agent")
    ac.add_argument("--website", action="append", help="website id the agent works on (repeatable)")
    ac.set_defaults(func=cmd_agent_create)

    website = sub.add_parser("website", help="manage websites").add_subparsers(
        dest="website_command", required=True
    )
    wc = website.add_parser("create", help="create a website and print its install snippet")
    wc.add_argument("--name", required=True)
    wc.add_argument(
        "--domain", action="append", required=True, help="allowed host or *.example.com (repeatable)"
    )
    wc.set_defaults(func=cmd_website_create)
    ws = website.add_parser("snippet", help="print a website's install snippet, ready to paste")
    ws.add_argument("website_id")
    ws.set_defaults(func=cmd_website_snippet)

    visitors = sub.add_parser("visitors", help="visitor data").add_subparsers(
        dest="visitors_command", required=True
    )
    visitors.add_parser(
        "purge", help="forget anonymous visitors idle longer than SITECHAT_ANONYMOUS_RETENTION_DAYS"
    ).set_defaults(func=cmd_visitors_purge)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
