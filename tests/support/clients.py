"""Test clients that speak the real protocols: REST over httpx, WebSockets over `websockets`."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

DEFAULT_ORIGIN = "https://shop.example.com"


class Api:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=15)
        self.csrf: str | None = None
        self.me: dict[str, Any] = {}

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    def use_token(self, token: str) -> None:
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.http.cookies.clear()

    async def login(self, email: str, password: str) -> dict[str, Any]:
        r = await self.http.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        body = r.json()
        self.csrf = body["csrf_token"]
        self.me = body["agent"]
        self.http.headers["X-CSRF-Token"] = self.csrf or ""
        return dict(body)

    async def create_token(self, name: str) -> str:
        r = await self.http.post("/api/v1/tokens", json={"name": name})
        assert r.status_code == 201, r.text
        return str(r.json()["token"])

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.http.get(path, **kw)

    async def post(self, path: str, **kw: Any) -> httpx.Response:
        return await self.http.post(path, **kw)

    async def delete(self, path: str, **kw: Any) -> httpx.Response:
        return await self.http.delete(path, **kw)

    async def create_website(
        self,
        domains: list[str] | None = None,
        name: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": name or "Site " + secrets.token_hex(3),
            "domains": domains or ["shop.example.com", "*.example.org"],
        }
        if settings is not None:
            body["settings"] = settings
        r = await self.post("/api/v1/websites", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def update_settings(self, website_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """POST /api/v1/websites/{id}/settings; returns the whole settings document."""
        r = await self.post(f"/api/v1/websites/{website_id}/settings", json=patch)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def create_agent(
        self,
        website_ids: list[str],
        role: str = "agent",
        name: str | None = None,
        avatar_url: str | None = None,
    ) -> tuple[dict[str, Any], str, str]:
        """Returns (agent, password, api token of that agent)."""
        email = f"agent-{secrets.token_hex(4)}@example.com"
        password = "password-" + secrets.token_hex(6)
        body: dict[str, Any] = {
            "email": email,
            "name": name or "Agent " + email[6:10],
            "role": role,
            "password": password,
            "website_ids": website_ids,
        }
        if avatar_url is not None:
            body["avatar_url"] = avatar_url
        r = await self.post("/api/v1/agents", json=body)
        assert r.status_code == 201, r.text
        async with Api(self.base_url) as other:
            await other.login(email, password)
            token = await other.create_token("tests")
        return dict(r.json()), password, token


async def widget_config(
    base_url: str,
    website_id: str,
    origin: str = DEFAULT_ORIGIN,
    visitor_key: str | None = None,
    identify: dict[str, Any] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"visitor_key": visitor_key}
    if identify is not None:
        body["identify"] = identify
    async with httpx.AsyncClient(base_url=base_url, timeout=15) as http:
        return await http.post(f"/api/v1/widget/{website_id}/config", json=body, headers={"Origin": origin})


class Socket:
    """A WebSocket client with helpers to wait for frames of a given type."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []  # every frame received, for diagnostics
        self.backlog: list[dict[str, Any]] = []  # received but not yet consumed by expect()
        self.closed_code: int | None = None

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def _recv_raw(self, timeout: float) -> dict[str, Any]:
        """The next frame other than a server ping (pings are answered) within `timeout`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = max(0.0, deadline - asyncio.get_running_loop().time())
            raw = await asyncio.wait_for(self.ws.recv(), left)
            frame = json.loads(raw)
            if frame.get("type") == "ping":
                await self.send({"type": "pong"})
                continue
            self.frames.append(frame)
            return dict(frame)

    async def expect(self, type_: str, timeout: float = 5, **match: Any) -> dict[str, Any]:
        """The oldest unconsumed frame of that type (and matching fields), waiting for it.
        Frames that do not match stay in the backlog for later expects."""

        def matches(f: dict[str, Any]) -> bool:
            return f.get("type") == type_ and all(f.get(k) == v for k, v in match.items())

        for i, f in enumerate(self.backlog):
            if matches(f):
                return self.backlog.pop(i)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError(
                    f"no {type_} frame {match} within {timeout}s; unconsumed: {self.backlog[-10:]}"
                )
            try:
                frame = await self._recv_raw(left)
            except TimeoutError:
                continue
            if matches(frame):
                return frame
            self.backlog.append(frame)

    async def quiet(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Unconsumed frames plus everything that arrives within `seconds`."""
        got, self.backlog = self.backlog, []
        deadline = asyncio.get_running_loop().time() + seconds
        try:
            while (left := deadline - asyncio.get_running_loop().time()) > 0:
                got.append(await self._recv_raw(left))
        except TimeoutError:
            pass
        return got

    async def messages(self, n: int, timeout: float = 5) -> list[dict[str, Any]]:
        return [await self.expect("message", timeout) for _ in range(n)]

    async def wait_closed(self, timeout: float = 5) -> int:
        try:
            while True:
                self.frames.append(json.loads(await asyncio.wait_for(self.ws.recv(), timeout)))
        except ConnectionClosed as exc:
            self.closed_code = exc.rcvd.code if exc.rcvd else None
            return self.closed_code or 0

    async def close(self) -> None:
        await self.ws.close()

    async def send_message(
        self, body: str, conversation_id: str | None = None, client_msg_id: str | None = None
    ) -> dict[str, Any]:
        frame: dict[str, Any] = {
            "type": "message.send",
            "client_msg_id": client_msg_id or str(uuid.uuid4()),
            "body": body,
        }
        if conversation_id:
            frame["conversation_id"] = conversation_id
        await self.send(frame)
        return await self.expect("ack", client_msg_id=frame["client_msg_id"])


async def open_socket(
    url: str, *, origin: str | None = None, headers: dict[str, str] | None = None
) -> Socket:
    ws = await connect(url, origin=origin, additional_headers=headers or {}, open_timeout=10)  # type: ignore[arg-type]
    return Socket(ws)


async def visitor(
    base_url: str,
    website_id: str,
    *,
    origin: str = DEFAULT_ORIGIN,
    visitor_key: str | None = None,
    resume: dict[str, int] | None = None,
    ws_origin: str | None = None,
) -> tuple[Socket, dict[str, Any], dict[str, Any]]:
    """Config request + WebSocket + hello, as the widget does. Returns (socket, config, welcome)."""
    r = await widget_config(base_url, website_id, origin, visitor_key)
    assert r.status_code == 200, r.text
    cfg = r.json()
    sock = await open_socket(f"{cfg['ws_url']}?token={cfg['token']}", origin=ws_origin or origin)
    await sock.send({"type": "hello", "resume": resume or {}})
    welcome = await sock.expect("welcome")
    return sock, cfg, welcome


async def agent(
    ws_base: str, token: str, resume: dict[str, int] | None = None
) -> tuple[Socket, dict[str, Any]]:
    sock = await open_socket(f"{ws_base}/ws/agent", headers={"Authorization": f"Bearer {token}"})
    await sock.send({"type": "hello", "resume": resume or {}})
    welcome = await sock.expect("welcome")
    return sock, welcome
