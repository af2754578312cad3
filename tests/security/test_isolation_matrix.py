"""The isolation matrix (issue 6): callers who may not see website B — an agent of website A
(by API key and by console session), an agent of no website, and an admin whose API key is
tied to website A — against every route and every agent frame for B's data. None of them
ever gets B's data or changes it.

ROUTES lists every route of the app. A route that is not in it fails
``test_every_route_is_in_the_matrix`` by name: add it to the table with the probe that
shows it keeps websites apart (or with the reason it serves no website data).
"""

from __future__ import annotations

import json
import secrets
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import _IncludedRouter
from starlette.routing import BaseRoute

from sitechat.app import create_app
from sitechat.config import Settings
from tests.support import clients
from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, run_sync

VARIANTS = ("agent_key", "agent_session", "nobody_key", "admin_key_a")
CANNED_BODY_B = "B-only saved reply"
SNOOZE_UNTIL = (datetime.now(UTC) + timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class Probe:
    """``denied``: 403 or 404 (variants in ``allow`` may also succeed, showing nothing of B).
    ``scoped``: any answer but a server error, showing nothing of B."""

    kind: str
    body: dict[str, Any] | None = None
    query: dict[str, str] | None = None
    allow: frozenset[str] = frozenset()


def denied(body: dict[str, Any] | None = None, *, allow: tuple[str, ...] = (), **query: str) -> Probe:
    return Probe("denied", body, query or None, frozenset(allow))


def scoped(body: dict[str, Any] | None = None, **query: str) -> Probe:
    return Probe("scoped", body, query or None)


def own(body: dict[str, Any] | None = None) -> Probe:
    """The caller's own settings, which name no website: a refused body (422) is fine too."""
    return Probe("own", body)


# Routes that serve no website data to a signed-in agent, and why.
NOT_AGENT_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/login"): "signs in; no website data",
    ("POST", "/api/v1/auth/accept-invite"): "one-time invite link; no website data",
    ("POST", "/api/v1/auth/logout"): "ends the caller's own session (tests/test_security.py)",
    ("OPTIONS", "/api/v1/widget/{website_id}/config"): "widget: origin allowlist (test_allowlist.py)",
    ("OPTIONS", "/api/v1/widget/{website_id}/events"): "widget: origin allowlist (test_allowlist.py)",
    ("POST", "/api/v1/widget/{website_id}/config"): "widget: origin allowlist (test_allowlist.py)",
    ("POST", "/api/v1/widget/{website_id}/events"): "widget: origin allowlist (test_allowlist.py)",
    ("GET", "/widget/loader.js"): "static script",
    ("GET", "/widget/panel"): "panel page; framed only by allowed domains (test_allowlist.py)",
    ("WS", "/ws/visitor"): "visitor token bound to website and origin (test_allowlist.py)",
    ("WS", "/ws/agent"): "frames: test_agent_frames_for_website_b_are_refused below",
    ("GET", "/"): "page",
    ("GET", "/console"): "console page",
    ("GET", "/console/sw.js"): "console service worker script",
    ("GET", "/demo"): "demo page",
    ("GET", "/healthz"): "liveness",
    ("GET", "/readyz"): "readiness",
    ("GET", "/openapi.json"): "API description",
    ("GET", "/docs"): "API description",
    ("GET", "/docs/oauth2-redirect"): "API description",
    ("GET", "/redoc"): "API description",
}

