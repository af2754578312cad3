"""Which agents are connected, per website, across every node.

Each agent connection is a member ``<agent_id>|<connection_id>`` with an expiry that its
heartbeat renews, so a node that dies without saying goodbye drops out within one TTL.
Memory for one node; a Redis sorted set per website when Redis is configured.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Protocol

from sitechat import redisclient


class Presence(Protocol):
    async def touch(self, agent_id: str, conn_id: str, website_ids: Iterable[str]) -> None: ...
    async def leave(self, agent_id: str, conn_id: str, website_ids: Iterable[str]) -> None: ...
    async def agents_online(self, website_id: str) -> int: ...
    async def close(self) -> None: ...


def _member(agent_id: str, conn_id: str) -> str:
    return f"{agent_id}|{conn_id}"


class MemoryPresence:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._sites: dict[str, dict[str, float]] = {}

    async def touch(self, agent_id: str, conn_id: str, website_ids: Iterable[str]) -> None:
        expiry = time.monotonic() + self.ttl
        for wid in website_ids:
            self._sites.setdefault(wid, {})[_member(agent_id, conn_id)] = expiry

    async def leave(self, agent_id: str, conn_id: str, website_ids: Iterable[str]) -> None:
        for wid in website_ids:
            self._sites.get(wid, {}).pop(_member(agent_id, conn_id), None)

    async def agents_online(self, website_id: str) -> int:
        now = time.monotonic()
        members = self._sites.get(website_id, {})
        for m in [m for m, exp in members.items() if exp <= now]:
            del members[m]
        return len({m.split("|", 1)[0] for m in members})

    async def close(self) -> None:
        self._sites.clear()


class RedisPresence:
    def __init__(self, url: str, ttl: float) -> None:
        self.ttl = ttl
        self._redis = redisclient.client(url)

    @staticmethod
    def _key(website_id: str) -> str:
        return f"sitechat:presence:{website_id}"

    async def touch(self, agent_id: str, conn_id: str, website_ids: Iterable[str]) -> None:
        expiry = time.time() + self.ttl
        async with self._redis.pipeline(transaction=False) as pipe:
            for wid in website_ids:
                pipe.zadd(self._key(wid), {_member(agent_id, conn_id): expiry})
                pipe.expire(self._key(wid), int(self.ttl) + 60)
            await pipe.execute()

    async def leave(self, agent_id: str, conn_id: str, website_ids: Iterable[str]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for wid in website_ids:
                pipe.zrem(self._key(wid), _member(agent_id, conn_id))
            await pipe.execute()

    async def agents_online(self, website_id: str) -> int:
        now = time.time()
        key = self._key(website_id)
        await self._redis.zremrangebyscore(key, "-inf", now)
        members: list[str] = await self._redis.zrange(key, 0, -1)  # type: ignore[assignment]
        return len({str(m).split("|", 1)[0] for m in members})

    async def close(self) -> None:
        await self._redis.aclose()


def make_presence(redis_url: str | None, ttl: float) -> Presence:
    return RedisPresence(redis_url, ttl) if redis_url else MemoryPresence(ttl)
