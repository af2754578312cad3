"""A client that stops reading is cut off; it never stalls a broadcast to others."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

from starlette.websockets import WebSocketState

from sitechat.actors import VisitorActor
from sitechat.realtime.connection import Connection
from sitechat.realtime.protocol import CloseCode


class StuckSocket:
    """A socket whose peer never reads: every send blocks forever."""

    application_state = WebSocketState.CONNECTED

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None
        self.block = asyncio.Event()

    async def send_text(self, text: str) -> None:
        self.sent.append(text)
        await self.block.wait()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)
        self.application_state = WebSocketState.DISCONNECTED


class FastSocket(StuckSocket):
    async def send_text(self, text: str) -> None:
        self.sent.append(text)


def _ctx(queue: int) -> Any:
    settings = SimpleNamespace(ws_send_queue=queue, heartbeat_interval=60.0, heartbeat_timeout=120.0)
    return SimpleNamespace(settings=settings)


async def test_a_stuck_reader_is_closed_as_too_slow_and_others_keep_flowing() -> None:
    ctx = _ctx(queue=8)
    actor = VisitorActor(visitor_id="v_1", website_id="web_1")
    stuck_ws, fast_ws = StuckSocket(), FastSocket()
    stuck = Connection(stuck_ws, ctx, actor)  # type: ignore[arg-type]
    fast = Connection(fast_ws, ctx, actor)  # type: ignore[arg-type]

    async def run(conn: Connection) -> None:
        conn.start()
        conn.release()
        await asyncio.sleep(3600)  # the reader: ended by the writer when it closes

    stuck_task = asyncio.create_task(run(stuck))
    fast_task = asyncio.create_task(run(fast))
    await asyncio.sleep(0)
    event = {"type": "presence", "agents_online": True}
    for _ in range(50):  # a broadcast: on_event never waits on a socket
        stuck.on_event("presence:web_1", event)
        fast.on_event("presence:web_1", event)
        await asyncio.sleep(0)
    await asyncio.wait({stuck_task}, timeout=2)
    assert stuck_task.cancelled()  # the stuck connection's reader was ended…
    assert stuck_ws.closed is not None and stuck_ws.closed[0] == CloseCode.TOO_SLOW
    assert len(stuck_ws.sent) == 1  # …after its first frame blocked, not after 50
    await asyncio.sleep(0.05)
    assert len(fast_ws.sent) == 50  # …while the healthy one got everything
    fast_task.cancel()
    await fast.stop()


async def test_a_burst_larger_than_the_queue_in_one_tick_closes_the_socket() -> None:
    ctx = _ctx(queue=8)
    ws = StuckSocket()
    conn = Connection(ws, ctx, VisitorActor(visitor_id="v_1", website_id="web_1"))  # type: ignore[arg-type]

    async def run() -> None:
        conn.start()
        conn.release()
        await asyncio.sleep(3600)

    task = asyncio.create_task(run())
    await asyncio.sleep(0)
    for _ in range(300):  # no await in between: the writer has not even started
        conn.on_event("presence:web_1", {"type": "presence", "agents_online": True})
    await asyncio.wait({task}, timeout=4)
    assert task.cancelled()
    assert ws.closed is not None and ws.closed[0] == CloseCode.TOO_SLOW


async def test_an_idle_connection_holds_no_writer_task() -> None:
    ctx = _ctx(queue=8)
    ws = FastSocket()
    conn = Connection(ws, ctx, VisitorActor(visitor_id="v_1", website_id="web_1"))  # type: ignore[arg-type]
    conn.start()
    conn.release()
    conn.on_event("presence:web_1", {"type": "presence", "agents_online": True})
    conn.on_event("presence:web_1", {"type": "presence", "agents_online": False})
    await asyncio.sleep(0.05)
    assert [json.loads(t)["agents_online"] for t in ws.sent] == [True, False]  # in order
    assert conn._writer_task is not None and conn._writer_task.done()  # and gone when idle
    await conn.stop()
    assert ws.closed == (1000, "")
