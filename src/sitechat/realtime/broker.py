"""The broker only wakes nodes: the database is the log.

``MemoryBroker`` serves one process; ``RedisBroker`` fans events out across nodes with
Redis pub/sub. Both deliver an event to ``on_event`` for topics this node subscribed to.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sitechat import redisclient

log = logging.getLogger(__name__)

EventHandler = Callable[[str, dict[str, Any]], Awaitable[None]]
CHANNEL_PREFIX = "sitechat:"


class Broker(Protocol):
    async def start(self, on_event: EventHandler) -> None: ...
    async def publish(self, topic: str, event: dict[str, Any]) -> None: ...
    async def subscribe(self, topic: str) -> None: ...
    async def unsubscribe(self, topic: str) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> None:
        """Raise when the broker cannot be reached (readiness checks)."""


class MemoryBroker:
    def __init__(self) -> None:
        self._on_event: EventHandler | None = None
        self._topics: set[str] = set()

    async def start(self, on_event: EventHandler) -> None:
        self._on_event = on_event

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        if self._on_event is not None and topic in self._topics:
            await self._on_event(topic, event)

    async def subscribe(self, topic: str) -> None:
        self._topics.add(topic)

    async def unsubscribe(self, topic: str) -> None:
        self._topics.discard(topic)

    async def close(self) -> None:
        self._topics.clear()

    async def ping(self) -> None:
        return None


class RedisBroker:
    """One pub/sub connection per node for every topic, and a pooled one for publishing.

    ``subscribe`` returns once Redis has confirmed the subscription, so a caller that
    subscribes and then reads the database cannot miss an event published in between.
    """

    def __init__(self, url: str) -> None:
        self._redis = redisclient.client(url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=False)
        self._on_event: EventHandler | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, list[asyncio.Future[None]]] = {}
        self._lock = asyncio.Lock()

    async def start(self, on_event: EventHandler) -> None:
        self._on_event = on_event
        await self._redis.ping()  # fail fast at start-up with a clear error
        # redis-py needs one subscription before listen() can run.
        await self._pubsub.subscribe(CHANNEL_PREFIX + "_node")
        self._reader = asyncio.create_task(self._read(), name="redis-broker-reader")

    async def _read(self) -> None:
        while True:
            try:
                async for msg in self._pubsub.listen():
                    await self._dispatch(msg)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redis pub/sub reader failed; reconnecting in 1 s")
                await asyncio.sleep(1)

    async def _dispatch(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        channel = str(msg.get("channel", ""))
        topic = channel.removeprefix(CHANNEL_PREFIX)
        if kind == "subscribe":
            for fut in self._pending.pop(topic, []):
                if not fut.done():
                    fut.set_result(None)
            return
        if kind != "message" or self._on_event is None:
            return
        try:
            event = json.loads(msg["data"])
        except (TypeError, ValueError):
            log.warning("dropped an undecodable event on %s", channel)
            return
        try:
            await self._on_event(topic, event)
        except Exception:
            log.exception("event handler failed for %s", topic)

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        await self._redis.publish(CHANNEL_PREFIX + topic, json.dumps(event, separators=(",", ":")))

    async def subscribe(self, topic: str) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(topic, []).append(fut)
        async with self._lock:
            await self._pubsub.subscribe(CHANNEL_PREFIX + topic)
        try:
            await asyncio.wait_for(fut, timeout=5)
        except TimeoutError:
            log.warning("redis did not confirm the subscription to %s in 5 s", topic)
            waiting = self._pending.get(topic, [])
            if fut in waiting:
                waiting.remove(fut)
            if not waiting:
                self._pending.pop(topic, None)

    async def unsubscribe(self, topic: str) -> None:
        async with self._lock:
            await self._pubsub.unsubscribe(CHANNEL_PREFIX + topic)

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()


def make_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else MemoryBroker()
