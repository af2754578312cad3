"""Console sessions (cookie, CSRF, same origin), sign-in errors, token revocation, who
manages agents. The allowlist, API keys, rate limits and the isolation matrix between
websites are in tests/security/."""

from __future__ import annotations

import httpx

from tests.support import clients
from tests.support.clients import Api


async def test_visitor_key_of_one_website_is_useless_on_another(server, owner: Api) -> None:
    a = await owner.create_website()
    b = await owner.create_website()
    cfg_a = (await clients.widget_config(server.url, a["id"])).json()
    cfg_b = (await clients.widget_config(server.url, b["id"], visitor_key=cfg_a["visitor_key"])).json()
    assert cfg_b["visitor_id"] != cfg_a["visitor_id"]


async def test_cookie_auth_needs_csrf_and_same_origin(server, owner: Api) -> None:
    from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD

    site = await owner.create_website()
    v, _, _ = await clients.visitor(server.url, site["id"])
    conv = (await v.send_message("hi"))["conversation_id"]
    await v.close()
    async with httpx.AsyncClient(base_url=server.url) as http:
        r = await http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        csrf = r.json()["csrf_token"]
        cookie = r.cookies.get("sitechat_session")
        assert (
            "httponly" in r.headers["set-cookie"].lower()
            and "samesite=lax" in r.headers["set-cookie"].lower()
        )
        assert (await http.get(f"/api/v1/conversations/{conv}")).status_code == 200
        no_csrf = await http.post(f"/api/v1/conversations/{conv}/resolve")
        assert no_csrf.status_code == 403 and no_csrf.json()["error"] == "csrf_failed"
        wrong = await http.post(
            f"/api/v1/conversations/{conv}/resolve", headers={"X-CSRF-Token": csrf[:-1] + "x"}
        )
        assert wrong.status_code == 403
        good = await http.post(f"/api/v1/conversations/{conv}/resolve", headers={"X-CSRF-Token": csrf})
        assert good.status_code == 200 and good.json()["status"] == "resolved"
        cross = await http.post(
            "/api/v1/auth/login",
            json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            headers={"Origin": "https://evil.com"},
        )
        assert cross.status_code == 403
    evil = await clients.open_socket(
        f"{server.ws_url}/ws/agent",
        origin="https://evil.com",
        headers={"Cookie": f"sitechat_session={cookie}"},
    )
    assert await evil.wait_closed() == 4003
    ours = await clients.open_socket(
        f"{server.ws_url}/ws/agent", origin=server.url, headers={"Cookie": f"sitechat_session={cookie}"}
    )
    await ours.send({"type": "hello"})
    assert (await ours.expect("welcome"))["agent"]["email"] == ADMIN_EMAIL
    # Signing out ends the session's open sockets as well.
    async with httpx.AsyncClient(base_url=server.url, cookies={"sitechat_session": cookie}) as http:
        out = await http.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 204
        assert (await http.get("/api/v1/auth/me")).status_code == 401
    assert await ours.wait_closed() == 4001
    # The old cookie is dead for REST too, not merely forgotten by the browser.
    async with httpx.AsyncClient(base_url=server.url, cookies={"sitechat_session": cookie}) as http:
        assert (await http.get("/api/v1/conversations")).status_code == 401


async def test_unauthenticated_and_revoked_tokens_are_refused(server, owner: Api) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        r = await http.get("/api/v1/conversations")
        assert r.status_code == 401 and r.json()["error"] == "unauthorized"
        r = await http.get("/api/v1/conversations", headers={"Authorization": "Bearer sct_madeup"})
        assert r.status_code == 401
        r = await http.post(
            "/api/v1/auth/login", json={"email": "owner@example.com", "password": "wrong-password"}
        )
        assert r.status_code == 401 and r.json()["error"] == "invalid_credentials"
        r = await http.post(
            "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "wrong-password"}
        )
        assert r.status_code == 401 and r.json()["error"] == "invalid_credentials"
    token = await owner.create_token("short-lived")
    tokens = (await owner.get("/api/v1/tokens")).json()
    token_id = next(t["id"] for t in tokens if t["name"] == "short-lived")
    assert all("token" not in t for t in tokens)  # never shown again
    live, _ = await clients.agent(server.ws_url, token)
    async with Api(server.url) as api:
        api.use_token(token)
        assert (await api.get("/api/v1/conversations")).status_code == 200
        assert (await owner.delete(f"/api/v1/tokens/{token_id}")).status_code == 200
        assert (await api.get("/api/v1/conversations")).status_code == 401
    # A socket opened with the token before it was revoked is closed too.
    assert await live.wait_closed() == 4001
    sock = await clients.open_socket(
        f"{server.ws_url}/ws/agent", headers={"Authorization": f"Bearer {token}"}
    )
    assert await sock.wait_closed() == 4001


async def test_only_managers_create_agents_and_websites(server, owner: Api) -> None:
    site = await owner.create_website()
    _agent, _pw, token = await owner.create_agent([site["id"]])
    async with Api(server.url) as api:
        api.use_token(token)
        r = await api.post(
            "/api/v1/agents",
            json={"email": "x@example.com", "name": "X", "role": "owner", "password": "long-password-1"},
        )
        assert r.status_code == 403
    r = await owner.post(
        "/api/v1/agents", json={"email": "bad", "name": "X", "role": "agent", "password": "long-password-1"}
    )
    assert r.status_code == 422


async def test_agents_see_only_the_shared_part_of_a_colleagues_websites(server, owner: Api) -> None:
    a = await owner.create_website()
    b = await owner.create_website()
    c = await owner.create_website()
    me, _pw, token = await owner.create_agent([a["id"], b["id"]])
    colleague, _, _ = await owner.create_agent([b["id"], c["id"]])
    stranger, _, _ = await owner.create_agent([c["id"]])
    async with Api(server.url) as api:
        api.use_token(token)
        listed = {x["id"]: x for x in (await api.get("/api/v1/agents")).json()}
        assert listed[colleague["id"]]["website_ids"] == [b["id"]]
        assert stranger["id"] not in listed
        assert (await api.get(f"/api/v1/agents/{colleague['id']}")).json()["website_ids"] == [b["id"]]
        assert (await api.get(f"/api/v1/agents/{stranger['id']}")).status_code == 404
        assert sorted(listed[me["id"]]["website_ids"]) == sorted([a["id"], b["id"]])
