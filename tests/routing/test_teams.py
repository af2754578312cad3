"""Teams (departments) with skills: owners and admins manage them, every agent lists them."""

from __future__ import annotations

import secrets

from tests.support.clients import Api


def _name() -> str:
    return "Team " + secrets.token_hex(4)


async def test_team_crud_members_and_skills(server, owner: Api) -> None:
    site = await owner.create_website()
    a1, _, _ = await owner.create_agent([site["id"]])
    a2, _, _ = await owner.create_agent([site["id"]])
    name = _name()
    r = await owner.post(
        "/api/v1/teams", json={"name": f"  {name} ", "skills": ["billing", "fr"], "agent_ids": [a1["id"]]}
    )
    assert r.status_code == 201, r.text
    team = r.json()
    assert team["name"] == name and team["skills"] == ["billing", "fr"] and team["agent_ids"] == [a1["id"]]

    assert (await owner.get(f"/api/v1/teams/{team['id']}")).json()["name"] == name
    assert team["id"] in {t["id"] for t in (await owner.get("/api/v1/teams")).json()}

    r = await owner.http.patch(f"/api/v1/teams/{team['id']}", json={"skills": ["sales"], "name": name + "!"})
    assert r.status_code == 200 and r.json()["skills"] == ["sales"] and r.json()["name"] == name + "!"

    r = await owner.http.put(f"/api/v1/teams/{team['id']}/members", json={"agent_ids": [a2["id"], a1["id"]]})
    assert r.status_code == 200 and sorted(r.json()["agent_ids"]) == sorted([a1["id"], a2["id"]])
    r = await owner.http.put(f"/api/v1/teams/{team['id']}/members", json={"agent_ids": []})
    assert r.status_code == 200 and r.json()["agent_ids"] == []

    assert (await owner.delete(f"/api/v1/teams/{team['id']}")).status_code == 204
    r = await owner.get(f"/api/v1/teams/{team['id']}")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert (await owner.delete(f"/api/v1/teams/{team['id']}")).status_code == 404


