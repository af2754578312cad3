"""What an API key may do: its scopes, and which scope each REST route and agent frame needs.

A key acts as the agent who created it, narrowed by its scopes and (optionally) to some of
the agent's websites: it never grants more than that agent has at the time of the request.
A console session has every scope; its limits are the agent's role and websites alone.
"""

from __future__ import annotations

from typing import Literal

Scope = Literal[
    "conversations:read",
    "conversations:write",
    "visitors:read",
    "visitors:write",
    "websites:read",
    "websites:admin",
    "agents:read",
    "agents:admin",
    "keys:admin",
    "audit:read",
]

SCOPES: tuple[str, ...] = (
    "conversations:read",
    "conversations:write",
    "visitors:read",
    "visitors:write",
    "websites:read",
    "websites:admin",
    "agents:read",
    "agents:admin",
    "keys:admin",
    "audit:read",
)

# Scopes that only owners and admins can use; an agent may not put them on a key (the
# endpoints behind them refuse agents anyway, but a key should not promise what it cannot do).
MANAGER_SCOPES = frozenset({"websites:admin", "agents:admin", "visitors:write", "audit:read"})
# Administration of the whole installation: meaningless for a key tied to some websites,
# which would otherwise reach past them (disable another website's agents, read its audit).
INSTALLATION_SCOPES = frozenset({"agents:admin", "audit:read"})

# What a route needs, by the start of its path template: (prefix, scope for GET/HEAD, scope
# for the other methods). The first match wins, so the more specific prefixes come first.
# A route that matches none needs websites:admin: a new endpoint is closed to narrow keys
# until someone decides otherwise.
_ROUTE_RULES: tuple[tuple[str, str | None, str | None], ...] = (
    ("/api/v1/auth", None, None),  # who am I / sign out: any key
    ("/api/v1/visitors/identify", "visitors:write", "visitors:write"),
    ("/api/v1/visitors", "visitors:read", "visitors:write"),
    ("/api/v1/websites/{website_id}/visitors", "visitors:read", "visitors:write"),
    # The identity secret lets its holder vouch for any user: reading it is administration.
    ("/api/v1/websites/{website_id}/identity-secret", "websites:admin", "websites:admin"),
    ("/api/v1/websites", "websites:read", "websites:admin"),
    ("/api/v1/conversations", "conversations:read", "conversations:write"),
    # Saved replies are part of answering conversations.
    ("/api/v1/canned-responses", "conversations:read", "conversations:write"),
    # Routing (docs/routing.md): an agent's own status is part of taking conversations.
    ("/api/v1/agents/me/status", "agents:read", "conversations:write"),
    # An agent's own alerts (docs/notifications.md).
    ("/api/v1/notifications", "agents:read", "conversations:write"),
    ("/api/v1/agents", "agents:read", "agents:admin"),
    ("/api/v1/teams", "agents:read", "agents:admin"),
    ("/api/v1/tokens", "keys:admin", "keys:admin"),
    ("/api/v1/audit", "audit:read", "audit:read"),
)
FALLBACK_SCOPE = "websites:admin"

# Agent WebSocket: opening it needs conversations:read; these frames need more.
FRAME_SCOPES: dict[str, str] = {
    "message.send": "conversations:write",
    "typing": "conversations:write",
    "seen": "conversations:write",
}
SOCKET_SCOPE = "conversations:read"


def required_scope(method: str, path_template: str) -> str | None:
    """The scope a key needs for a route (None: any key)."""
    read = method.upper() in ("GET", "HEAD")
    for prefix, read_scope, write_scope in _ROUTE_RULES:
        if path_template == prefix or path_template.startswith(prefix + "/"):
            return read_scope if read else write_scope
    return FALLBACK_SCOPE


def grantable(role: str, *, tied_to_websites: bool = False) -> frozenset[str]:
    """The scopes an agent of this role may put on a key (tied to some websites or not)."""
    out = frozenset(SCOPES) if role in ("owner", "admin") else frozenset(SCOPES) - MANAGER_SCOPES
    return out - INSTALLATION_SCOPES if tied_to_websites else out
