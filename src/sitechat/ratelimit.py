"""Rate limits with the ``limits`` library: in memory, or in Redis so they hold across nodes.

Used for HTTP endpoints and for WebSocket frames alike.
"""

from __future__ import annotations

import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from sitechat import redisclient
from sitechat.config import Settings
from sitechat.errors import RateLimited


class RateLimiter:
    def __init__(self, redis_url: str | None) -> None:
        self._storage: Storage
        if redis_url:
            self._storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix="sitechat:rl",
                # (limits types its pass-through options as scalars; redis-py takes a pool.)
                connection_pool=redisclient.pool(redis_url, decode_responses=False),  # type: ignore[arg-type]
            )
        else:
            self._storage = MemoryStorage()
        self._strategy = MovingWindowRateLimiter(self._storage)
        self._items: dict[str, RateLimitItem] = {}

    def _item(self, rule: str) -> RateLimitItem:
        item = self._items.get(rule)
        if item is None:
            item = self._items[rule] = parse(rule)
        return item

    async def allow(self, rule: str, *keys: str) -> bool:
        return await self._strategy.hit(self._item(rule), *keys)

    async def retry_after(self, rule: str, *keys: str) -> int | None:
        """Count a hit: None within the limit, else the seconds until a hit would be allowed."""
        item = self._item(rule)
        if await self._strategy.hit(item, *keys):
            return None
        stats = await self._strategy.get_window_stats(item, *keys)
        return max(1, int(stats.reset_time - time.time()) + 1)

    async def check(self, rule: str, *keys: str) -> None:
        """Count a hit; raise RateLimited (with Retry-After) when over the limit."""
        wait = await self.retry_after(rule, *keys)
        if wait is not None:
            raise RateLimited(retry_after=wait)

    async def reset(self) -> None:
        await self._storage.reset()


async def check_widget_traffic(
    limiter: RateLimiter, settings: Settings, website_id: str, origin_host: str | None, ip: str
) -> None:
    """Widget requests and visitor sockets: per client address (all websites together), then
    per website and host page domain. Raises RateLimited for the first one exceeded."""
    await limiter.check(settings.rate_ip, "ip", ip)
    await limiter.check(settings.rate_domain, "domain", website_id[:40], (origin_host or "-")[:253])
