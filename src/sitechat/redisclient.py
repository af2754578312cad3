"""Redis clients for the broker, presence, the live list and rate limits.

redis-py's default pool refuses a connection beyond its limit ("Too many connections"),
which turned a burst of widget config requests into 500s. A blocking pool makes a burst
wait for a free connection instead (bounded by ``POOL_TIMEOUT``).
"""

from __future__ import annotations

import redis.asyncio as aioredis

MAX_CONNECTIONS = 100
POOL_TIMEOUT = 10.0


def pool(url: str, *, decode_responses: bool) -> aioredis.BlockingConnectionPool:
    return aioredis.BlockingConnectionPool.from_url(
        url, max_connections=MAX_CONNECTIONS, timeout=POOL_TIMEOUT, decode_responses=decode_responses
    )


def client(url: str) -> aioredis.Redis:
    """A client that owns its (blocking) pool and closes it with ``aclose``."""
    return aioredis.Redis.from_pool(pool(url, decode_responses=True))
