"""The node's side of fanout: which local connections listen to which topic.

The hub subscribes the node to a broker topic while at least one local connection wants
it, and hands each event to those connections without waiting on any of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from sitechat.realtime.broker import Broker

log = logging.getLogger(__name__)


class Listener(Protocol):
    def on_event(self, topic: str, event: dict[str, Any]) -> None:
        """Must not block: queue the event or drop the connection."""


class _TopicLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class Hub:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self._listeners: dict[str, set[Listener]] = {}
        self._locks: dict[str, _TopicLock] = {}
        # Told of every event this node publishes, once it is published (services publish
        # only after commit): notifications watch the frames rather than hook each service.
        self._observers: list[Callable[[str, dict[str, Any]], None]] = []

    async def start(self) -> None:
        await self.broker.start(self._on_event)

    async def close(self) -> None:
        await self.broker.close()

    def observe(self, observer: Callable[[str, dict[str, Any]], None]) -> None:
        """``observer(topic, event)`` must not block (start a task for slow work)."""
        self._observers.append(observer)

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        await self.broker.publish(topic, event)
        for observer in self._observers:
            try:
                observer(topic, event)
            except Exception:
                log.exception("event observer failed")

    async def _on_event(self, topic: str, event: dict[str, Any]) -> None:
        for listener in tuple(self._listeners.get(topic, ())):
            listener.on_event(topic, event)

    @contextlib.asynccontextmanager
    async def _topic_lock(self, topic: str) -> AsyncIterator[None]:
        """A per-topic lock that lives while anyone holds or waits for it. (Removing it
        when merely unlocked would let a woken waiter and a newcomer both run.)"""
        entry = self._locks.get(topic)
        if entry is None:
            entry = self._locks[topic] = _TopicLock()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[topic]

    async def subscribe(self, listener: Listener, topic: str) -> None:
        async with self._topic_lock(topic):
            if topic not in self._listeners:
                await self.broker.subscribe(topic)
            self._listeners.setdefault(topic, set()).add(listener)

    async def unsubscribe(self, listener: Listener, topic: str) -> None:
        async with self._topic_lock(topic):
            listeners = self._listeners.get(topic)
            if listeners is None:
                return
            listeners.discard(listener)
            if not listeners:
                del self._listeners[topic]
                await self.broker.unsubscribe(topic)

    def deliver_local(self, topic: str, event: dict[str, Any]) -> None:
        """Hand an event to this node's listeners only (no broker)."""
        for listener in tuple(self._listeners.get(topic, ())):
            listener.on_event(topic, event)

    def local_topics(self, prefix: str) -> list[str]:
        return [t for t in self._listeners if t.startswith(prefix)]

    def local_listeners(self, topic: str) -> int:
        return len(self._listeners.get(topic, ()))
