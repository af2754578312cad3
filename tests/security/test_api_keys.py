"""API keys: created with a name, scopes and websites; shown once; hashed at rest; checked
on every bearer request and agent frame; revoked at once; never stronger than their agent."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from sitechat.agents.scopes import SCOPES
from sitechat.db.migrate import downgrade, upgrade
from tests.support import clients
from tests.support.clients import Api
from tests.support.servers import ServerProcess


async def make_key(
    api: Api, name: str = "key", scopes: list[str] | None = None, website_ids: list[str] | None = None
) -> tuple[dict[str, Any], str]:
    body: dict[str, Any] = {"name": name}
    if scopes is not None:
        body["scopes"] = scopes
    if website_ids is not None:
        body["website_ids"] = website_ids
    r = await api.post("/api/v1/tokens", json=body)
    assert r.status_code == 201, r.text
    out = dict(r.json())
    return out, str(out.pop("token"))


def keyed(server: ServerProcess, key: str) -> Api:
    api = Api(server.url)
    api.use_token(key)
    return api


async def _rows(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(sa.text(sql), params)]
    finally:
        await engine.dispose()


async def test_a_key_is_shown_once_and_only_its_hash_is_stored(server: ServerProcess, owner: Api) -> None:
    site = await owner.create_website()
    out, raw = await make_key(owner, "reporting", ["conversations:read"], [site["id"]])
    assert raw.startswith("sct_") and len(raw) >= 40
    assert out["name"] == "reporting" and out["scopes"] == ["conversations:read"]
    assert out["website_ids"] == [site["id"]] and out["hint"] == raw[-4:]
    assert out["agent_id"] == owner.me["id"]
    listed = [t for t in (await owner.get("/api/v1/tokens")).json() if t["id"] == out["id"]]
    assert listed and "token" not in listed[0] and raw not in str(listed)

    rows = await _rows(
        server.env["SITECHAT_DATABASE_URL"], "SELECT * FROM api_tokens WHERE id = :i", i=out["id"]
    )
    assert rows[0]["token_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    assert all(raw not in str(v) and raw[4:20] not in str(v) for v in rows[0].values())
    if server.name == "sqlite":
        db = Path(server.env["SITECHAT_DATABASE_URL"].split("///", 1)[1])
        for path in (db, db.with_name(db.name + "-wal")):
            if path.exists():
                assert raw.encode() not in path.read_bytes()


async def test_every_route_checks_the_key_scope(server: ServerProcess, owner: Api) -> None:
    site = await owner.create_website()
    v, _cfg, _ = await clients.visitor(server.url, site["id"])
    conv = (await v.send_message("hello"))["conversation_id"]
    _k, read_only = await make_key(owner, "read", ["conversations:read"])
    _k, writer = await make_key(owner, "write", ["conversations:write"])
    async with keyed(server, read_only) as ro, keyed(server, writer) as rw:
        assert (await ro.get(f"/api/v1/conversations/{conv}/messages")).status_code == 200
        assert (await ro.get("/api/v1/auth/me")).status_code == 200  # any key may ask who it is
        for method, path, body in (
            ("POST", f"/api/v1/conversations/{conv}/messages", {"body": "not with a read key"}),
            ("POST", f"/api/v1/conversations/{conv}/resolve", None),
            ("GET", f"/api/v1/websites/{site['id']}", None),
            ("GET", f"/api/v1/visitors/{_cfg['visitor_id']}", None),
            ("POST", "/api/v1/visitors/identify", {"website_id": site["id"], "user_id": "u1"}),
            ("GET", f"/api/v1/websites/{site['id']}/identity-secret", None),
            ("GET", "/api/v1/tokens", None),
            ("POST", "/api/v1/tokens", {"name": "escalate"}),
            ("GET", "/api/v1/agents", None),
        ):
            r = await ro.http.request(method, path, json=body)
            assert r.status_code == 403, (method, path, r.text)
            assert r.json()["error"] == "insufficient_scope" and "scope" in r.json()["detail"]
        sent = await rw.post(f"/api/v1/conversations/{conv}/messages", json={"body": "from a write key"})
        assert sent.status_code == 201
        assert (await rw.get(f"/api/v1/conversations/{conv}")).json()["error"] == "insufficient_scope"
    # Nothing was written by the refused calls.
    bodies = [m["body"] for m in (await owner.get(f"/api/v1/conversations/{conv}/messages")).json()["items"]]
    assert bodies == ["hello", "from a write key"]
    await v.close()


async def test_agent_socket_frames_need_their_scope(server: ServerProcess, owner: Api) -> None:
    site = await owner.create_website()
    v, _cfg, _ = await clients.visitor(server.url, site["id"])
    conv = (await v.send_message("hello"))["conversation_id"]
    _k, watcher = await make_key(owner, "watch", ["conversations:read"])
    sock, welcome = await clients.agent(server.ws_url, watcher)
    assert site["id"] in welcome["websites"]
    for frame in (
        {"type": "message.send", "client_msg_id": str(uuid.uuid4()), "body": "x", "conversation_id": conv},
        {"type": "typing", "conversation_id": conv, "typing": True},
        {"type": "seen", "conversation_id": conv, "seq": 1, "state": "read"},
    ):
        await sock.send({**frame, "id": "w"})
        assert (await sock.expect("error", id="w"))["code"] == "insufficient_scope"
    await sock.send({"type": "history", "conversation_id": conv, "id": "h"})
    assert [m["body"] for m in (await sock.expect("history", id="h"))["messages"]] == ["hello"]
    await v.send_message("live")  # a read key still watches live traffic
    seen = [(await sock.expect("message", conversation_id=conv))["message"]["body"] for _ in range(2)]
    assert seen == ["hello", "live"]  # (the first sight of a conversation brings its start)
    await sock.close()
    await v.close()

    _k, blind = await make_key(owner, "no-conversations", ["websites:read"])
    refused = await clients.open_socket(
        f"{server.ws_url}/ws/agent", headers={"Authorization": f"Bearer {blind}"}
    )
    assert await refused.wait_closed() == 4005


async def test_a_key_never_grants_more_than_its_agent(server: ServerProcess, owner: Api) -> None:
    a = await owner.create_website()
    b = await owner.create_website()
    _agent, _pw, agent_key = await owner.create_agent([a["id"]])
    async with keyed(server, agent_key) as agent:
        # Defaults: everything an agent may hold, on the agent's websites.
        out, _raw = await make_key(agent, "default")
        assert set(out["scopes"]) == set(SCOPES) - {
            "websites:admin",
            "agents:admin",
            "visitors:write",
            "audit:read",
        }
        assert out["website_ids"] is None
        r = await agent.post("/api/v1/tokens", json={"name": "admin?", "scopes": ["websites:admin"]})
        assert r.status_code == 403 and r.json()["error"] == "insufficient_scope"
        r = await agent.post("/api/v1/tokens", json={"name": "b?", "website_ids": [b["id"]]})
        assert r.status_code == 404 and r.json()["error"] == "website_not_found"
        # A key makes keys no stronger than itself.
        _o, narrow = await make_key(agent, "narrow", ["conversations:read", "keys:admin"], [a["id"]])
    async with keyed(server, narrow) as narrow_api:
        r = await narrow_api.post("/api/v1/tokens", json={"name": "wider", "scopes": ["conversations:write"]})
        assert r.status_code == 403 and r.json()["error"] == "insufficient_scope"
        child, _c = await make_key(narrow_api, "child", ["conversations:read"])
        assert child["website_ids"] == [a["id"]]  # inherits the website restriction
    # Role checks still apply to a key with every scope: an agent key is no admin key.
    async with keyed(server, agent_key) as agent:
        r = await agent.post(f"/api/v1/websites/{a['id']}/identity-secret")
        assert r.status_code == 403 and r.json()["error"] == "forbidden"


async def test_a_key_tied_to_one_website_sees_only_that_website(server: ServerProcess, owner: Api) -> None:
    a = await owner.create_website()
    b = await owner.create_website()
    va, _, _ = await clients.visitor(server.url, a["id"])
    vb, _, _ = await clients.visitor(server.url, b["id"])
    conv_a = (await va.send_message("on A"))["conversation_id"]
    conv_b = (await vb.send_message("on B"))["conversation_id"]
    _k, key = await make_key(owner, "only-a", website_ids=[a["id"]])
    async with keyed(server, key) as api:
        assert [w["id"] for w in (await api.get("/api/v1/websites")).json()] == [a["id"]]
        assert (await api.get("/api/v1/auth/me")).json()["agent"]["website_ids"] == [a["id"]]
        assert (await api.get(f"/api/v1/websites/{b['id']}")).status_code == 404
        assert (await api.get(f"/api/v1/conversations/{conv_b}")).status_code == 404
        assert (await api.get(f"/api/v1/conversations/{conv_a}")).status_code == 200
        items = (await api.get("/api/v1/conversations", params={"status": "all"})).json()["items"]
        assert {c["website_id"] for c in items} == {a["id"]}
        r = await api.post(f"/api/v1/websites/{b['id']}/settings", json={"appearance": {"color": "#000000"}})
        assert r.status_code == 404
        # Even an owner's key cannot list or revoke the installation's keys when tied to a website.
        assert (await api.get("/api/v1/tokens", params={"all": "true"})).status_code == 403
    sock, welcome = await clients.agent(server.ws_url, key)
    assert welcome["websites"] == [a["id"]]
    await vb.send_message("B again")
    await va.send_message("A again")
    assert (await sock.expect("message", conversation_id=conv_a))["message"]["body"] == "on A"
    assert [f for f in await sock.quiet(0.4) if b["id"] in str(f)] == []
    for s in (sock, va, vb):
        await s.close()


async def test_managers_list_and_revoke_every_key_agents_their_own(server: ServerProcess, owner: Api) -> None:
    site = await owner.create_website()
    agent, _pw, agent_key = await owner.create_agent([site["id"]])
    _colleague, _pw2, colleague_key = await owner.create_agent([site["id"]])
    async with keyed(server, agent_key) as mine, keyed(server, colleague_key) as theirs:
        own, own_raw = await make_key(mine, "own")
        assert {t["agent_id"] for t in (await mine.get("/api/v1/tokens")).json()} == {agent["id"]}
        r = await mine.get("/api/v1/tokens", params={"all": "true"})
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
        assert (await theirs.delete(f"/api/v1/tokens/{own['id']}")).status_code == 404
        everyone = {t["id"]: t for t in (await owner.get("/api/v1/tokens", params={"all": "true"})).json()}
        assert own["id"] in everyone and everyone[own["id"]]["agent_id"] == agent["id"]
        live, _ = await clients.agent(server.ws_url, own_raw)
        async with keyed(server, own_raw) as victim:
            assert (await victim.get("/api/v1/conversations")).status_code == 200
            revoked = await owner.delete(f"/api/v1/tokens/{own['id']}")
            assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
            r = await victim.get("/api/v1/conversations")
            assert r.status_code == 401 and r.json()["error"] == "unauthorized"
        assert await live.wait_closed() == 4001
        # Revoking twice changes nothing; the key stays listed as revoked.
        again = await mine.delete(f"/api/v1/tokens/{own['id']}")
        assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]
    audit = await owner.get("/api/v1/audit", params={"action": "api_key.revoke"})
    assert audit.status_code == 200, audit.text
    entries = [e for e in audit.json()["entries"] if e["target_id"] == own["id"]]
    assert len(entries) == 1 and entries[0]["actor"]["agent_id"] == owner.me["id"]
    assert own_raw not in audit.text


async def test_bad_key_requests_are_refused_with_field_errors(server: ServerProcess, owner: Api) -> None:
    for body, field in (
        ({"name": ""}, "name"),
        ({"name": "x", "scopes": ["everything"]}, "scopes.0"),
        ({"name": "x", "website_ids": []}, "website_ids"),
        ({"name": "x", "extra": 1}, "extra"),
        ({"name": "x", "scopes": "conversations:read"}, "scopes"),
    ):
        r = await owner.post("/api/v1/tokens", json=body)
        assert r.status_code == 422, body
        assert r.json()["error"] == "validation_error" and r.json()["fields"][0]["field"] == field, r.json()
    r = await owner.post("/api/v1/tokens", json={"name": "x", "website_ids": ["web_nope"]})
    assert r.status_code == 404 and r.json()["error"] == "website_not_found"
    assert (await owner.delete("/api/v1/tokens/tok_nope")).status_code == 404
    async with httpx.AsyncClient(base_url=server.url) as http:
        for header in ("Bearer", "Bearer sct_" + secrets.token_urlsafe(32), "Bearer " + "x" * 5000):
            r = await http.get("/api/v1/conversations", headers={"Authorization": header})
            assert r.status_code == 401 and r.json()["error"] == "unauthorized"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_tokens_made_before_scopes_keep_every_scope(
    backend: str, tmp_path: Path, pg_dsn_factory
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else pg_dsn_factory()
    await asyncio.to_thread(upgrade, url, "0004")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO agents (id, email, name, role, password_hash, disabled, created_at) "
                    "VALUES ('ag_1', 'a@example.com', 'A', 'agent', 'x', false, CURRENT_TIMESTAMP)"
                )
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO api_tokens (id, agent_id, name, token_hash, created_at) "
                    "VALUES ('tok_1', 'ag_1', 'old', :h, CURRENT_TIMESTAMP)"
                ),
                {"h": "0" * 64},
            )
    finally:
        await engine.dispose()
    await asyncio.to_thread(upgrade, url)
    rows = await _rows(url, "SELECT scopes, website_ids FROM api_tokens")
    scopes = rows[0]["scopes"]
    if isinstance(scopes, str):
        import json

        scopes = json.loads(scopes)
    assert sorted(scopes) == sorted(SCOPES) and rows[0]["website_ids"] is None
    await asyncio.to_thread(downgrade, url, "0004")
    assert (await _rows(url, "SELECT id, name FROM api_tokens")) == [{"id": "tok_1", "name": "old"}]
