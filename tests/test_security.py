"""Origins, tokens, CSRF, and isolation between websites."""

from __future__ import annotations

import uuid

import httpx

from tests.support import clients
from tests.support.clients import Api


async def test_widget_config_answers_only_allowed_origins(server, owner: Api) -> None:
    site = await owner.create_website(domains=["shop.example.com", "*.example.org"])
    ok = await clients.widget_config(server.url, site["id"], "https://shop.example.com")
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://shop.example.com"
    wildcard = await clients.widget_config(server.url, site["id"], "https://eu.store.example.org:8443")
    assert wildcard.status_code == 200
    for bad in ("https://evil.com", "https://example.org", "https://shop.example.com.evil.com", "null", ""):
        r = await clients.widget_config(server.url, site["id"], bad)
        assert r.status_code == 403, bad
        assert r.json()["error"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in r.headers
    r = await clients.widget_config(server.url, "web_nope", "https://shop.example.com")
    assert r.status_code == 404 and r.json()["error"] == "website_not_found"
    async with httpx.AsyncClient(base_url=server.url) as http:
        pre = await http.options(
            f"/api/v1/widget/{site['id']}/config",
            headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"},
        )
        assert (
            pre.status_code == 204
            and pre.headers["access-control-allow-origin"] == "https://shop.example.com"
        )
        pre_bad = await http.options(
            f"/api/v1/widget/{site['id']}/config", headers={"Origin": "https://evil.com"}
        )
        assert pre_bad.status_code == 403


async def test_visitor_socket_refuses_foreign_origin_and_bad_tokens(server, owner: Api) -> None:
    site = await owner.create_website()
    cfg = (await clients.widget_config(server.url, site["id"])).json()
    evil = await clients.open_socket(f"{cfg['ws_url']}?token={cfg['token']}", origin="https://evil.com")
    assert await evil.wait_closed() == 4003
    forged = await clients.open_socket(
        f"{cfg['ws_url']}?token={cfg['token']}x", origin=clients.DEFAULT_ORIGIN
    )
    assert await forged.wait_closed() == 4001
    none = await clients.open_socket(cfg["ws_url"], origin=clients.DEFAULT_ORIGIN)
    assert await none.wait_closed() == 4001
    # The panel iframe connects from the server's own origin: allowed.
    panel, panel_cfg, welcome = await clients.visitor(server.url, site["id"], ws_origin=server.url)
    assert welcome["visitor_id"] == panel_cfg["visitor_id"]
    await panel.close()


async def test_visitor_key_of_one_website_is_useless_on_another(server, owner: Api) -> None:
    a = await owner.create_website()
    b = await owner.create_website()
    cfg_a = (await clients.widget_config(server.url, a["id"])).json()
    cfg_b = (await clients.widget_config(server.url, b["id"], visitor_key=cfg_a["visitor_key"])).json()
    assert cfg_b["visitor_id"] != cfg_a["visitor_id"]


async def test_agent_of_site_a_cannot_touch_site_b(server, owner: Api) -> None:
    site_a = await owner.create_website()
    site_b = await owner.create_website()
    _agent_a, _pw, token_a = await owner.create_agent([site_a["id"]])
    b_visitor, _, _ = await clients.visitor(server.url, site_b["id"])
    b_conv = (await b_visitor.send_message("private to B"))["conversation_id"]
    a_visitor, _, _ = await clients.visitor(server.url, site_a["id"])
    a_conv = (await a_visitor.send_message("for A"))["conversation_id"]

    async with Api(server.url) as api:
        api.use_token(token_a)
        for method, path, body in (
            ("GET", f"/api/v1/conversations/{b_conv}", None),
            ("GET", f"/api/v1/conversations/{b_conv}/messages", None),
            ("POST", f"/api/v1/conversations/{b_conv}/messages", {"body": "intrusion"}),
            ("POST", f"/api/v1/conversations/{b_conv}/resolve", None),
            ("POST", f"/api/v1/conversations/{b_conv}/reopen", None),
            ("POST", f"/api/v1/conversations/{b_conv}/assign", {"agent_id": None}),
            ("GET", f"/api/v1/websites/{site_b['id']}", None),
        ):
            r = await api.http.request(method, path, json=body)
            assert r.status_code == 404, (method, path, r.text)
        r = await api.get("/api/v1/conversations", params={"website_id": site_b["id"]})
        assert r.status_code == 404
        listed = await api.get("/api/v1/conversations", params={"status": "all"})
        assert [c["id"] for c in listed.json()["items"]] == [a_conv]
        sites = await api.get("/api/v1/websites")
        assert [s["id"] for s in sites.json()] == [site_a["id"]]
        r = await api.post("/api/v1/websites", json={"name": "mine", "domains": ["x.example.com"]})
        assert r.status_code == 403 and r.json()["error"] == "forbidden"

    agent_ws, welcome = await clients.agent(server.ws_url, token_a, resume={b_conv: 0})
    assert welcome["websites"] == [site_a["id"]]
    assert (await agent_ws.expect("error"))["code"] == "not_found"  # the resume of B's conversation
    for frame in (
        {"type": "message.send", "client_msg_id": str(uuid.uuid4()), "body": "x", "conversation_id": b_conv},
        {"type": "typing", "conversation_id": b_conv, "typing": True},
        {"type": "seen", "conversation_id": b_conv, "seq": 1, "state": "read"},
        {"type": "history", "conversation_id": b_conv},
    ):
        await agent_ws.send({**frame, "id": "probe"})
        assert (await agent_ws.expect("error", id="probe"))["code"] == "not_found"
    # Live traffic on B never reaches A's agent; A's traffic does.
    await b_visitor.send_message("still private")
    await a_visitor.send_message("for A again")
    got = await agent_ws.expect("message")
    assert got["conversation_id"] == a_conv
    leaked = [
        f
        for f in await agent_ws.quiet(0.5)
        if f.get("conversation_id") == b_conv or f.get("website_id") == site_b["id"]
    ]
    assert leaked == []
    r = await owner.get(f"/api/v1/conversations/{b_conv}/messages")
    assert [m["body"] for m in r.json()["items"]] == ["private to B", "still private"]
    for s in (agent_ws, a_visitor, b_visitor):
        await s.close()


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
