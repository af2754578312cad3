"""Helpers for the chat panel's browser tests: a website with an agent, the host page with
the snippet, the panel inside its iframe, and what the agent sees through the REST API."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, FrameLocator, Page, WebSocketRoute, expect

from tests.browser.conftest import HostSite
from tests.support.clients import Api, Socket
from tests.support.clients import agent as agent_socket
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PANEL = "iframe[data-testid=sitechat-panel]"
DROPPED = 3000  # any close code the panel treats as "reconnect with backoff"


@dataclass
class Site:
    """A website whose domains allow the host page, and one agent (with an API token)."""

    server_url: str
    website: dict[str, Any]
    agent: dict[str, Any]
    agent_token: str
    # The agent's WebSocket: while it is open, the website's agents are online.
    agent_ws: Socket | None = None

    async def close(self) -> None:
        if self.agent_ws is not None:
            await self.agent_ws.close()

    @property
    def id(self) -> str:
        return str(self.website["id"])

    @property
    def snippet(self) -> str:
        return str(self.website["snippet"])

    def agent_api(self) -> Api:
        api = Api(self.server_url)
        api.use_token(self.agent_token)
        return api

    async def conversations(self, status: str = "all") -> list[dict[str, Any]]:
        async with self.agent_api() as api:
            r = await api.get("/api/v1/conversations", params={"website_id": self.id, "status": status})
            assert r.status_code == 200, r.text
            return list(r.json()["items"])

    async def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        async with self.agent_api() as api:
            r = await api.get(f"/api/v1/conversations/{conversation_id}/messages", params={"limit": 500})
            assert r.status_code == 200, r.text
            return list(r.json()["items"])

    async def reply(self, conversation_id: str, body: str) -> dict[str, Any]:
        async with self.agent_api() as api:
            r = await api.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": body})
            assert r.status_code == 201, r.text
            return dict(r.json()["message"])

    async def update_settings(self, patch: dict[str, Any]) -> None:
        async with Api(self.server_url) as owner:
            await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
            await owner.update_settings(self.id, patch)


async def make_site(
    server: Any,
    settings: dict[str, Any] | None = None,
    agent_name: str | None = None,
    avatar_url: str | None = None,
    online: bool = True,
) -> Site:
    """`online`: the agent connects (over its WebSocket), so the chat is not in offline mode."""
    server_url = server.url
    async with Api(server_url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        website = await owner.create_website(
            domains=["localhost"], name="Acme " + secrets.token_hex(2), settings=settings
        )
        agent, _password, token = await owner.create_agent(
            [website["id"]], name=agent_name, avatar_url=avatar_url
        )
    site = Site(server_url, website, agent, token)
    if online:
        site.agent_ws, _ = await agent_socket(server.ws_url, token)
    return site


def host_page(host_site: HostSite, site: Site, extra: str = "") -> str:
    """A page on the host origin with the install snippet (one page per website)."""
    return host_site.page(f"panel-{site.id}.html", f"<h1>Acme shop</h1>{extra}{site.snippet}")


async def open_panel(page: Page, url: str) -> FrameLocator:
    """Load the host page, open the chat, and wait until the panel is connected."""
    errors: list[str] = page.context.__dict__.setdefault("_panel_errors", [])
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(url)
    panel = await launch(page)
    await panel.get_by_test_id("connection-status").wait_for(state="detached")
    return panel


async def launch(page: Page) -> FrameLocator:
    """Click the launcher and wait until the panel has finished sliding in: while the
    iframe is still moving, Chromium can deliver a click to the host page instead."""
    await page.get_by_test_id("sitechat-launcher").click()
    frame = page.locator(PANEL)
    await frame.wait_for()
    await frame.evaluate("el => Promise.all(el.getAnimations().map((a) => a.finished))")
    panel = page.frame_locator(PANEL)
    await panel.locator(".sc-panel").wait_for()
    return panel


def page_errors(context: BrowserContext) -> list[str]:
    return list(context.__dict__.get("_panel_errors", []))


async def send(panel: FrameLocator, text: str) -> None:
    """Type into the composer and press Enter, once the composer holds exactly that text
    (a panel that re-renders between the two must not send something else)."""
    composer = panel.get_by_test_id("composer")
    await expect(composer).to_be_enabled()
    await composer.fill(text)
    await expect(composer).to_have_value(text)
    await composer.press("Enter")


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10, what: str = "") -> None:
    """Poll an async condition (for server-side state) until it holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.1)


class SocketSwitch:
    """Every visitor WebSocket of a browser context goes through Playwright's router, so a
    test can cut the connection (as a dropped network would) and let it come back, or hold
    back the server's frames of one type (as a slow answer would) and let them through."""

    def __init__(self) -> None:
        self.up = True
        self.routes: list[WebSocketRoute] = []
        self.attempts_while_down = 0
        self.holding: str | None = None
        self.held: list[tuple[WebSocketRoute, str | bytes]] = []

    async def install(self, context: BrowserContext) -> None:
        await context.route_web_socket(re.compile(r"/ws/visitor"), self._handle)

    async def _handle(self, ws: WebSocketRoute) -> None:
        if not self.up:
            self.attempts_while_down += 1
            await ws.close(code=DROPPED, reason="network down (test)")
            return
        server = ws.connect_to_server()
        server.on_message(lambda message: self._from_server(ws, message))
        self.routes.append(ws)

    def _from_server(self, ws: WebSocketRoute, message: str | bytes) -> None:
        if self.holding is not None and _frame_type(message) == self.holding:
            self.held.append((ws, message))
        else:
            ws.send(message)

    def hold(self, frame_type: str) -> None:
        """Keep the server's `frame_type` frames from the page until `release()`."""
        self.holding = frame_type

    def release(self) -> None:
        self.holding = None
        held, self.held = self.held, []
        for ws, message in held:
            ws.send(message)

    async def cut(self) -> None:
        self.up = False
        routes, self.routes = self.routes, []
        for ws in routes:
            await ws.close(code=DROPPED, reason="network down (test)")

    def restore(self) -> None:
        self.up = True


def _frame_type(message: str | bytes) -> str | None:
    try:
        frame = json.loads(message)
    except ValueError:
        return None
    return frame.get("type") if isinstance(frame, dict) else None