# Path parameters are filled with website B's things; "{me}" in a body is the caller's id.
ROUTES: dict[tuple[str, str], list[Probe]] = {
    ("GET", "/api/v1/auth/me"): [scoped()],
    # --- websites
    ("GET", "/api/v1/websites"): [scoped()],
    ("POST", "/api/v1/websites"): [
        denied({"name": "probe", "domains": ["probe.example.com"]}, allow=("admin_key_a",))
    ],
    ("GET", "/api/v1/websites/{website_id}"): [denied()],
    ("PATCH", "/api/v1/websites/{website_id}"): [denied({"name": "hijacked", "domains": ["evil.com"]})],
    ("DELETE", "/api/v1/websites/{website_id}"): [denied()],
    ("GET", "/api/v1/websites/{website_id}/settings"): [denied()],
    ("POST", "/api/v1/websites/{website_id}/settings"): [denied({"appearance": {"color": "#000000"}})],
    ("POST", "/api/v1/websites/{website_id}/agents"): [denied({"agent_id": "{me}"})],
    ("DELETE", "/api/v1/websites/{website_id}/agents/{agent_id}"): [denied()],
    ("GET", "/api/v1/websites/{website_id}/identity-secret"): [denied()],
    ("POST", "/api/v1/websites/{website_id}/identity-secret"): [denied()],
    ("DELETE", "/api/v1/websites/{website_id}/identity-secret"): [denied()],
    ("GET", "/api/v1/websites/{website_id}/visitors/live"): [denied()],
    # --- conversations
    ("GET", "/api/v1/conversations"): [
        scoped(status="all"),
        denied(website_id="{website_id}"),
        scoped(assignee="{agent_id}", status="all"),
    ],
    ("POST", "/api/v1/conversations"): [denied({"visitor_id": "{visitor_id}", "body": "intrusion"})],
    ("GET", "/api/v1/conversations/{conversation_id}"): [denied()],
    ("GET", "/api/v1/conversations/{conversation_id}/messages"): [denied()],
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): [denied({"body": "intrusion"})],
    ("POST", "/api/v1/conversations/{conversation_id}/assign"): [denied({"agent_id": "{me}"})],
    ("POST", "/api/v1/conversations/{conversation_id}/transfer"): [
        denied({"agent_id": "{me}", "note": "intrusion"})
    ],
    ("POST", "/api/v1/conversations/{conversation_id}/resolve"): [denied()],
    ("POST", "/api/v1/conversations/{conversation_id}/reopen"): [denied()],
    ("POST", "/api/v1/conversations/{conversation_id}/snooze"): [denied({"until": SNOOZE_UNTIL})],
    ("POST", "/api/v1/conversations/{conversation_id}/priority"): [denied({"priority": "urgent"})],
    ("GET", "/api/v1/conversations/counts"): [scoped(), denied(website_id="{website_id}")],
    ("POST", "/api/v1/conversations/{conversation_id}/mute"): [denied()],
    ("DELETE", "/api/v1/conversations/{conversation_id}/mute"): [denied()],
    # --- the caller's own notification settings
    ("GET", "/api/v1/notifications/preferences"): [own()],
    ("PUT", "/api/v1/notifications/preferences"): [own({})],
    ("POST", "/api/v1/notifications/mute"): [own({"minutes": 30})],
    ("DELETE", "/api/v1/notifications/mute"): [own()],
    ("POST", "/api/v1/notifications/test"): [own()],
    ("GET", "/api/v1/notifications/push/key"): [own()],
    ("POST", "/api/v1/notifications/push/subscriptions"): [
        own({"endpoint": "https://push.example.com/probe", "keys": {"p256dh": "x", "auth": "y"}})
    ],
    ("DELETE", "/api/v1/notifications/push/subscriptions"): [
        own({"endpoint": "https://push.example.com/probe"})
    ],
    # --- canned responses (shared ones belong to a website)
    ("GET", "/api/v1/canned-responses"): [scoped(), denied(website_id="{website_id}")],
    ("POST", "/api/v1/canned-responses"): [
        denied({"scope": scope, "website_id": "{website_id}", "shortcut": "probe", "title": "P", "body": "x"})
        for scope in ("shared", "personal")
    ],
    ("PATCH", "/api/v1/canned-responses/{canned_id}"): [denied({"body": "hijacked"})],
    ("DELETE", "/api/v1/canned-responses/{canned_id}"): [denied()],
    # --- visitors
    ("GET", "/api/v1/visitors/{visitor_id}"): [denied()],
    ("GET", "/api/v1/visitors/{visitor_id}/sessions"): [denied()],
    ("POST", "/api/v1/visitors/identify"): [denied({"website_id": "{website_id}", "user_id": "probe"})],
    # --- agents (installation-wide: an admin's key tied to website A may read, not manage)
    ("GET", "/api/v1/agents"): [scoped()],
    ("POST", "/api/v1/agents"): [
        denied(
            {
                "email": "probe@example.com",
                "name": "Probe",
                "password": "probe-password-1",
                "website_ids": ["{website_id}"],
            }
        )
    ],
    ("POST", "/api/v1/agents/invite"): [
        denied({"email": "probe2@example.com", "name": "Probe", "website_ids": ["{website_id}"]})
    ],
    ("GET", "/api/v1/agents/{agent_id}"): [denied(allow=("admin_key_a",))],
    ("PATCH", "/api/v1/agents/{agent_id}"): [denied({"disabled": True})],
    ("POST", "/api/v1/agents/{agent_id}/invite"): [denied()],
    ("GET", "/api/v1/agents/{agent_id}/routing"): [denied(allow=("admin_key_a",))],
    ("PATCH", "/api/v1/agents/{agent_id}/routing"): [denied({"capacity": 1})],
    ("GET", "/api/v1/agents/me/status"): [scoped()],
    ("PUT", "/api/v1/agents/me/status"): [scoped({"status": "online"})],
    # --- teams (installation-wide)
    ("GET", "/api/v1/teams"): [scoped()],
    ("POST", "/api/v1/teams"): [denied({"name": "probe", "agent_ids": ["{agent_id}"]})],
    ("GET", "/api/v1/teams/{team_id}"): [scoped()],
    ("PATCH", "/api/v1/teams/{team_id}"): [denied({"name": "hijacked"})],
    ("DELETE", "/api/v1/teams/{team_id}"): [denied()],
    ("PUT", "/api/v1/teams/{team_id}/members"): [denied({"agent_ids": ["{me}"]})],
    # --- API keys and the audit log
    ("GET", "/api/v1/tokens"): [scoped(), denied(all="true")],
    ("POST", "/api/v1/tokens"): [denied({"name": "probe", "website_ids": ["{website_id}"]})],
    ("DELETE", "/api/v1/tokens/{token_id}"): [denied()],
    ("GET", "/api/v1/audit"): [denied(), denied(website_id="{website_id}")],
}


