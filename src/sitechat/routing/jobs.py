"""The routing job of each node: reassignment of agents gone away, and the queues."""

from __future__ import annotations

import asyncio
import logging

from sitechat.context import AppContext
from sitechat.routing import service

log = logging.getLogger(__name__)

# How late a queued conversation is served once an agent connects, at most (connecting
# does not call routing: the sweep notices). Cheap: two indexed queries when idle.
SWEEP_EVERY = 2.0


async def run(ctx: AppContext) -> None:
    service.install(ctx.presence)
    every = min(SWEEP_EVERY, ctx.settings.heartbeat_interval)
    while True:
        await asyncio.sleep(every)
        try:
            await service.sweep(ctx)
        except Exception:
            log.warning("routing sweep failed", exc_info=True)
