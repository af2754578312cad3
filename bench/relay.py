"""The floor: a bare relay that speaks just enough of sitechat's protocol for the load
generator to drive it (hello → welcome, message.send → ack + message to every agent and
to the visitor, ping → pong), with the `websockets` library and nothing else: no
storage, no auth, no rate limits, no per-connection send queue.

Every realtime figure is also given as a ratio to this relay on the same machine, with the
same harness: what Python can do at all here, so a slow figure can be told apart from a
slow machine. Run: `python -m bench.relay --port 9001` (serves /ws/visitor, /ws/agent and
GET /healthz).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import http
import itertools
import json
import signal
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response


class Relay:
    def __init__(self) -> None:
        self.agents: set[ServerConnection] = set()
        self.owner: dict[str, ServerConnection] = {}  # conversation → its visitor's socket
        self.conv_of: dict[ServerConnection, str] = {}
        self.last_seq: dict[str, int] = {}
        self.ids = itertools.count(1)

    def _now(self) -> str:
        return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    async def handler(self, ws: ServerConnection) -> None:
        agent = ws.request is not None and ws.request.path.startswith("/ws/agent")
        who = f"{'ag' if agent else 'v'}_{next(self.ids)}"
        try:
            hello = json.loads(await ws.recv())
            if hello.get("type") != "hello":
                await ws.close(4000, "expected hello")
                return
            if agent:
                await ws.send(
                    json.dumps({"type": "welcome", "agent": {"id": who}, "websites": ["web_relay"]})
                )
                self.agents.add(ws)
            else:
                await ws.send(json.dumps({"type": "welcome", "visitor_id": who, "conversations": []}))
            async for raw in ws:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "message.send":
                    await self._message(ws, who, agent, frame)
                elif kind == "ping":
                    await ws.send(json.dumps({"type": "pong", "id": frame.get("id")}))
        except Exception:  # a client that went away mid-frame: nothing to clean but below
            pass
        finally:
            self.agents.discard(ws)
            conv = self.conv_of.pop(ws, None)
            if conv is not None:
                self.owner.pop(conv, None)

    async def _message(self, ws: ServerConnection, who: str, agent: bool, f: dict[str, Any]) -> None:
        if agent:
            conv = str(f.get("conversation_id"))
        else:
            conv = self.conv_of.get(ws) or ""
            if not conv:
                conv = self.conv_of[ws] = f"c_{who}"
                self.owner[conv] = ws
                # Agents learn of new conversations as from sitechat (the harness replies
                # to the conversations it has heard of).
                broadcast(self.agents, json.dumps({"type": "conversation", "conversation": {"id": conv}}))
        seq = self.last_seq[conv] = self.last_seq.get(conv, 0) + 1
        message = {
            "id": f"m_{next(self.ids)}",
            "seq": seq,
            "sender": {"kind": "agent" if agent else "visitor", "id": who, "name": None},
            "body": f.get("body"),
            "client_msg_id": f.get("client_msg_id"),
            "created_at": self._now(),
        }
        to_agents = json.dumps(
            {"type": "message", "conversation_id": conv, "website_id": "w", "message": message}
        )
        broadcast(self.agents, to_agents)
        visitor = self.owner.get(conv)
        if visitor is not None:
            frame = json.dumps(
                {"type": "message", "conversation_id": conv, "website_id": None, "message": message}
            )
            broadcast([visitor], frame)
        ack = {
            "type": "ack",
            "id": f.get("id"),
            "client_msg_id": f.get("client_msg_id"),
            "conversation_id": conv,
            "seq": seq,
            "message_id": message["id"],
        }
        await ws.send(json.dumps(ack))


def _health(conn: ServerConnection, request: Request) -> Response | None:
    if request.path == "/healthz":
        return Response(http.HTTPStatus.OK, "OK", Headers([("Content-Length", "2")]), b"ok")
    return None


async def main(host: str, port: int) -> None:
    relay = Relay()
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    # As sitechat: no per-message deflate (memory), 1 MiB frames; pings like uvicorn's.
    async with serve(
        relay.handler,
        host,
        port,
        compression=None,
        max_size=1024 * 1024,
        process_request=_health,
        backlog=4096,
    ):
        await stop


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    a = ap.parse_args()
    try:
        import uvloop  # the event loop sitechat runs on (uvicorn[standard])

        uvloop.run(main(a.host, a.port))
    except ImportError:
        asyncio.run(main(a.host, a.port))