def app_routes() -> set[tuple[str, str]]:
    """(method, path) of every route the app serves; WebSockets as WS."""
    app = create_app(Settings(data_dir=tempfile.mkdtemp(prefix="sitechat-routes-")).finalize())
    found: set[tuple[str, str]] = set()

    def walk(routes: list[BaseRoute]) -> None:
        for r in routes:
            if isinstance(r, _IncludedRouter):
                walk(r.original_router.routes)
                continue
            methods = getattr(r, "methods", None)
            path = str(getattr(r, "path", ""))
            for m in sorted(methods) if methods else ["WS"]:
                if m != "HEAD":
                    found.add((m, path))

    walk(list(app.router.routes))
    return found


def test_every_route_is_in_the_matrix() -> None:
    served = app_routes()
    known = set(ROUTES) | set(NOT_AGENT_ROUTES)
    unknown = sorted(served - known)
    gone = sorted(known - served)
    assert not unknown, (
        "Routes missing from the isolation matrix (add them to ROUTES in "
        f"tests/security/test_isolation_matrix.py): {unknown}"
    )
    assert not gone, f"The matrix lists routes the app no longer serves: {gone}"
    assert not set(ROUTES) & set(NOT_AGENT_ROUTES)


# --- the world: website A with its agents, website B with everything -----------------


