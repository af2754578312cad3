"""Visitor identification over real HTTP and WebSockets (SQLite and PostgreSQL): the
website's identity secret, verified identify from the widget (HMAC), require_verification,
one verified user on several devices, custom_data merging, the server-side identify API
and who may read a visitor."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import uuid
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support import clients
from tests.support.clients import DEFAULT_ORIGIN, Api, Socket
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, started_sqlite_server


def sign(secret: str, user_id: str) -> str:
    """What the website's server computes (docs/identification.md)."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def new_user() -> str:
    return "user-" + secrets.token_hex(4)


async def create_secret(api: Api, website_id: str) -> str:
    r = await api.post(f"/api/v1/websites/{website_id}/identity-secret")
    assert r.status_code in (200, 201), r.text
    return str(r.json()["secret"])


async def config(
    server: ServerProcess, website_id: str, identify: dict[str, Any] | None = None, key: str | None = None
) -> httpx.Response:
    return await clients.widget_config(server.url, website_id, visitor_key=key, identify=identify)


async def config_ok(
    server: ServerProcess, website_id: str, identify: dict[str, Any] | None = None, key: str | None = None
) -> dict[str, Any]:
    r = await config(server, website_id, identify, key)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def connect(cfg: dict[str, Any]) -> tuple[Socket, dict[str, Any]]:
    """The widget's WebSocket for a config answer: (socket, welcome)."""
    sock = await clients.open_socket(f"{cfg['ws_url']}?token={cfg['token']}", origin=DEFAULT_ORIGIN)
    await sock.send({"type": "hello", "resume": {}})
    return sock, await sock.expect("welcome")


async def visitor_rows(server: ServerProcess, website_id: str) -> list[tuple[Any, ...]]:
    """(id, user_id, verified, name) of every visitor of the website, straight from the database."""
    engine = create_async_engine(server.env["SITECHAT_DATABASE_URL"])
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT id, user_id, verified, name FROM visitors WHERE website_id = :w ORDER BY id"),
                {"w": website_id},
            )
            return [tuple(r) for r in rows.all()]
    finally:
        await engine.dispose()


