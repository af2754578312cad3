"""Remembers each request's client address for the audit log."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from sitechat.audit.service import request_ip


class RequestIP:
    """Pure ASGI (no BaseHTTPMiddleware): the context variable is set in the task that runs
    the endpoint. The address is uvicorn's, which honours SITECHAT_TRUSTED_PROXIES."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        token = request_ip.set(client[0] if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            request_ip.reset(token)
