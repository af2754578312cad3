"""Who is acting: a visitor (through a signed widget token) or an agent (session or API token).

Services take an actor and decide what it may touch; endpoints never do that themselves.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VisitorActor:
    visitor_id: str
    website_id: str

    @property
    def sender_key(self) -> str:
        return f"visitor:{self.visitor_id}"


@dataclass(frozen=True, slots=True)
class AgentActor:
    agent_id: str
    name: str
    email: str
    role: str
    # None: every website (owners and admins). Otherwise the websites assigned.
    website_ids: frozenset[str] | None
    # Acting through an API key: its id and scopes (None: a console session, every scope),
    # and the key's own website restriction (website_ids above is already narrowed by it).
    api_key_id: str | None = None
    scopes: frozenset[str] | None = None
    key_website_ids: frozenset[str] | None = None

    @property
    def sender_key(self) -> str:
        return f"agent:{self.agent_id}"

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    @property
    def is_manager(self) -> bool:
        return self.role in ("owner", "admin")

    def can_see(self, website_id: str) -> bool:
        return self.website_ids is None or website_id in self.website_ids


Actor = VisitorActor | AgentActor