async def test_team_bad_input(server, owner: Api) -> None:
    name = _name()
    team = (await owner.post("/api/v1/teams", json={"name": name, "skills": ["vip"]})).json()
    bad = [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": _name(), "skills": ["Has Space"]}, "skills.0"),
        ({"name": _name(), "skills": ["a", "a"]}, "skills"),
        ({"name": _name(), "skills": "billing"}, "skills"),
        ({"name": _name(), "color": "red"}, "color"),
        ({"name": _name(), "agent_ids": ["ag_nobody"]}, "agent_ids.0"),
    ]
    for body, field in bad:
        r = await owner.post("/api/v1/teams", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"] == "validation_error"
        assert field in {f["field"] for f in r.json()["fields"]}, (body, r.json())
    # Names are unique, whatever the case.
    r = await owner.post("/api/v1/teams", json={"name": name.upper()})
    assert r.status_code == 409 and r.json()["error"] == "conflict"
    other = (await owner.post("/api/v1/teams", json={"name": _name()})).json()
    r = await owner.http.patch(f"/api/v1/teams/{other['id']}", json={"name": name})
    assert r.status_code == 409
    r = await owner.http.put(f"/api/v1/teams/{team['id']}/members", json={"agent_ids": ["ag_x", 5]})
    assert r.status_code == 422
    r = await owner.http.put(f"/api/v1/teams/{team['id']}/members", json={"agent_ids": ["ag_nobody"]})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "agent_ids.0"
    r = await owner.http.put("/api/v1/teams/tm_nothere/members", json={"agent_ids": []})
    assert r.status_code == 404
    r = await owner.http.patch("/api/v1/teams/tm_nothere", json={"name": "x"})
    assert r.status_code == 404
    # Nothing half-written: the failed member update left the skills and members alone.
    got = (await owner.get(f"/api/v1/teams/{team['id']}")).json()
    assert got["skills"] == ["vip"] and got["agent_ids"] == []


async def test_agents_list_teams_but_only_managers_write(server, owner: Api) -> None:
    site = await owner.create_website()
    other_site = await owner.create_website()
    colleague, _, _ = await owner.create_agent([site["id"]])
    stranger, _, _ = await owner.create_agent([other_site["id"]])
    _agent, _, token = await owner.create_agent([site["id"]])
    team = (
        await owner.post(
            "/api/v1/teams",
            json={"name": _name(), "skills": ["fr"], "agent_ids": [colleague["id"], stranger["id"]]},
        )
    ).json()
    async with Api(server.url) as agent:
        agent.use_token(token)
        listed = {t["id"]: t for t in (await agent.get("/api/v1/teams")).json()}
        # Agents see the team, but of its members only the colleagues they may see.
        assert listed[team["id"]]["agent_ids"] == [colleague["id"]]
        assert (await agent.get(f"/api/v1/teams/{team['id']}")).status_code == 200
        assert (await agent.get("/api/v1/teams/tm_nothere")).status_code == 404
        for r in (
            await agent.post("/api/v1/teams", json={"name": _name()}),
            await agent.http.patch(f"/api/v1/teams/{team['id']}", json={"name": _name()}),
            await agent.http.put(f"/api/v1/teams/{team['id']}/members", json={"agent_ids": []}),
            await agent.delete(f"/api/v1/teams/{team['id']}"),
        ):
            assert r.status_code == 403 and r.json()["error"] == "forbidden", r.text
        # An agent cannot set capacities, nor read a colleague's routing state.
        r = await agent.http.patch(f"/api/v1/agents/{colleague['id']}/routing", json={"capacity": 9})
        assert r.status_code == 403
        assert (await agent.get(f"/api/v1/agents/{colleague['id']}/routing")).status_code == 403
        assert (await agent.get(f"/api/v1/agents/{stranger['id']}/routing")).status_code == 404
    assert (await owner.get(f"/api/v1/teams/{team['id']}")).json()["agent_ids"] == sorted(
        [colleague["id"], stranger["id"]]
    )
    async with Api(server.url) as anonymous:
        assert (await anonymous.get("/api/v1/teams")).status_code == 401


async def test_status_and_capacity(server, owner: Api) -> None:
    site = await owner.create_website()
    agent, _, token = await owner.create_agent([site["id"]])
    async with Api(server.url) as api:
        api.use_token(token)
        me = (await api.get("/api/v1/agents/me/status")).json()
        assert me == {
            "agent_id": agent["id"],
            "status": "online",
            "connected": False,
            "available": False,
            "capacity": None,
            "open_conversations": 0,
        }
        r = await api.http.put("/api/v1/agents/me/status", json={"status": "away"})
        assert r.status_code == 200 and r.json()["status"] == "away"
        for bad in ({"status": "busy"}, {}, {"status": "away", "x": 1}):
            r = await api.http.put("/api/v1/agents/me/status", json=bad)
            assert r.status_code == 422 and r.json()["error"] == "validation_error"
        assert (await api.get("/api/v1/agents/me/status")).json()["status"] == "away"
    r = await owner.http.patch(f"/api/v1/agents/{agent['id']}/routing", json={"capacity": 2})
    assert r.status_code == 200 and r.json()["capacity"] == 2
    for bad in (0, 101, "3"):
        r = await owner.http.patch(f"/api/v1/agents/{agent['id']}/routing", json={"capacity": bad})
        assert r.status_code == 422
    r = await owner.http.patch(f"/api/v1/agents/{agent['id']}/routing", json={"capacity": None})
    assert r.status_code == 200 and r.json()["capacity"] is None
    assert (
        await owner.http.patch("/api/v1/agents/ag_nobody/routing", json={"capacity": 1})
    ).status_code == 404


async def test_routing_settings_are_validated(server, owner: Api) -> None:
    site = await owner.create_website()
    assert (await owner.get(f"/api/v1/websites/{site['id']}/settings")).json()["routing"]["mode"] == "manual"
    bad = [
        {"mode": "random"},
        {"capacity": 0},
        {"rules": [{"match": "prechat", "value": "x", "skill": "s"}]},
        {"rules": [{"match": "language", "value": "fr", "key": "plan", "skill": "s"}]},
        {"rules": [{"match": "page", "value": "", "skill": "s"}]},
        {"rules": [{"match": "tag", "value": "vip", "skill": "Not A Skill"}]},
        {"when_nobody": "email"},
        {"fallback": "nobody"},
        {"offline_grace_seconds": -1},
    ]
    for routing in bad:
        r = await owner.post(f"/api/v1/websites/{site['id']}/settings", json={"routing": routing})
        assert r.status_code == 422, (routing, r.text)
        assert any(f["field"].startswith("routing.") for f in r.json()["fields"]), r.json()
    doc = await owner.update_settings(
        site["id"],
        {
            "routing": {
                "mode": "skills",
                "capacity": 3,
                "rules": [{"match": "prechat", "key": "plan", "value": "pro", "skill": "sales"}],
                "when_nobody": "offline_form",
            }
        },
    )
    assert doc["routing"]["mode"] == "skills" and doc["routing"]["rules"][0]["key"] == "plan"
