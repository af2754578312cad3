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
    async def agents_online(self, website_id: str) -> int:
        """Connected agents whose status is online: what visitors are told."""
        ...

    async def agents_present(self, website_id: str) -> set[str]:
        """Connected agents, whatever their status (routing's view)."""
        ...

    async def set_available(self, agent_id: str, available: bool) -> None:
        """The agent's status: away and offline agents stay present but are not online."""
        ...

    async def seconds_since_seen(self, agent_id: str) -> float | None:
        """How long since any console of the agent was last heard (0 while one is
        connected); None when it was never seen (or too long ago to remember)."""
        ...

    async def set_visible(self, agent_id: str, conn_id: str, visible: bool) -> None:
        """A console of the agent reported its page visible (or not); renewed by heartbeats."""
        ...

    async def any_visible(self, agent_id: str) -> bool:
        """Whether a console of the agent, on any node, shows its page now (no web push then)."""
        ...

    async def close(self) -> None: ...


# How long Redis remembers when an agent was last seen (routing's offline grace is shorter).
SEEN_MEMORY = 86_400


def _member(agent_id: str, conn_id: str) -> str:
    return f"{agent_id}|{conn_id}"


class MemoryPresence:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._sites: dict[str, dict[str, float]] = {}
        self._seen: dict[str, float] = {}
        self._visible: dict[str, dict[str, float]] = {}
        self._unavailable: set[str] = set()
        # This node's memory starts empty at each start: agents get a grace period to
        # reconnect before routing counts them as gone.
        self._started = time.monotonic()

    async def touch(self, agent_id: str, conn_id: str, website_ids: Iterable[str]) -> None:
        now = time.monotonic()
        expiry = now + self.ttl
        self._seen[agent_id] = now
        for wid in website_ids:
            self._sites.setdefault(wid, {})[_member(agent_id, conn_id)] = expiry

    async def leave(self, agent_id: str, conn_id: str, website_ids: Iterable[str]) -> None:
        self._seen[agent_id] = time.monotonic()
        for wid in website_ids:
            self._sites.get(wid, {}).pop(_member(agent_id, conn_id), None)

    async def agents_online(self, website_id: str) -> int:
        return len(await self.agents_present(website_id) - self._unavailable)

    async def set_available(self, agent_id: str, available: bool) -> None:
        if available:
            self._unavailable.discard(agent_id)
        else:
            self._unavailable.add(agent_id)

    async def agents_present(self, website_id: str) -> set[str]:
        now = time.monotonic()
        members = self._sites.get(website_id, {})
        for m in [m for m, exp in members.items() if exp <= now]:
            del members[m]
        return {m.split("|", 1)[0] for m in members}

    async def seconds_since_seen(self, agent_id: str) -> float | None:
        now = time.monotonic()
        if any(
            m.split("|", 1)[0] == agent_id and exp > now for s in self._sites.values() for m, exp in s.items()
        ):
            return 0.0
        return now - self._seen.get(agent_id, self._started)

    async def set_visible(self, agent_id: str, conn_id: str, visible: bool) -> None:
        consoles = self._visible.setdefault(agent_id, {})
        if visible:
            consoles[conn_id] = time.monotonic() + self.ttl
        else:
            consoles.pop(conn_id, None)
            if not consoles:
                del self._visible[agent_id]

    async def any_visible(self, agent_id: str) -> bool:
        now = time.monotonic()
        return any(exp > now for exp in self._visible.get(agent_id, {}).values())

    async def close(self) -> None:
        self._sites.clear()


class RedisPresence:
    def __init__(self, url: str, ttl: float) -> None:
        self.ttl = ttl
        self._redis = redisclient.client(url)

    @staticmethod
    def _key(website_id: str) -> str:
        return f"sitechat:presence:{website_id}"

    @staticmethod
    def _seen_key(agent_id: str) -> str:
        return f"sitechat:presence-seen:{agent_id}"

    async def touch(self, agent_id: str, conn_id: str, website_ids: Iterable[str]) -> None:
        now = time.time()
        expiry = now + self.ttl
        async with self._redis.pipeline(transaction=False) as pipe:
            # "Still here" until this expiry: a node that dies leaves the agent seen until then.
            pipe.set(self._seen_key(agent_id), repr(expiry), ex=SEEN_MEMORY)
            for wid in website_ids:
                pipe.zadd(self._key(wid), {_member(agent_id, conn_id): expiry})
                pipe.expire(self._key(wid), int(self.ttl) + 60)
            await pipe.execute()

    async def leave(self, agent_id: str, conn_id: str, website_ids: Iterable[str]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(self._seen_key(agent_id), repr(time.time()), ex=SEEN_MEMORY)
            for wid in website_ids:
                pipe.zrem(self._key(wid), _member(agent_id, conn_id))
            await pipe.execute()

    # Agents whose status is away or offline, for every node.
    _AWAY_KEY = "sitechat:presence-away"

    async def agents_online(self, website_id: str) -> int:
        present = sorted(await self.agents_present(website_id))
        if not present:
            return 0
        away = await self._redis.smismember(self._AWAY_KEY, present)
        return sum(1 for flag in away if not flag)

    async def set_available(self, agent_id: str, available: bool) -> None:
        if available:
            await self._redis.srem(self._AWAY_KEY, agent_id)
        else:
            await self._redis.sadd(self._AWAY_KEY, agent_id)

    async def agents_present(self, website_id: str) -> set[str]:
        now = time.time()
        key = self._key(website_id)
        await self._redis.zremrangebyscore(key, "-inf", now)
        members: list[str] = await self._redis.zrange(key, 0, -1)  # type: ignore[assignment]
        return {str(m).split("|", 1)[0] for m in members}

    async def seconds_since_seen(self, agent_id: str) -> float | None:
        raw = await self._redis.get(self._seen_key(agent_id))
        if raw is None:
            return None
        try:
            return max(0.0, time.time() - float(raw))
        except ValueError:
            return None

    @staticmethod
    def _visible_key(agent_id: str) -> str:
        return f"sitechat:presence-visible:{agent_id}"

    async def set_visible(self, agent_id: str, conn_id: str, visible: bool) -> None:
        key = self._visible_key(agent_id)
        if visible:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.zadd(key, {conn_id: time.time() + self.ttl})
                pipe.expire(key, int(self.ttl) + 60)
                await pipe.execute()
        else:
            await self._redis.zrem(key, conn_id)

    async def any_visible(self, agent_id: str) -> bool:
        # A console whose node died stops counting when its entry expires.
        return int(await self._redis.zcount(self._visible_key(agent_id), time.time(), "+inf")) > 0

    async def close(self) -> None:
        await self._redis.aclose()


def make_presence(redis_url: str | None, ttl: float) -> Presence:
    return RedisPresence(redis_url, ttl) if redis_url else MemoryPresence(ttl)