@dataclass
class Caller:
    agent_id: str
    headers: dict[str, str]
    cookies: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    site_a: str
    site_b: str
    conv_a: str
    conv_b: str
    visitor_b: str
    agent_b: str
    key_b: str
    team_b: str
    canned_b: str
    secret_b: str
    body_b: str
    owner_key: str
    callers: dict[str, Caller]

    @property
    def params(self) -> dict[str, str]:
        return {
            "website_id": self.site_b,
            "conversation_id": self.conv_b,
            "visitor_id": self.visitor_b,
            "agent_id": self.agent_b,
            "token_id": self.key_b,
            "team_id": self.team_b,
            "canned_id": self.canned_b,
        }

    @property
    def markers(self) -> list[str]:
        """What must never appear in an answer to these callers."""
        return [
            self.site_b,
            self.conv_b,
            self.visitor_b,
            self.key_b,
            self.secret_b,
            self.body_b,
            CANNED_BODY_B,
        ]


async def _build(server: ServerProcess) -> World:
    async with Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        owner_key = await owner.create_token("matrix")
        site_a = (await owner.create_website())["id"]
        site_b = (await owner.create_website())["id"]
        agent_a, pw_a, key_a = await owner.create_agent([site_a])
        nobody, _pw, key_nobody = await owner.create_agent([])
        admin, _pw, admin_key = await owner.create_agent([], role="admin")
        agent_b, _pw, key_b_raw = await owner.create_agent([site_b])
        secret_b = (await owner.post(f"/api/v1/websites/{site_b}/identity-secret")).json()["secret"]
        team = await owner.post(
            "/api/v1/teams", json={"name": "B team " + secrets.token_hex(3), "agent_ids": [agent_b["id"]]}
        )
        assert team.status_code == 201, team.text
        canned = await owner.post(
            "/api/v1/canned-responses",
            json={
                "scope": "shared",
                "website_id": site_b,
                "shortcut": "hello",
                "title": "Hi",
                "body": CANNED_BODY_B,
            },
        )
        assert canned.status_code == 201, canned.text
        async with Api(server.url) as b:
            b.use_token(key_b_raw)
            key_b = next(t["id"] for t in (await b.get("/api/v1/tokens")).json())
        async with Api(server.url) as adm:
            adm.use_token(admin_key)
            r = await adm.post("/api/v1/tokens", json={"name": "only A", "website_ids": [site_a]})
            assert r.status_code == 201, r.text
            admin_key_a = r.json()["token"]
    body_b = "private-to-B-" + secrets.token_hex(4)
    vb, cfg_b, _ = await clients.visitor(server.url, site_b)
    conv_b = (await vb.send_message(body_b))["conversation_id"]
    await vb.close()
    va, _, _ = await clients.visitor(server.url, site_a)
    conv_a = (await va.send_message("for A"))["conversation_id"]
    await va.close()
    async with httpx.AsyncClient(base_url=server.url) as http:
        r = await http.post("/api/v1/auth/login", json={"email": agent_a["email"], "password": pw_a})
        assert r.status_code == 200
        session = Caller(
            agent_a["id"],
            {"X-CSRF-Token": r.json()["csrf_token"]},
            {"sitechat_session": r.cookies["sitechat_session"]},
        )
    return World(
        site_a=site_a,
        site_b=site_b,
        conv_a=conv_a,
        conv_b=conv_b,
        visitor_b=cfg_b["visitor_id"],
        agent_b=agent_b["id"],
        key_b=key_b,
        team_b=team.json()["id"],
        canned_b=canned.json()["id"],
        secret_b=secret_b,
        body_b=body_b,
        owner_key=owner_key,
        callers={
            "agent_key": Caller(agent_a["id"], {"Authorization": f"Bearer {key_a}"}),
            "agent_session": session,
            "nobody_key": Caller(nobody["id"], {"Authorization": f"Bearer {key_nobody}"}),
            "admin_key_a": Caller(admin["id"], {"Authorization": f"Bearer {admin_key_a}"}),
        },
    )


@pytest.fixture(scope="module")
def world(server: ServerProcess) -> World:
    return run_sync(_build(server))  # type: ignore[no-any-return]


def _fill(value: Any, params: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**params) if "{" in value else value
    if isinstance(value, list):
        return [_fill(v, params) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, params) for k, v in value.items()}
    return value


