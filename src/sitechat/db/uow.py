"""The unit of work: one transaction, and the events to publish once it commits.

Requests, WebSocket frame handlers and jobs own the transaction; services only flush and
queue events with ``uow.emit``. Events leave the node only after a successful commit, so a
client never hears of a message the database does not have.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)


class Publisher(Protocol):
    async def publish(self, topic: str, event: dict[str, Any]) -> None: ...


class UnitOfWork:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], publisher: Publisher) -> None:
        self._sessionmaker = sessionmaker
        self._publisher = publisher
        self._events: list[tuple[str, dict[str, Any]]] = []
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._sessionmaker()
        return self._session

    def emit(self, topic: str, event: dict[str, Any]) -> None:
        self._events.append((topic, event))

    async def commit(self) -> None:
        """Commit, give the connection back, then publish what the transaction queued."""
        if self._session is not None:
            await self._session.commit()
            await self.close()
        await self._publish()

    async def _publish(self) -> None:
        events, self._events = self._events, []
        for topic, event in events:
            try:
                await self._publisher.publish(topic, event)
            except Exception:
                # Committed is committed: clients catch up by seq when they resume or
                # when the next event reveals the gap. Failing the request would make
                # the sender retry something that is already stored.
                log.exception("publishing to %s failed after commit", topic)

    async def rollback(self) -> None:
        self._events.clear()
        if self._session is not None:
            await self._session.rollback()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self.commit()
            else:
                await self.rollback()
        finally:
            await self.close()
