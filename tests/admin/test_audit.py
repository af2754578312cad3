"""The audit log: every administrative action leaves an entry (who, what, where from),
secrets never appear in it, and only owners read it."""

from __future__ import annotations

from typing import Any

from tests.support.clients import Api


async def _audit(api: Api, **params: Any) -> dict[str, Any]:
    r = await api.get("/api/v1/audit", params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_each_admin_action_is_audited_without_secrets(server, owner: Api) -> None:
    site = await owner.create_website(name="Audited")
    wid = site["id"]
    agent, _pw, _token = await owner.create_agent([])
    steps = [
        await owner.http.patch(f"/api/v1/websites/{wid}", json={"name": "Audited 2"}),
        await owner.http.patch(f"/api/v1/websites/{wid}", json={"domains": ["audit.example.com"]}),
        await owner.post(f"/api/v1/websites/{wid}/settings", json={"appearance": {"color": "#123456"}}),
        await owner.post(f"/api/v1/websites/{wid}/agents", json={"agent_id": agent["id"]}),
        await owner.delete(f"/api/v1/websites/{wid}/agents/{agent['id']}"),
        await owner.post(f"/api/v1/websites/{wid}/identity-secret"),
        await owner.post(f"/api/v1/websites/{wid}/identity-secret"),
        await owner.delete(f"/api/v1/websites/{wid}/identity-secret"),
    ]
    assert [r.status_code for r in steps] == [200, 200, 200, 204, 204, 201, 200, 204]
    secrets = [steps[5].json()["secret"], steps[6].json()["secret"]]

    page = await _audit(owner, website_id=wid)
    actions = [e["action"] for e in page["entries"]]
    assert actions == [
        "identity_secret.delete",
        "identity_secret.rotate",
        "identity_secret.rotate",
        "website.agents.remove",
        "website.agents.add",
        "website.settings.update",
        "website.domains.update",
        "website.update",
        "website.create",
    ]
    by_action = {e["action"]: e for e in reversed(page["entries"])}  # the newest of each wins
    me = owner.me or (await owner.get("/api/v1/auth/me")).json()["agent"]
    for e in page["entries"]:
        assert e["actor"]["agent_id"] == me["id"] and e["actor"]["name"] == me["name"]
        assert e["actor"]["api_key_id"] and e["actor"]["api_key_id"].startswith("tok_")  # by API key
        assert e["ip"] == "127.0.0.1" and e["at"].endswith("Z") and e["website_id"] == wid
    assert by_action["website.update"]["changes"] == {"name": {"from": "Audited", "to": "Audited 2"}}
    assert by_action["website.domains.update"]["changes"] == {
        "added": ["audit.example.com"],
        "removed": ["*.example.org", "shop.example.com"],
    }
    assert by_action["website.settings.update"]["changes"] == {
        "appearance.color": {"from": "#4F46E5", "to": "#123456"}
    }
    assert by_action["website.agents.add"]["target_id"] == agent["id"]
    rotations = [e["changes"] for e in page["entries"] if e["action"] == "identity_secret.rotate"]
    assert rotations == [{"identity_secret": "rotated"}, {"identity_secret": "created"}]
    assert by_action["identity_secret.delete"]["changes"] == {"identity_secret": "deleted"}
    everything = (await owner.get("/api/v1/audit", params={"limit": 200})).text
    assert not any(s in everything for s in secrets)

    # Deleting the website keeps its history, and says so.
    assert (await owner.delete(f"/api/v1/websites/{wid}")).status_code == 204
    page = await _audit(owner, website_id=wid)
    assert page["entries"][0]["action"] == "website.delete"
    assert page["entries"][0]["changes"]["name"] == "Audited 2"
    assert len(page["entries"]) == 10


async def test_agent_changes_are_audited(server, owner: Api) -> None:
    agent, _pw, _token = await owner.create_agent([], name="Ann Audit")
    r = await owner.http.patch(f"/api/v1/agents/{agent['id']}", json={"name": "Ann B", "disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True
    entries = (await _audit(owner, action="agent.*", limit=50))["entries"]
    mine = [e for e in entries if e["target_id"] == agent["id"]]
    assert [e["action"] for e in mine] == ["agent.update", "agent.disable", "agent.create"]
    assert mine[0]["changes"] == {"name": {"from": "Ann Audit", "to": "Ann B"}}
    assert mine[2]["changes"]["email"] == agent["email"] and "password" not in mine[2]["changes"]
    only = (await _audit(owner, action="agent.disable"))["entries"]
    assert only and {e["action"] for e in only} == {"agent.disable"}


async def test_pagination_and_bad_queries(server, owner: Api) -> None:
    site = await owner.create_website()
    for color in ("#000001", "#000002", "#000003", "#000004"):
        await owner.update_settings(site["id"], {"appearance": {"color": color}})
    first = await _audit(owner, website_id=site["id"], limit=2)
    second = await _audit(owner, website_id=site["id"], limit=2, before=first["next_before"])
    third = await _audit(owner, website_id=site["id"], limit=2, before=second["next_before"])
    seen = [e["changes"].get("appearance.color", {}).get("to") for e in first["entries"] + second["entries"]]
    assert seen == ["#000004", "#000003", "#000002", "#000001"]
    assert [e["action"] for e in third["entries"]] == ["website.create"] and third["next_before"] is None
    # A time works as a cursor too: nothing of this website is older than its creation.
    created_at = third["entries"][0]["at"]
    assert (await _audit(owner, website_id=site["id"], before=created_at))["entries"] == []

    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"before": "aud_doesnotexist"}, "before"),
        ({"before": "yesterday"}, "before"),
        ({"before": "2026-01-01T00:00:00"}, "before"),  # no zone: ambiguous
    ):
        r = await owner.get("/api/v1/audit", params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["error"] == "validation_error" and r.json()["fields"][0]["field"] == field


async def test_only_owners_read_the_audit_log(server, owner: Api) -> None:
    site = await owner.create_website()
    for role, sites in (("admin", []), ("agent", [site["id"]])):
        _agent, _pw, token = await owner.create_agent(sites, role=role)
        async with Api(server.url) as api:
            api.use_token(token)
            r = await api.get("/api/v1/audit")
            assert r.status_code == 403 and r.json()["error"] == "forbidden", role
            r = await api.get("/api/v1/audit", params={"website_id": site["id"]})
            assert r.status_code == 403, role
    async with Api(server.url) as anonymous:
        assert (await anonymous.get("/api/v1/audit")).status_code == 401
