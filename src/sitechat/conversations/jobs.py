"""The snooze job of each node: conversations whose snooze is over open again."""

from __future__ import annotations

import asyncio
import logging

from sitechat.context import AppContext
from sitechat.conversations import service

log = logging.getLogger(__name__)

# How late a snoozed conversation wakes, at most. Cheap when idle: one indexed query.
SWEEP_EVERY = 1.0


async def wake_snoozed(ctx: AppContext) -> int:
    """Every node runs this; the conditional UPDATE gives each conversation to one."""
    total = 0
    while True:
        async with ctx.uow() as uow:
            n = await service.wake_due(uow)
        total += n
        if n < 100:
            return total


async def run(ctx: AppContext) -> None:
    while True:
        await asyncio.sleep(SWEEP_EVERY)
        try:
            await wake_snoozed(ctx)
        except Exception:
            log.warning("snooze sweep failed", exc_info=True)
