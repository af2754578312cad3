"""Websites administration: edit, delete (and what that does to open sockets), settings
validation and the settings frame that open widgets apply."""

from __future__ import annotations

from tests.support import clients
from tests.support.clients import Api, widget_config


async def test_patch_name_and_domains(server, owner: Api) -> None:
    site = await owner.create_website(domains=["old.example.com"])
    r = await owner.http.patch(
        f"/api/v1/websites/{site['id']}",
        json={"name": "  New name ", "domains": ["New.Example.com", "*.shop.example"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "New name" and r.json()["domains"] == ["*.shop.example", "new.example.com"]
    assert (await owner.get(f"/api/v1/websites/{site['id']}")).json()["domains"] == r.json()["domains"]
    # The allowlist holds at once: the new domain (and its wildcard) may load the widget, the old may not.
    assert (await widget_config(server.url, site["id"], "https://new.example.com")).status_code == 200
    assert (await widget_config(server.url, site["id"], "https://a.shop.example")).status_code == 200
    r = await widget_config(server.url, site["id"], "https://old.example.com")
    assert r.status_code == 403 and r.json()["error"] == "origin_not_allowed"


async def test_patch_refuses_bad_input_and_changes_nothing(server, owner: Api) -> None:
    site = await owner.create_website(domains=["keep.example.com"], name="Keep")
    url = f"/api/v1/websites/{site['id']}"
    for body, field in (
        ({"domains": ["https://x.example.com/"]}, "domains"),
        ({"domains": ["*"]}, "domains"),
        ({"domains": ["*.com"]}, "domains"),
        ({"domains": ["ok.example.com", "bad host"]}, "domains"),
        ({"domains": []}, "domains"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"colour": "red"}, "colour"),
        ({}, "body"),
    ):
        r = await owner.http.patch(url, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"] == "validation_error", body
        assert r.json()["fields"][0]["field"].split(".")[0] == field, (body, r.json())
    now = (await owner.get(url)).json()
    assert now["name"] == "Keep" and now["domains"] == ["keep.example.com"]
    r = await owner.http.patch("/api/v1/websites/web_doesnotexist000", json={"name": "x"})
    assert r.status_code == 404 and r.json()["error"] == "website_not_found"


async def test_agents_cannot_edit_or_delete_and_never_see_other_websites(server, owner: Api) -> None:
    mine = await owner.create_website()
    other = await owner.create_website()
    info, password, _token = await owner.create_agent([mine["id"]])
    async with Api(server.url) as agent:
        # Signed in to the console (an API key of an agent is refused earlier, by scope).
        await agent.login(info["email"], password)
        r = await agent.http.patch(f"/api/v1/websites/{mine['id']}", json={"name": "Mine"})
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
        assert (await agent.delete(f"/api/v1/websites/{mine['id']}")).status_code == 403
        # Another website's id is simply not found, whatever the method.
        for r in (
            await agent.http.patch(f"/api/v1/websites/{other['id']}", json={"name": "Theirs"}),
            await agent.delete(f"/api/v1/websites/{other['id']}"),
        ):
            assert r.status_code == 404 and r.json()["error"] == "website_not_found"
    assert (await owner.get(f"/api/v1/websites/{other['id']}")).json()["name"] == other["name"]
    assert (await owner.get(f"/api/v1/websites/{mine['id']}")).status_code == 200


async def test_delete_removes_data_and_closes_the_website_sockets(server, owner: Api) -> None:
    site = await owner.create_website()
    keep = await owner.create_website()
    agent, _pw, token = await owner.create_agent([site["id"], keep["id"]])
    sock, _cfg, _welcome = await clients.visitor(server.url, site["id"])
    conv_id = (await sock.send_message("hello before the end"))["conversation_id"]
    bystander, _cfg, _ = await clients.visitor(server.url, keep["id"])
    agent_sock, _ = await clients.agent(server.ws_url, token)

    assert (await owner.delete(f"/api/v1/websites/{site['id']}")).status_code == 204
    assert await sock.wait_closed() == 4004
    gone = await agent_sock.expect("website.deleted")
    assert gone == {"type": "website.deleted", "website_id": site["id"]}
    # Everything of it is gone; the other website and its visitor carry on.
    assert (await owner.get(f"/api/v1/websites/{site['id']}")).status_code == 404
    assert (await owner.get(f"/api/v1/conversations/{conv_id}")).status_code == 404
    r = await widget_config(server.url, site["id"])
    assert r.status_code == 404 and r.json()["error"] == "website_not_found"
    r = await owner.get(f"/api/v1/agents/{agent['id']}")
    assert r.json()["website_ids"] == [keep["id"]]
    await bystander.send_message("still here")
    assert (await agent_sock.expect("message"))["website_id"] == keep["id"]
    assert (await owner.delete(f"/api/v1/websites/{site['id']}")).status_code == 404
    for s in (bystander, agent_sock):
        await s.close()


async def test_settings_errors_change_nothing_and_a_valid_change_reaches_open_widgets(
    server, owner: Api
) -> None:
    site = await owner.create_website()
    sock, _cfg, _ = await clients.visitor(server.url, site["id"])
    r = await owner.post(
        f"/api/v1/websites/{site['id']}/settings",
        json={
            "appearance": {"color": "#ABCDEF"},
            "notifications": {"sound": "foghorn", "desktop": "maybe"},
            "offline": {"email_to": "support@example.com, boss@example.com"},
        },
    )
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    assert {f["field"] for f in r.json()["fields"]} == {
        "notifications.sound",
        "notifications.desktop",
        "offline.email_to",
    }
    assert await sock.quiet(0.3) == []  # nothing applied, nothing announced
    current = (await owner.get(f"/api/v1/websites/{site['id']}/settings")).json()
    assert current["appearance"]["color"] == "#4F46E5"
    assert current["notifications"] == {"sound": "chime", "desktop": True, "email": True}
    assert current["offline"]["email_to"] is None

    new = await owner.update_settings(
        site["id"],
        {
            "appearance": {"color": "#ABCDEF", "position": "left", "welcome": "Hello there"},
            "offline": {"email_to": "Team@Example.com", "message": "Back soon"},
            "notifications": {"sound": "bell"},
        },
    )
    assert new["offline"]["email_to"] == "Team@Example.com" and new["notifications"]["sound"] == "bell"
    frame = await sock.expect("settings")
    assert frame["website_id"] == site["id"]
    assert frame["appearance"]["color"] == "#ABCDEF" and frame["appearance"]["position"] == "left"
    assert frame["appearance"]["welcome"] == "Hello there" and frame["offline"]["message"] == "Back soon"
    assert frame["open_now"] is True
    # Where offline mail goes is the team's business, never the visitor's.
    assert "email_to" not in frame["offline"] and "Team@Example.com" not in str(frame)
    cfg = (await widget_config(server.url, site["id"])).json()
    assert "email_to" not in cfg["website"]["offline"]
    # Saving the same values again changes nothing: no frame, no audit entry.
    await owner.update_settings(site["id"], {"appearance": {"color": "#ABCDEF"}})
    assert await sock.quiet(0.3) == []
    await sock.close()
