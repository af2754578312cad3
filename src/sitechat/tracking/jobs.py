"""Background work of each node: writing queued page views, the live list's sweep and the
retention purge."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from sitechat.context import AppContext
from sitechat.db.base import utcnow
from sitechat.tracking import repository, service

log = logging.getLogger(__name__)

# Cheap (a few Redis commands), and it bounds how late a departure is announced.
SWEEP_EVERY = 2.0
PURGE_EVERY = 3600.0


async def purge_anonymous(ctx: AppContext) -> int:
    """Forget anonymous visitors idle longer than the retention setting; returns how many."""
    cutoff = utcnow() - timedelta(days=ctx.settings.anonymous_retention_days)
    total = 0
    while True:
        async with ctx.uow() as uow:
            n = await repository.purge_anonymous(uow.session, cutoff)
        total += n
        if n == 0:
            return total
        await asyncio.sleep(0)


async def run(ctx: AppContext) -> None:
    await asyncio.gather(_sweeps(ctx), ctx.ingest.run())


async def _sweeps(ctx: AppContext) -> None:
    # Every node runs the purge; the deletes are idempotent, so overlapping runs only
    # find less to do.
    next_purge = time.monotonic() + 60
    # A silent tab leaves the list within TTL + this.
    every = min(SWEEP_EVERY, ctx.settings.live_visitor_ttl / 2)
    while True:
        await asyncio.sleep(every)
        try:
            await service.sweep_live(ctx)
        except Exception:
            log.warning("live visitor sweep failed", exc_info=True)
        if time.monotonic() >= next_purge:
            next_purge = time.monotonic() + PURGE_EVERY
            try:
                n = await purge_anonymous(ctx)
                if n:
                    log.info("retention: forgot %d anonymous visitors", n)
            except Exception:
                log.warning("retention purge failed", exc_info=True)
