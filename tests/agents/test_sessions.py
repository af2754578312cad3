"""Console sessions, in-process against a real SQLite database."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from sitechat.agents import service as agents
from sitechat.agents.models import AgentSession
from sitechat.agents.schemas import AgentCreate
from sitechat.config import load_settings
from sitechat.context import build_context
from sitechat.db.migrate import upgrade
from sitechat.errors import InvalidCredentials, Unauthorized


async def test_expired_sessions_are_refused_and_swept_at_the_next_login(tmp_path) -> None:
    settings = load_settings(data_dir=tmp_path, secret_key="k" * 40)
    await asyncio.to_thread(upgrade, settings.database_url)
    ctx = await build_context(settings)
    try:
        async with ctx.uow() as uow:
            agent = await agents.create(
                uow,
                AgentCreate(email="ana@example.com", name="Ana", role="agent", password="long-password-1"),
            )
            old_token, _ = await agents.start_session(uow, agent, ttl_seconds=-1)  # already expired
        async with ctx.uow() as uow:
            with pytest.raises(Unauthorized):
                await agents.from_session(uow, old_token)
        async with ctx.uow() as uow:
            with pytest.raises(InvalidCredentials):
                await agents.authenticate(uow, "ana@example.com", "wrong-password")
            same = await agents.authenticate(uow, " ANA@example.com ", "long-password-1")
            new_token, _ = await agents.start_session(uow, same, ttl_seconds=3600)
        async with ctx.uow() as uow:
            found, _session = await agents.from_session(uow, new_token)
            assert found.id == agent.id
            left = await uow.session.scalar(select(func.count()).select_from(AgentSession))
            assert left == 1  # the expired one was swept by the login
    finally:
        await ctx.close()
