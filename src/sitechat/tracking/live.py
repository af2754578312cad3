"""Who is on each website right now, across every node.

Each open tab of a visitor is a member ``<visitor_id>|<tab>`` with an expiry that the
widget's ping renews (every 20 s), so a tab that goes away without saying so drops out
within one TTL (60 s). Beside it lives what agents see of that tab (the current page,
where the visitor came from...), as JSON. Memory for one node; with Redis a sorted set
and a hash per website, so every node sees the same list.

Expired members are removed by one node's sweep: whoever removes a member (``ZREM``
answering 1) announces that the visitor left, so no departure is announced twice.
"""

from __future__ import annotations

import time
from typing import Protocol

from sitechat import redisclient

TTL = 60.0
# A tab that says it is leaving is off the list at once, but the departure is announced
# only if no other tab of the visitor shows up meanwhile: going from page to page is a
# leave followed by an arrival, and agents should not see the visitor blink.
LEAVE_GRACE = 3.0


def member(visitor_id: str, tab: str) -> str:
    return f"{visitor_id}|{tab}"


def visitor_of(member_: str) -> str:
    return member_.split("|", 1)[0]


class LivePresence(Protocol):
    async def touch(self, website_id: str, member_: str, info: str | None) -> bool:
        """Renew a tab (and set what agents see of it when ``info`` is given). True when the
        tab was not listed: the caller then has to give its ``info``."""
        ...

    async def leave(self, website_id: str, member_: str) -> bool:
        """Drop a tab (True when this call removed it) and check on its visitor after
        ``LEAVE_GRACE`` (see ``departures``)."""
        ...

    async def departures(self) -> list[tuple[str, str]]:
        """(website_id, visitor_id) of the visitors whose tab left ``LEAVE_GRACE`` ago,
        each claimed by exactly one caller."""
        ...

    async def members(self, website_id: str) -> dict[str, str]:
        """Live tabs of a website and their info."""
        ...

    async def expired(self) -> list[tuple[str, str]]:
        """Remove the tabs whose time is up, everywhere; (website_id, member) of each one
        this call removed."""
        ...

    async def close(self) -> None: ...


class MemoryLivePresence:
    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._sites: dict[str, dict[str, tuple[float, str]]] = {}
        self._leaving: dict[tuple[str, str], float] = {}

    async def touch(self, website_id: str, member_: str, info: str | None) -> bool:
        site = self._sites.setdefault(website_id, {})
        old = site.get(member_)
        fresh = old is None or old[0] <= time.monotonic()
        if info is None and fresh:
            return True
        site[member_] = (time.monotonic() + self.ttl, info if info is not None else old[1])  # type: ignore[index]
        return fresh

    async def leave(self, website_id: str, member_: str) -> bool:
        self._leaving[(website_id, visitor_of(member_))] = time.monotonic() + LEAVE_GRACE
        return self._sites.get(website_id, {}).pop(member_, None) is not None

    async def departures(self) -> list[tuple[str, str]]:
        now = time.monotonic()
        due = [k for k, at in self._leaving.items() if at <= now]
        for k in due:
            del self._leaving[k]
        return due

    async def members(self, website_id: str) -> dict[str, str]:
        now = time.monotonic()
        return {m: info for m, (exp, info) in self._sites.get(website_id, {}).items() if exp > now}

    async def expired(self) -> list[tuple[str, str]]:
        now = time.monotonic()
        gone: list[tuple[str, str]] = []
        for wid, site in self._sites.items():
            for m in [m for m, (exp, _) in site.items() if exp <= now]:
                del site[m]
                gone.append((wid, m))
        return gone

    async def close(self) -> None:
        self._sites.clear()
        self._leaving.clear()


class RedisLivePresence:
    SITES = "sitechat:live:sites"
    LEAVING = "sitechat:live:leaving"

    def __init__(self, url: str, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._redis = redisclient.client(url)

    @staticmethod
    def _z(website_id: str) -> str:
        return f"sitechat:live:{website_id}"

    @staticmethod
    def _h(website_id: str) -> str:
        return f"sitechat:live:{website_id}:info"

    async def touch(self, website_id: str, member_: str, info: str | None) -> bool:
        z, h = self._z(website_id), self._h(website_id)
        expiry = time.time() + self.ttl
        if info is None:
            # Renew only a tab that is still listed (XX); a swept one needs its info again.
            score = await self._redis.zscore(z, member_)
            if score is None or float(score) <= time.time():
                return True
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.zadd(z, {member_: expiry}, xx=True)
                pipe.sadd(self.SITES, website_id)
                await pipe.execute()
            return False
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zscore(z, member_)
            pipe.zadd(z, {member_: expiry})
            pipe.hset(h, member_, info)
            pipe.sadd(self.SITES, website_id)
            old, *_ = await pipe.execute()
        return old is None or float(old) <= time.time()

    async def leave(self, website_id: str, member_: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._z(website_id), member_)
            pipe.hdel(self._h(website_id), member_)
            pipe.zadd(self.LEAVING, {f"{website_id}|{visitor_of(member_)}": time.time() + LEAVE_GRACE})
            removed, *_ = await pipe.execute()
        return bool(removed)

    async def departures(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for key in [str(k) for k in await self._redis.zrangebyscore(self.LEAVING, "-inf", time.time())]:
            if await self._redis.zrem(self.LEAVING, key):
                website_id, _, visitor_id = key.partition("|")
                out.append((website_id, visitor_id))
        return out

    async def members(self, website_id: str) -> dict[str, str]:
        live = [str(m) for m in await self._redis.zrangebyscore(self._z(website_id), time.time(), "+inf")]
        if not live:
            return {}
        infos = await self._redis.hmget(self._h(website_id), live)
        return {m: str(i) for m, i in zip(live, infos, strict=True) if i is not None}

    async def expired(self) -> list[tuple[str, str]]:
        gone: list[tuple[str, str]] = []
        now = time.time()
        sites = [str(w) for w in await self._redis.smembers(self.SITES)]
        for wid in sites:
            z = self._z(wid)
            for m in [str(x) for x in await self._redis.zrangebyscore(z, "-inf", now)]:
                # Only the node whose ZREM removed it announces the departure.
                if await self._redis.zrem(z, m):
                    await self._redis.hdel(self._h(wid), m)
                    gone.append((wid, m))
            if await self._redis.zcard(z) == 0:
                await self._redis.srem(self.SITES, wid)
        return gone

    async def close(self) -> None:
        await self._redis.aclose()


def make_live_presence(redis_url: str | None, ttl: float = TTL) -> LivePresence:
    return RedisLivePresence(redis_url, ttl) if redis_url else MemoryLivePresence(ttl)