async def _state_of_b(server: ServerProcess, w: World) -> dict[str, Any]:
    async with Api(server.url) as owner:
        owner.use_token(w.owner_key)
        site = (await owner.get(f"/api/v1/websites/{w.site_b}")).json()
        return {
            "website": site,
            "settings": (await owner.get(f"/api/v1/websites/{w.site_b}/settings")).json(),
            "secret": (await owner.get(f"/api/v1/websites/{w.site_b}/identity-secret")).json(),
            "conversation": (await owner.get(f"/api/v1/conversations/{w.conv_b}")).json(),
            "messages": (await owner.get(f"/api/v1/conversations/{w.conv_b}/messages")).json(),
            "agent": (await owner.get(f"/api/v1/agents/{w.agent_b}")).json(),
            "team": (await owner.get(f"/api/v1/teams/{w.team_b}")).json(),
            "canned": (await owner.get("/api/v1/canned-responses", params={"website_id": w.site_b})).json(),
            "keys": [
                t
                for t in (await owner.get("/api/v1/tokens", params={"all": "true"})).json()
                if t["id"] == w.key_b
            ],
        }


@pytest.mark.parametrize("variant", VARIANTS)
async def test_no_route_gives_website_b_away(server: ServerProcess, world: World, variant: str) -> None:
    caller = world.callers[variant]
    params = {**world.params, "me": caller.agent_id}
    before = await _state_of_b(server, world)
    failures: list[str] = []
    async with httpx.AsyncClient(base_url=server.url, headers=caller.headers, cookies=caller.cookies) as http:
        for (method, template), probes in ROUTES.items():
            for probe in probes:
                path = template.format(**params)
                query = _fill(probe.query, params)
                body = _fill(probe.body, params)
                r = await http.request(method, path, params=query, json=body)
                where = f"{method} {path} {query or ''} -> {r.status_code} {r.text[:200]}"
                # A refusal may echo what the caller sent; nothing else of B may show.
                sent = f"{path} {query} {body}" if r.status_code >= 400 else ""
                leaked = [m for m in world.markers if m in r.text and m not in sent]
                if leaked:
                    failures.append(f"LEAK {leaked}: {where}")
                if (
                    r.status_code == 401
                    or r.status_code >= 500
                    or (r.status_code == 422 and probe.kind != "own")
                ):
                    failures.append(f"unexpected: {where}")
                elif (
                    probe.kind == "denied" and variant not in probe.allow and r.status_code not in (403, 404)
                ):
                    failures.append(f"not refused: {where}")
    assert not failures, "\n".join(failures)
    assert await _state_of_b(server, world) == before


async def test_agent_frames_for_website_b_are_refused(server: ServerProcess, world: World) -> None:
    for variant in ("agent_key", "nobody_key", "admin_key_a"):
        token = world.callers[variant].headers["Authorization"].split(" ", 1)[1]
        sock, welcome = await clients.agent(server.ws_url, token, resume={world.conv_b: 0})
        assert world.site_b not in welcome["websites"], variant
        assert (await sock.expect("error"))["code"] == "not_found"  # the resume of B's conversation
        for frame in (
            {
                "type": "message.send",
                "client_msg_id": str(uuid.uuid4()),
                "body": "x",
                "conversation_id": world.conv_b,
            },
            {"type": "typing", "conversation_id": world.conv_b, "typing": True},
            {"type": "seen", "conversation_id": world.conv_b, "seq": 1, "state": "read"},
            {"type": "history", "conversation_id": world.conv_b},
        ):
            await sock.send({**frame, "id": "probe"})
            err = await sock.expect("error", id="probe")
            assert err["code"] == "not_found", (variant, frame["type"], err)
        # B's live traffic never arrives.
        vb, _, _ = await clients.visitor(server.url, world.site_b)
        await vb.send_message("live on B")
        await vb.close()
        leaked = [f for f in await sock.quiet(0.4) if any(m in json.dumps(f) for m in world.markers)]
        assert leaked == [], (variant, leaked)
        await sock.close()