async def get_visitor(api: Api, visitor_id: str) -> dict[str, Any]:
    r = await api.get(f"/api/v1/visitors/{visitor_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


# --- the identity secret ----------------------------------------------------------------------


async def test_identity_secret_is_created_rotated_deleted_by_managers_only(server, owner: Api) -> None:
    site = await owner.create_website()
    other = await owner.create_website()
    base = f"/api/v1/websites/{site['id']}/identity-secret"

    r = await owner.get(base)
    assert r.status_code == 200 and r.json() == {"secret": None}
    r = await owner.post(base)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["created"] is True and len(first["secret"]) >= 43
    assert r.headers["cache-control"] == "no-store"
    r = await owner.get(base)
    assert r.json() == {"secret": first["secret"]} and r.headers["cache-control"] == "no-store"

    # Rotating replaces it: the old secret's hashes stop verifying.
    r = await owner.post(base)
    assert r.status_code == 200
    second = r.json()
    assert second["created"] is False and second["secret"] != first["secret"]
    assert (await owner.get(base)).json() == {"secret": second["secret"]}
    user = new_user()
    r = await config(server, site["id"], {"user_id": user, "user_hash": sign(first["secret"], user)})
    assert r.status_code == 403 and r.json()["error"] == "identity_invalid"
    r = await config(server, site["id"], {"user_id": user, "user_hash": sign(second["secret"], user)})
    assert r.status_code == 200

    # Kept encrypted in the database, bound to its website.
    engine = create_async_engine(server.env["SITECHAT_DATABASE_URL"])
    try:
        async with engine.connect() as conn:
            stored = await conn.scalar(
                sa.text("SELECT identity_secret FROM websites WHERE id = :w"), {"w": site["id"]}
            )
    finally:
        await engine.dispose()
    assert stored.startswith("v1:") and second["secret"] not in stored

    # Plain agents may not read it; an agent of another website does not see the website.
    _a, _pw, agent_token = await owner.create_agent([site["id"]])
    _b, _pw, stranger_token = await owner.create_agent([other["id"]])
    async with Api(server.url) as agent, Api(server.url) as stranger, Api(server.url) as nobody:
        agent.use_token(agent_token)
        stranger.use_token(stranger_token)
        for method in ("get", "post", "delete"):
            r = await getattr(agent.http, method)(base)
            assert r.status_code == 403 and r.json()["error"] == "forbidden", (method, r.text)
            assert "secret" not in r.json()
            r = await getattr(stranger.http, method)(base)
            assert r.status_code == 404 and r.json()["error"] == "website_not_found", (method, r.text)
            r = await getattr(nobody.http, method)(base)
            assert r.status_code == 401, (method, r.text)
    assert (await owner.get(base)).json() == {"secret": second["secret"]}  # unchanged by them
    r = await owner.get("/api/v1/websites/web_doesnotexist000/identity-secret")
    assert r.status_code == 404 and r.json()["error"] == "website_not_found"

    # Deleted: every hash is refused from then on, with the reason.
    r = await owner.delete(base)
    assert r.status_code == 204
    assert (await owner.get(base)).json() == {"secret": None}
    r = await config(server, site["id"], {"user_id": user, "user_hash": sign(second["secret"], user)})
    assert r.status_code == 403 and r.json()["error"] == "identity_invalid"
    assert "no identity secret" in r.json()["detail"]


async def test_the_secret_never_reaches_the_log(tmp_path: Path) -> None:
    """At debug level (request lines included), through create, rotate, verify and refuse."""
    srv = started_sqlite_server(tmp_path, "identity-log", extra_env={"SITECHAT_LOG_LEVEL": "debug"})
    try:
        async with Api(srv.url) as api:
            await api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
            site = await api.create_website()
            secrets_seen = [await create_secret(api, site["id"]), await create_secret(api, site["id"])]
            r = await api.get(f"/api/v1/websites/{site['id']}/identity-secret")
            assert r.json()["secret"] == secrets_seen[-1]
            user = new_user()
            good = {"user_id": user, "user_hash": sign(secrets_seen[-1], user)}
            assert (await config(srv, site["id"], good)).status_code == 200
            forged = {"user_id": user, "user_hash": sign(secrets_seen[0], user)}
            assert (await config(srv, site["id"], forged)).status_code == 403
        log = srv.log_path.read_text(errors="replace")
    finally:
        srv.stop()
    # The log is really written at this level: the rotations and the requests are in it.
    assert f"identity secret created for website {site['id']}" in log
    assert f"identity secret rotated for website {site['id']}" in log
    assert "/identity-secret" in log
    for secret in secrets_seen:
        assert secret not in log


# --- verified identify from the widget ------------------------------------------------------------


async def test_a_valid_hash_makes_the_visitor_verified_and_states_follow_the_profile(
    server, owner: Api
) -> None:
    site = await owner.create_website()
    secret = await create_secret(owner, site["id"])
    _a, _pw, token = await owner.create_agent([site["id"]])
    agent_ws, _ = await clients.agent(server.ws_url, token)

    cfg = await config_ok(server, site["id"])
    vid, key = cfg["visitor_id"], cfg["visitor_key"]
    seen = await get_visitor(owner, vid)
    assert (seen["state"], seen["verified"], seen["user_id"]) == ("anonymous", False, None)

    cfg = await config_ok(server, site["id"], {"company": "  Acme   Inc "}, key)
    assert cfg["visitor"]["company"] == "Acme Inc"
    assert (await get_visitor(owner, vid))["state"] == "partial"
    await config_ok(server, site["id"], {"name": "Jane", "email": "jane@example.com"}, key)
    assert (await get_visitor(owner, vid))["state"] == "identified"

    user = new_user()
    cfg = await config_ok(
        server,
        site["id"],
        {"user_id": user, "user_hash": sign(secret, user).upper(), "custom_data": {"plan": "pro"}},
        key,
    )
    assert cfg["visitor_id"] == vid
    # The widget's own view never carries the site's user id.
    assert cfg["visitor"] == {
        "name": "Jane",
        "email": "jane@example.com",
        "phone": None,
        "company": "Acme Inc",
        "custom_data": {"plan": "pro"},
    }
    seen = await get_visitor(owner, vid)
    assert seen["state"] == "verified" and seen["verified"] is True and seen["user_id"] == user
    assert seen["website_id"] == site["id"] and seen["conversation_count"] == 0
    assert seen["custom_data"] == {"plan": "pro"} and seen["company"] == "Acme Inc"
    # Agents hear of it live, with the state.
    frame = await agent_ws.expect("visitor", website_id=site["id"])
    while frame["visitor"].get("verified") is not True:
        frame = await agent_ws.expect("visitor", website_id=site["id"])
    assert frame["visitor"]["id"] == vid and frame["visitor"]["state"] == "verified"
    assert frame["visitor"]["user_id"] == user

    # The panel's profile.update cannot make anyone verified or change the user id.
    ws, welcome = await connect(cfg)
    assert "user_id" not in welcome["profile"] and "verified" not in welcome["profile"]
    await ws.send({"type": "profile.update", "id": "p1", "user_id": "someone-else"})
    assert (await ws.expect("error", id="p1"))["code"] == "invalid_frame"
    await ws.send({"type": "profile.update", "id": "p2", "verified": False, "name": "J"})
    assert (await ws.expect("error", id="p2"))["code"] == "invalid_frame"
    await ws.send({"type": "profile.update", "id": "p3", "company": "Globex"})
    saved = await ws.expect("profile", id="p3")
    assert saved["visitor"]["company"] == "Globex" and "user_id" not in saved["visitor"]
    seen = await get_visitor(owner, vid)
    assert (seen["user_id"], seen["verified"], seen["company"]) == (user, True, "Globex")
    await ws.close()
    await agent_ws.close()


async def test_a_forged_or_unverifiable_hash_is_refused_and_nothing_is_saved(server, owner: Api) -> None:
    site = await owner.create_website()
    no_secret = await owner.create_website()
    secret = await create_secret(owner, site["id"])
    cfg = await config_ok(server, site["id"], {"name": "Ann"})
    vid, key = cfg["visitor_id"], cfg["visitor_key"]
    victim = new_user()
    victim_cfg = await config_ok(
        server, site["id"], {"user_id": victim, "user_hash": sign(secret, victim), "name": "Victim"}
    )
    before = await visitor_rows(server, site["id"])

    refused = [
        (
            {"user_id": victim, "user_hash": sign("guessed-secret", victim), "name": "Mallory"},
            "does not match",
        ),
        ({"user_id": victim, "user_hash": sign(secret, "another-user")}, "does not match"),
        ({"user_id": victim, "user_hash": "not-a-hash"}, "does not match"),
        ({"user_id": victim, "user_hash": sign(secret, victim)[:-2]}, "does not match"),
        ({"user_hash": sign(secret, victim), "name": "Mallory"}, "without identify.user_id"),
    ]
    for ident, why in refused:
        for k in (key, None):
            r = await config(server, site["id"], ident, k)
            assert r.status_code == 403, (ident, r.text)
            body = r.json()
            assert body["error"] == "identity_invalid" and why in body["detail"], body
            # The page can read why (CORS), so its developer can fix the hash.
            assert r.headers["access-control-allow-origin"] == DEFAULT_ORIGIN
    # Nothing changed: no new visitor, no name, no user id, no merge into the victim.
    assert await visitor_rows(server, site["id"]) == before
    seen = await get_visitor(owner, vid)
    assert (seen["name"], seen["user_id"], seen["verified"]) == ("Ann", None, False)
    assert (await get_visitor(owner, victim_cfg["visitor_id"]))["name"] == "Victim"

    # A hash for a website that has no secret cannot be checked: refused, and said why.
    r = await config(server, no_secret["id"], {"user_id": victim, "user_hash": sign(secret, victim)})
    assert r.status_code == 403 and r.json()["error"] == "identity_invalid"
    assert "no identity secret" in r.json()["detail"]
    assert await visitor_rows(server, no_secret["id"]) == []


async def test_a_user_id_without_hash_is_never_stored_or_matched(server, owner: Api) -> None:
    site = await owner.create_website()
    secret = await create_secret(owner, site["id"])
    user = new_user()
    verified = await config_ok(server, site["id"], {"user_id": user, "user_hash": sign(secret, user)})
    ws, _ = await connect(verified)
    await ws.send_message("My private order details")
    await ws.close()

    # Someone else's page claims to be that user, without a hash: saved as details only.
    cfg = await config_ok(server, site["id"], {"user_id": user, "name": "Claimant"})
    assert cfg["visitor_id"] != verified["visitor_id"] and cfg["visitor"]["name"] == "Claimant"
    seen = await get_visitor(owner, cfg["visitor_id"])
    assert (seen["user_id"], seen["verified"], seen["state"]) == (None, False, "partial")
    ws, welcome = await connect(cfg)
    assert welcome["conversations"] == []  # none of the user's history
    await ws.close()
    assert (await get_visitor(owner, verified["visitor_id"]))["conversation_count"] == 1


async def test_require_verification_refuses_unverified_identify_and_saves_nothing(server, owner: Api) -> None:
    site = await owner.create_website(settings={"behavior": {"require_verification": True}})
    assert site["settings"]["behavior"]["require_verification"] is True
    secret = await create_secret(owner, site["id"])
    user = new_user()

    for ident in (
        {"name": "Jane", "email": "jane@example.com"},
        {"user_id": user, "name": "Jane"},  # a user id without its hash
        {"custom_data": {"plan": "pro"}},
    ):
        r = await config(server, site["id"], ident)
        assert r.status_code == 403, (ident, r.text)
        assert r.json()["error"] == "verification_required"
        assert r.headers["access-control-allow-origin"] == DEFAULT_ORIGIN
    assert await visitor_rows(server, site["id"]) == []  # not even a visitor

    # The widget itself still works, and the panel's own questions too.
    cfg = await config_ok(server, site["id"])
    assert cfg["website"]["behavior"]["require_verification"] is True
    r = await config(server, site["id"], {"name": "Jane"}, cfg["visitor_key"])
    assert r.status_code == 403 and r.json()["error"] == "verification_required"
    ws, _ = await connect(cfg)
    await ws.send({"type": "profile.update", "id": "p1", "name": "Jane", "email": "jane@example.com"})
    assert (await ws.expect("profile", id="p1"))["visitor"]["name"] == "Jane"
    await ws.close()
    assert (await get_visitor(owner, cfg["visitor_id"]))["state"] == "identified"

    # A verified identify goes through.
    ok = await config_ok(
        server, site["id"], {"user_id": user, "user_hash": sign(secret, user), "phone": "+1 555 0100"}
    )
    seen = await get_visitor(owner, ok["visitor_id"])
    assert (seen["verified"], seen["user_id"], seen["phone"]) == (True, user, "+1 555 0100")


# --- one verified user, one visitor --------------------------------------------------------------


async def test_a_verified_user_sees_their_conversations_on_any_device(server, owner: Api) -> None:
    site = await owner.create_website()
    secret = await create_secret(owner, site["id"])
    user = new_user()
    ident = {"user_id": user, "user_hash": sign(secret, user)}

    laptop = await config_ok(server, site["id"], {**ident, "name": "Jane"})
    laptop_ws, _ = await connect(laptop)
    ack = await laptop_ws.send_message("Where is my order?")

    # A phone: no visitor_key shared with the laptop, only the site's word for the user.
    phone = await config_ok(server, site["id"], ident)
    assert phone["visitor_id"] == laptop["visitor_id"]
    assert phone["has_open_conversation"] is True and phone["visitor"]["name"] == "Jane"
    phone_ws, welcome = await connect(phone)
    assert [c["id"] for c in welcome["conversations"]] == [ack["conversation_id"]]
    assert welcome["conversations"][0]["last_message"]["body"] == "Where is my order?"

    # The phone's reply reaches the laptop's open widget: one visitor, one conversation.
    reply = await phone_ws.send_message("Order 1234")
    assert reply["conversation_id"] == ack["conversation_id"]
    got = await laptop_ws.expect("message", conversation_id=ack["conversation_id"])
    if got["message"]["seq"] == ack["seq"]:  # the echo of the laptop's own message first
        got = await laptop_ws.expect("message", conversation_id=ack["conversation_id"])
    assert got["message"]["body"] == "Order 1234" and got["message"]["seq"] == reply["seq"]
    assert [r[0] for r in await visitor_rows(server, site["id"])] == [laptop["visitor_id"]]
    for s in (laptop_ws, phone_ws):
        await s.close()


async def test_an_anonymous_visitor_who_logs_in_joins_the_users_profile(server, owner: Api) -> None:
    site = await owner.create_website()
    secret = await create_secret(owner, site["id"])
    _a, _pw, token = await owner.create_agent([site["id"]])
    user = new_user()
    ident = {"user_id": user, "user_hash": sign(secret, user)}
    home = await config_ok(
        server,
        site["id"],
        {**ident, "name": "Jane", "custom_data": {"plan": "pro", "seats": 3}},
    )

    # On another device, still anonymous: details and a conversation of its own.
    anon = await config_ok(server, site["id"])
    anon_ws, _ = await connect(anon)
    await anon_ws.send({"type": "profile.update", "id": "p1", "name": "J.", "email": "jane@example.com"})
    await anon_ws.expect("profile", id="p1")
    ack = await anon_ws.send_message("Hello from my phone")
    agent_ws, _ = await clients.agent(server.ws_url, token)

    # The page learns who it is (login): the phone's visitor joins the user's profile.
    joined = await config_ok(
        server,
        site["id"],
        {**ident, "phone": "+33 1 23 45 67 89", "custom_data": {"seats": None, "team": "ops"}},
        anon["visitor_key"],
    )
    assert joined["visitor_id"] == home["visitor_id"]
    assert joined["visitor_key"] != anon["visitor_key"]
    # The user's profile keeps its name; the email only the phone knew fills the gap; what
    # the site says now wins; custom_data merges key by key, null deleting.
    assert joined["visitor"] == {
        "name": "Jane",
        "email": "jane@example.com",
        "phone": "+33 1 23 45 67 89",
        "company": None,
        "custom_data": {"plan": "pro", "team": "ops"},
    }
    seen = await get_visitor(owner, home["visitor_id"])
    assert seen["conversation_count"] == 1 and seen["state"] == "verified"

    # Agents see the conversation under the user's visitor, the visitor's messages too.
    moved = await agent_ws.expect("conversation")
    assert moved["conversation"]["id"] == ack["conversation_id"]
    assert moved["conversation"]["visitor"]["id"] == home["visitor_id"]
    conv = (await owner.get(f"/api/v1/conversations/{ack['conversation_id']}")).json()
    assert conv["visitor"]["id"] == home["visitor_id"]
    msgs = (await owner.get(f"/api/v1/conversations/{ack['conversation_id']}/messages")).json()["items"]
    assert [m["sender"]["id"] for m in msgs] == [home["visitor_id"]]

    # The merged-away visitor is gone, and its old key opens nothing of the user's.
    r = await owner.get(f"/api/v1/visitors/{anon['visitor_id']}")
    assert r.status_code == 404
    stale = await config_ok(server, site["id"], key=anon["visitor_key"])
    assert stale["visitor_id"] not in (anon["visitor_id"], home["visitor_id"])
    assert stale["has_open_conversation"] is False

    # The phone's socket still open under the old visitor cannot start a conversation for
    # a visitor that no longer exists.
    await anon_ws.send(
        {
            "type": "message.send",
            "client_msg_id": str(uuid.uuid4()),
            "body": "Still me",
            "new_conversation": True,
        }
    )
    refused = await anon_ws.expect("error")
    assert refused["code"] == "unauthorized"
    seen = await get_visitor(owner, home["visitor_id"])
    assert seen["conversation_count"] == 1

    # Both devices now list the conversation.
    ws, welcome = await connect(joined)
    assert [c["id"] for c in welcome["conversations"]] == [ack["conversation_id"]]
    home_ws, welcome = await connect(await config_ok(server, site["id"], ident, home["visitor_key"]))
    assert [c["id"] for c in welcome["conversations"]] == [ack["conversation_id"]]
    for s in (anon_ws, agent_ws, ws, home_ws):
        await s.close()


async def test_another_user_logging_in_on_the_same_browser_gets_their_own_profile(server, owner: Api) -> None:
    site = await owner.create_website()
    secret = await create_secret(owner, site["id"])
    alice, bob = new_user(), new_user()
    a = await config_ok(server, site["id"], {"user_id": alice, "user_hash": sign(secret, alice)})
    ws, _ = await connect(a)
    await ws.send_message("Alice's question")
    await ws.close()
    # Bob logs in on the browser that still holds Alice's visitor_key.
    b = await config_ok(
        server, site["id"], {"user_id": bob, "user_hash": sign(secret, bob)}, a["visitor_key"]
    )
    assert b["visitor_id"] != a["visitor_id"] and b["has_open_conversation"] is False
    ws, welcome = await connect(b)
    assert welcome["conversations"] == []
    await ws.close()
    assert (await get_visitor(owner, a["visitor_id"]))["conversation_count"] == 1
    assert (await get_visitor(owner, b["visitor_id"]))["user_id"] == bob


async def test_concurrent_first_identifies_of_one_user_end_as_one_visitor(server, owner: Api) -> None:
    site = await owner.create_website()
    secret = await create_secret(owner, site["id"])
    users = [new_user() for _ in range(5)]
    for user in users:
        ident = {"user_id": user, "user_hash": sign(secret, user)}
        answers = await asyncio.gather(*(config(server, site["id"], ident) for _ in range(4)))
        assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
        assert len({r.json()["visitor_id"] for r in answers}) == 1
    rows = await visitor_rows(server, site["id"])
    assert sorted(r[1] for r in rows) == sorted(users)  # one verified visitor each, no leftovers
    assert all(r[2] for r in rows)


# --- server-side identify ------------------------------------------------------------------------


async def test_server_side_identify_upserts_a_verified_visitor(server, owner: Api) -> None:
    site = await owner.create_website()
    other = await owner.create_website()
    secret = await create_secret(owner, site["id"])
    user = new_user()
    body = {
        "website_id": site["id"],
        "user_id": user,
        "name": "Jane Doe",
        "company": "Acme",
        "custom_data": {"plan": "pro", "seats": 3},
    }
    r = await owner.post("/api/v1/visitors/identify", json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["user_id"] == user and created["verified"] is True and created["state"] == "verified"
    assert created["website_id"] == site["id"] and created["conversation_count"] == 0
    assert created["company"] == "Acme" and created["email"] is None

    r = await owner.post(
        "/api/v1/visitors/identify",
        json={
            "website_id": site["id"],
            "user_id": user,
            "email": "Jane@Example.com",
            "custom_data": {"seats": None},
        },
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["id"] == created["id"]
    assert (updated["name"], updated["email"]) == ("Jane Doe", "jane@example.com")
    assert updated["custom_data"] == {"plan": "pro"}

    # The widget of that user, verified, lands on the same visitor.
    cfg = await config_ok(server, site["id"], {"user_id": user, "user_hash": sign(secret, user)})
    assert cfg["visitor_id"] == created["id"] and cfg["visitor"]["name"] == "Jane Doe"
    # The same user id on another website is another visitor.
    r = await owner.post("/api/v1/visitors/identify", json={"website_id": other["id"], "user_id": user})
    assert r.status_code == 201 and r.json()["id"] != created["id"]

    # Bad bodies: every bad field named.
    r = await owner.post(
        "/api/v1/visitors/identify",
        json={"website_id": site["id"], "email": "nope", "custom_data": {"tags": [1]}, "age": 3},
    )
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    assert {f["field"] for f in r.json()["fields"]} == {"user_id", "email", "custom_data.tags", "age"}
    r = await owner.post("/api/v1/visitors/identify", json={"website_id": site["id"], "user_id": ""})
    assert r.status_code == 422 and [f["field"] for f in r.json()["fields"]] == ["user_id"]
    r = await owner.post(
        "/api/v1/visitors/identify", json={"website_id": "web_nope00000000000", "user_id": "u"}
    )
    assert r.status_code == 404 and r.json()["error"] == "website_not_found"

    # Agents: one of another website does not see the website; one of this website is no manager.
    _a, _pw, agent_token = await owner.create_agent([site["id"]])
    _b, _pw, stranger_token = await owner.create_agent([other["id"]])
    async with Api(server.url) as agent, Api(server.url) as stranger:
        agent.use_token(agent_token)
        stranger.use_token(stranger_token)
        r = await stranger.post("/api/v1/visitors/identify", json={**body, "name": "Hijacked"})
        assert r.status_code == 404 and r.json()["error"] == "website_not_found"
        r = await agent.post("/api/v1/visitors/identify", json={**body, "name": "Hijacked"})
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert (await get_visitor(owner, created["id"]))["name"] == "Jane Doe"

    # The console session works too, with its CSRF token.
    async with Api(server.url) as console:
        await console.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        r = await console.post("/api/v1/visitors/identify", json={**body, "phone": "+1 555 0100"})
        assert r.status_code == 200 and r.json()["phone"] == "+1 555 0100"
        del console.http.headers["X-CSRF-Token"]
        r = await console.post("/api/v1/visitors/identify", json=body)
        assert r.status_code == 403 and r.json()["error"] == "csrf_failed"


async def test_a_visitor_is_visible_only_to_agents_of_its_website(server, owner: Api) -> None:
    site = await owner.create_website()
    other = await owner.create_website()
    cfg = await config_ok(server, site["id"], {"name": "Ann", "email": "ann@example.com"})
    ws, _ = await connect(cfg)
    await ws.send_message("Hi")
    await ws.close()
    _a, _pw, agent_token = await owner.create_agent([site["id"]])
    _b, _pw, stranger_token = await owner.create_agent([other["id"]])
    async with Api(server.url) as agent, Api(server.url) as stranger, Api(server.url) as nobody:
        agent.use_token(agent_token)
        stranger.use_token(stranger_token)
        seen = await get_visitor(agent, cfg["visitor_id"])
        assert set(seen) == {
            "id",
            "website_id",
            "name",
            "email",
            "phone",
            "company",
            "custom_data",
            "user_id",
            "verified",
            "state",
            "created_at",
            "last_seen_at",
            "conversation_count",
        }
        assert (seen["name"], seen["state"], seen["conversation_count"]) == ("Ann", "identified", 1)
        r = await stranger.get(f"/api/v1/visitors/{cfg['visitor_id']}")
        assert r.status_code == 404 and r.json()["error"] == "not_found"
        # The same answer as for an id that does not exist.
        r2 = await stranger.get("/api/v1/visitors/v_doesnotexist0000")
        assert (r2.status_code, r2.json()) == (r.status_code, r.json())
        r = await nobody.get(f"/api/v1/visitors/{cfg['visitor_id']}")
        assert r.status_code == 401
