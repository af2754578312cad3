"""Agents administration: invitations, roles, disabling."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support import clients
from tests.support.clients import Api


def token_of(invite_url: str) -> str:
    return parse_qs(urlsplit(invite_url).fragment.split("?", 1)[1])["token"][0]


async def test_invite_then_accept_once(server, owner: Api) -> None:
    site = await owner.create_website()
    r = await owner.post(
        "/api/v1/agents/invite",
        json={"email": "Invitee-1@Example.com", "name": "Ivy", "website_ids": [site["id"]]},
    )
    assert r.status_code == 201, r.text
    invited = r.json()
    assert invited["invite_pending"] is True and invited["emailed"] is False  # no SMTP here
    assert invited["email"] == "invitee-1@example.com" and invited["website_ids"] == [site["id"]]
    assert invited["invite_url"].startswith(server.url + "/console/#/accept-invite?token=")
    token = token_of(invited["invite_url"])
    # Before accepting, no password works (the account has none).
    async with httpx.AsyncClient(base_url=server.url) as http:
        r = await http.post(
            "/api/v1/auth/login", json={"email": "invitee-1@example.com", "password": "!invited"}
        )
        assert r.status_code == 401
        # A bad password uses nothing up.
        r = await http.post(
            "/api/v1/auth/accept-invite",
            json={"token": token, "password": "a-good-password"},
            headers={"Origin": "https://evil.example"},
        )
        assert r.status_code == 403  # a foreign page cannot sign anyone in
        r = await http.post("/api/v1/auth/accept-invite", json={"token": token, "password": "short"})
        assert r.status_code == 422 and r.json()["fields"][0]["field"] == "password"
        r = await http.post(
            "/api/v1/auth/accept-invite",
            json={"token": token, "password": "a-good-password", "name": "Ivy B"},
        )
        assert r.status_code == 200, r.text
        me = r.json()
        assert me["agent"]["name"] == "Ivy B" and me["agent"]["invite_pending"] is False
        # Signed in by the answer's cookie.
        assert (await http.get("/api/v1/auth/me")).json()["agent"]["id"] == invited["id"]
        # The link works once.
        r = await http.post(
            "/api/v1/auth/accept-invite", json={"token": token, "password": "another-password"}
        )
        assert r.status_code == 404 and r.json()["error"] == "invite_invalid"
        r = await http.post(
            "/api/v1/auth/accept-invite", json={"token": "x" * 43, "password": "another-password"}
        )
        assert r.status_code == 404 and r.json()["error"] == "invite_invalid"
    async with Api(server.url) as ivy:
        await ivy.login("invitee-1@example.com", "a-good-password")
    r = await owner.post(f"/api/v1/agents/{invited['id']}/invite")
    assert r.status_code == 409  # nothing left to accept
    r = await owner.post("/api/v1/agents/invite", json={"email": "invitee-1@example.com", "name": "Again"})
    assert r.status_code == 409 and r.json()["error"] == "conflict"


async def test_reinvite_replaces_the_link(server, owner: Api) -> None:
    body = {"email": "invitee-2@example.com", "name": "Io"}
    first = (await owner.post("/api/v1/agents/invite", json=body)).json()
    r = await owner.post(f"/api/v1/agents/{first['id']}/invite")
    assert r.status_code == 200 and r.json()["invite_url"] != first["invite_url"]
    second = r.json()
    async with httpx.AsyncClient(base_url=server.url) as http:
        old = {"token": token_of(first["invite_url"]), "password": "a-good-password"}
        r = await http.post("/api/v1/auth/accept-invite", json=old)
        assert r.status_code == 404 and r.json()["error"] == "invite_invalid"
        new = {"token": token_of(second["invite_url"]), "password": "a-good-password"}
        assert (await http.post("/api/v1/auth/accept-invite", json=new)).status_code == 200


async def test_invite_rules(server, owner: Api) -> None:
    site = await owner.create_website()
    admin_info, admin_pw, _ = await owner.create_agent([], role="admin")
    agent_info, agent_pw, _ = await owner.create_agent([site["id"]])
    async with Api(server.url) as admin, Api(server.url) as agent:
        await admin.login(admin_info["email"], admin_pw)
        await agent.login(agent_info["email"], agent_pw)
        r = await agent.post("/api/v1/agents/invite", json={"email": "no-1@example.com", "name": "No"})
        assert r.status_code == 403
        for role in ("admin", "owner"):
            r = await admin.post(
                "/api/v1/agents/invite", json={"email": "no-2@example.com", "name": "No", "role": role}
            )
            assert r.status_code == 403 and r.json()["error"] == "forbidden", role
        r = await admin.post(
            "/api/v1/agents/invite",
            json={"email": "yes-1@example.com", "name": "Yes", "website_ids": ["web_nope"]},
        )
        assert r.status_code == 404 and r.json()["error"] == "website_not_found"
        r = await admin.post("/api/v1/agents/invite", json={"email": "not-an-email", "name": "Yes"})
        assert r.status_code == 422 and r.json()["fields"][0]["field"] == "email"
        r = await admin.post("/api/v1/agents/invite", json={"email": "yes-2@example.com", "name": "Yes"})
        assert r.status_code == 201 and r.json()["role"] == "agent"


async def test_role_rules(server, owner: Api) -> None:
    admin_info, admin_pw, _ = await owner.create_agent([], role="admin")
    other_admin, _, _ = await owner.create_agent([], role="admin")
    agent_info, agent_pw, _ = await owner.create_agent([])
    me = (await owner.get("/api/v1/auth/me")).json()["agent"]
    async with Api(server.url) as admin, Api(server.url) as agent:
        await admin.login(admin_info["email"], admin_pw)
        await agent.login(agent_info["email"], agent_pw)
        patch = admin.http.patch
        assert (
            await agent.http.patch(f"/api/v1/agents/{agent_info['id']}", json={"role": "admin"})
        ).status_code == 403
        # Admins look after agents, never make or change owners and admins.
        assert (await patch(f"/api/v1/agents/{agent_info['id']}", json={"role": "admin"})).status_code == 403
        assert (
            await patch(f"/api/v1/agents/{other_admin['id']}", json={"disabled": True})
        ).status_code == 403
        assert (await patch(f"/api/v1/agents/{me['id']}", json={"role": "agent"})).status_code == 403
        r = await patch(f"/api/v1/agents/{agent_info['id']}", json={"name": "Renamed"})
        assert r.status_code == 200 and r.json()["name"] == "Renamed"
        r = await patch(f"/api/v1/agents/{admin_info['id']}", json={"name": "Me, admin"})
        assert r.status_code == 200
    r = await owner.http.patch(f"/api/v1/agents/{agent_info['id']}", json={"role": "admin"})
    assert r.status_code == 200 and r.json()["role"] == "admin"
    for body in ({"role": "boss"}, {"disabled": "yes"}, {"name": ""}, {"email": "x@example.com"}):
        r = await owner.http.patch(f"/api/v1/agents/{agent_info['id']}", json=body)
        assert r.status_code == 422, body
    assert (await owner.http.patch("/api/v1/agents/ag_nope", json={"name": "x"})).status_code == 404


async def test_disabling_ends_sessions_keys_and_sockets(server, owner: Api) -> None:
    site = await owner.create_website()
    info, password, token = await owner.create_agent([site["id"]])
    sock, _ = await clients.agent(server.ws_url, token)
    async with Api(server.url) as console:
        await console.login(info["email"], password)
        r = await owner.http.patch(f"/api/v1/agents/{info['id']}", json={"disabled": True})
        assert r.status_code == 200 and r.json()["disabled"] is True
        assert await sock.wait_closed() == 4001
        assert (await console.get("/api/v1/auth/me")).status_code == 401
        async with Api(server.url) as by_key:
            by_key.use_token(token)
            assert (await by_key.get("/api/v1/conversations")).status_code == 401
        r = await console.http.post("/api/v1/auth/login", json={"email": info["email"], "password": password})
        assert r.status_code == 401
    # Enabled again: the password and the key work again.
    assert (
        await owner.http.patch(f"/api/v1/agents/{info['id']}", json={"disabled": False})
    ).status_code == 200
    async with Api(server.url) as console:
        await console.login(info["email"], password)
    listed = {a["id"]: a for a in (await owner.get("/api/v1/agents")).json()}
    assert listed[info["id"]]["disabled"] is False
