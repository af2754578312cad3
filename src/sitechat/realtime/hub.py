"""The node's side of fanout: which local connections listen to which topic.

The hub subscribes the node to a broker topic while at least one local connection wants
it, and hands each event to those connections without waiting on any of them.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from sitechat.realtime.broker import Broker


class Listener(Protocol):
    def on_event(self, topic: str, event: dict[str, Any]) -> None:
        """Must not block: queue the event or drop the connection."""


class Hub:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self._listeners: dict[str, set[Listener]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def start(self) -> None:
        await self.broker.start(self._on_event)

    async def close(self) -> None:
        await self.broker.close()

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        await self.broker.publish(topic, event)

    async def _on_event(self, topic: str, event: dict[str, Any]) -> None:
        for listener in tuple(self._listeners.get(topic, ())):
            listener.on_event(topic, event)

    def _lock(self, topic: str) -> asyncio.Lock:
        lock = self._locks.get(topic)
        if lock is None:
            lock = self._locks[topic] = asyncio.Lock()
        return lock

    async def subscribe(self, listener: Listener, topic: str) -> None:
        async with self._lock(topic):
            listeners = self._listeners.get(topic)
            if listeners is None:
                await self.broker.subscribe(topic)
                listeners = self._listeners[topic] = set()
            listeners.add(listener)

    async def unsubscribe(self, listener: Listener, topic: str) -> None:
        async with self._lock(topic):
            listeners = self._listeners.get(topic)
            if listeners is None:
                return
            listeners.discard(listener)
            if not listeners:
                del self._listeners[topic]
                await self.broker.unsubscribe(topic)
        if topic not in self._listeners and not self._lock(topic).locked():
            self._locks.pop(topic, None)

    def deliver_local(self, topic: str, event: dict[str, Any]) -> None:
        """Hand an event to this node's listeners only (no broker)."""
        for listener in tuple(self._listeners.get(topic, ())):
            listener.on_event(topic, event)

    def local_topics(self, prefix: str) -> list[str]:
        return [t for t in self._listeners if t.startswith(prefix)]

    def local_listeners(self, topic: str) -> int:
        return len(self._listeners.get(topic, ()))
