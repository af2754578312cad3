"""Helpers for the routing tests: websites with a routing section, visitors with a page
and browser languages (as the widget's config request sends them), agents on sockets."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.support import clients
from tests.support.clients import DEFAULT_ORIGIN, Api, Socket


async def routed_site(owner: Api, routing: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return await owner.create_website(settings={"routing": routing, **settings})


async def visitor_at(
    base_url: str,
    website_id: str,
    *,
    page: str = "https://shop.example.com/",
    languages: list[str] | None = None,
    visitor_key: str | None = None,
) -> tuple[Socket, dict[str, Any], dict[str, Any]]:
    """The widget's config request (with the page and the browser's languages), then the
    socket and hello. Returns (socket, config, welcome)."""
    body: dict[str, Any] = {
        "visitor_key": visitor_key,
        "tab": "t" + secrets.token_hex(6),
        "page": {"pv": "pv" + secrets.token_hex(6), "url": page, "title": "A page"},
        "client": {"languages": languages or ["en-US"]},
    }
    async with httpx.AsyncClient(base_url=base_url, timeout=15) as http:
        r = await http.post(
            f"/api/v1/widget/{website_id}/config", json=body, headers={"Origin": DEFAULT_ORIGIN}
        )
    assert r.status_code == 200, r.text
    cfg = r.json()
    sock = await clients.open_socket(f"{cfg['ws_url']}?token={cfg['token']}", origin=DEFAULT_ORIGIN)
    await sock.send({"type": "hello", "resume": {}})
    welcome = await sock.expect("welcome")
    return sock, cfg, welcome


async def start_chat(sock: Socket, body: str = "Hello?") -> str:
    """The visitor's first message; returns the new conversation's id."""
    return str((await sock.send_message(body))["conversation_id"])


async def assignee(api: Api, conversation_id: str) -> str | None:
    r = await api.get(f"/api/v1/conversations/{conversation_id}")
    assert r.status_code == 200, r.text
    return r.json()["assignee_id"]  # type: ignore[no-any-return]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10, what: str = "") -> None:
    """Poll until ``check`` holds: routing's sweep runs every 2 s on each node."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.2)


async def conversations_of(api: Api, website_id: str) -> list[dict[str, Any]]:
    r = await api.get("/api/v1/conversations", params={"website_id": website_id, "limit": 200})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def close_all(*socks: Socket) -> None:
    """Read what is pending first: a client whose receive queue is full does not read the
    server's close frame, and its close() would wait out its timeout."""
    await asyncio.gather(*(s.quiet(0.1) for s in socks))
    await asyncio.gather(*(s.close() for s in socks))
