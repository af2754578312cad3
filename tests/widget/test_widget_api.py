"""The widget's server side over real HTTP and WebSockets (SQLite and PostgreSQL): website
settings, the config request with identify, profile updates, the pre-chat rule, the
offline form and starting a new conversation."""

from __future__ import annotations

import json
import uuid

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support import clients
from tests.support.clients import DEFAULT_ORIGIN, Api

CLOSED_ALL_WEEK = {
    "enabled": True,
    "timezone": "Europe/Paris",
    "schedule": {
        d: None for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    },
}


# --- settings ------------------------------------------------------------------------------


async def test_settings_update_validates_everything_and_applies_nothing_on_error(server, owner: Api) -> None:
    site = await owner.create_website(settings={"appearance": {"color": "#0F766E", "title": "Acme help"}})
    assert site["settings"]["appearance"]["color"] == "#0F766E"
    assert site["appearance"]["title"] == "Acme help"

    got = await owner.update_settings(site["id"], {"behavior": {"auto_greet": True, "greet_delay_ms": 1500}})
    assert got["behavior"]["auto_greet"] is True and got["appearance"]["color"] == "#0F766E"

    r = await owner.post(
        f"/api/v1/websites/{site['id']}/settings",
        json={"appearance": {"color": "#000000"}, "business_hours": {"timezone": "Nowhere/Special"}},
    )
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "validation_error"
    assert [f["field"] for f in body["fields"]] == ["business_hours.timezone"]
    # Nothing applied, not even the valid colour.
    r = await owner.get(f"/api/v1/websites/{site['id']}/settings")
    assert r.json()["appearance"]["color"] == "#0F766E"

    for bad in ("[1, 2]", '"x"', "{not json"):
        r = await owner.post(
            f"/api/v1/websites/{site['id']}/settings",
            content=bad,
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code in (400, 422), (bad, r.text)
        assert r.json()["error"] in ("bad_json", "validation_error")


async def test_create_with_settings_validates_them(server, owner: Api) -> None:
    for settings in ({"appearance": "blue"}, {"appearance": [1]}, {"prechat": {"enabled": "perhaps"}}):
        r = await owner.post(
            "/api/v1/websites",
            json={
                "name": "S",
                "domains": ["s.example.com"],
                "appearance": {"color": "#111111"},
                "settings": settings,
            },
        )
        assert r.status_code == 422, (settings, r.text)
        assert r.json()["error"] == "validation_error" and r.json()["fields"]
    r = await owner.post(
        "/api/v1/websites",
        json={
            "name": "S",
            "domains": ["s.example.com"],
            "appearance": {"color": "#111111", "position": "left"},
            "settings": {"appearance": {"color": "#222222"}},
        },
    )
    assert r.status_code == 201
    # settings.appearance wins over the shorthand, key by key.
    assert r.json()["settings"]["appearance"]["color"] == "#222222"
    assert r.json()["settings"]["appearance"]["position"] == "left"


async def test_only_managers_of_the_website_change_settings(server, owner: Api) -> None:
    site = await owner.create_website()
    other = await owner.create_website()
    _agent, _pw, token = await owner.create_agent([site["id"]])
    async with Api(server.url) as agent:
        agent.use_token(token)
        r = await agent.post(
            f"/api/v1/websites/{site['id']}/settings", json={"appearance": {"color": "#111111"}}
        )
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
        # Reading its own website's settings is fine; another website does not exist for it.
        assert (await agent.get(f"/api/v1/websites/{site['id']}/settings")).status_code == 200
        r = await agent.get(f"/api/v1/websites/{other['id']}/settings")
        assert r.status_code == 404 and r.json()["error"] == "website_not_found"
    async with Api(server.url) as anonymous:
        r = await anonymous.post(f"/api/v1/websites/{site['id']}/settings", json={})
        assert r.status_code == 401


# --- config -------------------------------------------------------------------------------


async def test_config_carries_settings_team_and_business_hours(server, owner: Api) -> None:
    site = await owner.create_website(
        settings={
            "prechat": {"enabled": True, "fields": {"email": "required"}},
            "offline": {"message": "Back on Monday."},
        }
    )
    agent_info, _pw, _token = await owner.create_agent(
        [site["id"]], name="Ana", avatar_url="https://cdn.example.com/ana.png"
    )
    r = await clients.widget_config(server.url, site["id"])
    assert r.status_code == 200
    cfg = r.json()
    assert cfg["website"]["prechat"]["fields"]["email"] == "required"
    assert cfg["website"]["offline"]["message"] == "Back on Monday."
    assert cfg["open_now"] is True and cfg["has_open_conversation"] is False
    ana = next(a for a in cfg["agents"] if a["id"] == agent_info["id"])
    assert ana == {"id": agent_info["id"], "name": "Ana", "avatar_url": "https://cdn.example.com/ana.png"}
    # Nothing private about agents reaches the page.
    assert all(set(a) == {"id", "name", "avatar_url"} for a in cfg["agents"])

    await owner.update_settings(
        site["id"], {"behavior": {"show_agent_photos": False}, "business_hours": CLOSED_ALL_WEEK}
    )
    cfg = (await clients.widget_config(server.url, site["id"], visitor_key=cfg["visitor_key"])).json()
    assert cfg["open_now"] is False
    assert all(a["avatar_url"] is None for a in cfg["agents"])


async def test_identify_saves_the_profile_and_bad_identify_is_readable_by_the_page(
    server, owner: Api
) -> None:
    site = await owner.create_website()
    ident = {"name": "  Jane   Doe ", "email": "Jane@Example.COM", "custom_data": {"plan": "pro", "seats": 3}}
    r = await clients.widget_config(server.url, site["id"], identify=ident)
    assert r.status_code == 200, r.text
    cfg = r.json()
    assert cfg["visitor"] == {
        "name": "Jane Doe",
        "email": "jane@example.com",
        "phone": None,
        "company": None,
        "custom_data": {"plan": "pro", "seats": 3},
    }
    # custom_data merges key by key; null deletes a key; an omitted field stays.
    r = await clients.widget_config(
        server.url,
        site["id"],
        visitor_key=cfg["visitor_key"],
        identify={"phone": "+33 1 23 45 67 89", "custom_data": {"seats": None, "team": "ops"}},
    )
    assert r.json()["visitor"] == {
        "name": "Jane Doe",
        "email": "jane@example.com",
        "phone": "+33 1 23 45 67 89",
        "company": None,
        "custom_data": {"plan": "pro", "team": "ops"},
    }

    r = await clients.widget_config(
        server.url, site["id"], visitor_key=cfg["visitor_key"], identify={"email": "not-an-email", "age": 3}
    )
    assert r.status_code == 422
    assert r.headers["access-control-allow-origin"] == DEFAULT_ORIGIN  # the loader can read why
    fields = {f["field"] for f in r.json()["fields"]}
    assert fields == {"identify.email", "identify.age"}
    # ...and nothing changed.
    again = (await clients.widget_config(server.url, site["id"], visitor_key=cfg["visitor_key"])).json()
    assert again["visitor"]["email"] == "jane@example.com"

    # One clear entry per wrong value, named as the page wrote it.
    r = await clients.widget_config(
        server.url,
        site["id"],
        visitor_key=cfg["visitor_key"],
        identify={"custom_data": {"tags": ["a", "b"], "bad key!": 1, "note": "x" * 501}},
    )
    assert r.status_code == 422
    assert sorted(f["field"] for f in r.json()["fields"]) == [
        "identify.custom_data.bad key!",
        "identify.custom_data.note",
        "identify.custom_data.tags",
    ]

    # The website's own pre-chat fields keep their types, whoever fills them.
    await owner.update_settings(
        site["id"], {"prechat": {"custom_fields": [{"key": "order", "label": "Order", "type": "number"}]}}
    )
    r = await clients.widget_config(
        server.url, site["id"], visitor_key=cfg["visitor_key"], identify={"custom_data": {"order": "lots"}}
    )
    assert r.status_code == 422
    assert r.json()["fields"] == [{"field": "identify.custom_data.order", "message": "must be a number"}]

    # A refused origin learns nothing, not even what was wrong with its body.
    r = await clients.widget_config(
        server.url, site["id"], origin="https://evil.example.net", identify={"email": 5}
    )
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers


# --- profile.update, pre-chat, offline form, new conversation ------------------------------


async def test_profile_update_saves_each_detail_and_tells_tabs_and_agents(server, owner: Api) -> None:
    site = await owner.create_website(
        settings={"prechat": {"custom_fields": [{"key": "order", "label": "Order", "type": "number"}]}}
    )
    _a, _pw, token = await owner.create_agent([site["id"]])
    agent_ws, _ = await clients.agent(server.ws_url, token)
    tab1, cfg, welcome = await clients.visitor(server.url, site["id"])
    assert welcome["profile"] == {
        "name": None,
        "email": None,
        "phone": None,
        "company": None,
        "custom_data": {},
    }
    tab2, _, _ = await clients.visitor(server.url, site["id"], visitor_key=cfg["visitor_key"])

    await tab1.send({"type": "profile.update", "id": "p1", "email": "ann@example.com"})
    saved = await tab1.expect("profile", id="p1")
    assert saved["visitor"]["email"] == "ann@example.com"
    pushed = await tab2.expect("profile")
    assert pushed["visitor"]["email"] == "ann@example.com"
    seen = await agent_ws.expect("visitor")
    assert seen["website_id"] == site["id"]
    assert seen["visitor"]["id"] == cfg["visitor_id"] and seen["visitor"]["email"] == "ann@example.com"

    await tab1.send({"type": "profile.update", "id": "p2", "name": "Ann", "custom_data": {"order": "1234"}})
    saved = await tab1.expect("profile", id="p2")
    assert saved["visitor"] == {
        "name": "Ann",
        "email": "ann@example.com",
        "phone": None,
        "company": None,
        "custom_data": {"order": 1234},
    }

    # Bad values: every wrong field named, nothing saved.
    await tab1.send(
        {
            "type": "profile.update",
            "id": "p3",
            "name": "Changed",
            "custom_data": {"order": "lots", "plan": "premium"},
        }
    )
    err = await tab1.expect("error", id="p3")
    assert err["code"] == "validation_error"
    assert {f["field"] for f in err["fields"]} == {"custom_data.order", "custom_data.plan"}
    await tab1.send({"type": "profile.update", "id": "p4", "email": "ann@@example"})
    err = await tab1.expect("error", id="p4")
    assert err["code"] == "invalid_frame" and err["fields"][0]["field"] == "email"
    r = await clients.widget_config(server.url, site["id"], visitor_key=cfg["visitor_key"])
    assert r.json()["visitor"]["name"] == "Ann"

    # An empty string clears a field.
    await tab1.send({"type": "profile.update", "id": "p5", "name": ""})
    assert (await tab1.expect("profile", id="p5"))["visitor"]["name"] is None

    # Agents cannot send visitor frames.
    await agent_ws.send({"type": "profile.update", "id": "a1", "email": "x@example.com"})
    assert (await agent_ws.expect("error", id="a1"))["code"] == "forbidden"
    for s in (tab1, tab2, agent_ws):
        await s.close()


async def test_required_prechat_fields_are_enforced_by_the_server(server, owner: Api) -> None:
    site = await owner.create_website(
        settings={
            "prechat": {
                "enabled": True,
                "fields": {"name": "optional", "email": "required"},
                "custom_fields": [
                    {
                        "key": "topic",
                        "label": "Topic",
                        "type": "select",
                        "options": ["Sales", "Help"],
                        "required": True,
                    }
                ],
            }
        }
    )
    ws, _cfg, _ = await clients.visitor(server.url, site["id"])
    await ws.send({"type": "message.send", "id": "m1", "client_msg_id": str(uuid.uuid4()), "body": "Hi"})
    err = await ws.expect("error", id="m1")
    assert err["code"] == "profile_required"
    assert [f["field"] for f in err["fields"]] == ["email", "custom_data.topic"]
    r = await owner.get("/api/v1/conversations", params={"website_id": site["id"], "status": "all"})
    assert r.json()["items"] == []  # no half-made conversation

    await ws.send(
        {"type": "profile.update", "id": "p1", "email": "bo@example.com", "custom_data": {"topic": "Refunds"}}
    )
    err = await ws.expect("error", id="p1")
    assert err["fields"] == [{"field": "custom_data.topic", "message": "must be one of the listed options"}]
    await ws.send(
        {"type": "profile.update", "id": "p2", "email": "bo@example.com", "custom_data": {"topic": "Help"}}
    )
    await ws.expect("profile", id="p2")
    ack = await ws.send_message("Hi")
    r = await owner.get(f"/api/v1/conversations/{ack['conversation_id']}")
    assert r.json()["visitor"]["email"] == "bo@example.com"
    await ws.close()


async def test_offline_form_becomes_a_conversation_once(server, owner: Api) -> None:
    site = await owner.create_website(settings={"business_hours": CLOSED_ALL_WEEK})
    _a, _pw, token = await owner.create_agent([site["id"]])
    agent_ws, _ = await clients.agent(server.ws_url, token)
    ws, cfg, welcome = await clients.visitor(server.url, site["id"])
    assert cfg["open_now"] is False and welcome["open_now"] is False
    cmid = str(uuid.uuid4())
    frame = {
        "type": "offline.submit",
        "id": "o1",
        "client_msg_id": cmid,
        "name": "Cy",
        "email": "cy@example.com",
        "body": "Do you ship to Norway?",
    }
    await ws.send(frame)
    ack = await ws.expect("ack", id="o1")
    conv_id = ack["conversation_id"]
    conv = (await agent_ws.expect("conversation"))["conversation"]
    assert conv["id"] == conv_id and conv["visitor"]["email"] == "cy@example.com"
    got = await agent_ws.expect("message", conversation_id=conv_id)
    assert got["message"]["body"] == "Do you ship to Norway?" and got["message"]["sender"]["name"] == "Cy"

    # The same submission again (a retry after a dropped connection): the same conversation.
    await ws.send({**frame, "id": "o2"})
    again = await ws.expect("ack", id="o2")
    assert (again["conversation_id"], again["message_id"]) == (conv_id, ack["message_id"])
    r = await owner.get("/api/v1/conversations", params={"website_id": site["id"], "status": "all"})
    assert [c["id"] for c in r.json()["items"]] == [conv_id]

    # Email is required and checked; the body too.
    await ws.send({**frame, "id": "o3", "client_msg_id": str(uuid.uuid4()), "email": "nope"})
    err = await ws.expect("error", id="o3")
    assert err["code"] == "invalid_frame" and err["fields"][0]["field"] == "email"
    bad = {k: v for k, v in frame.items() if k != "email"}
    await ws.send({**bad, "id": "o4", "client_msg_id": str(uuid.uuid4())})
    assert (await ws.expect("error", id="o4"))["code"] == "invalid_frame"

    # Agents can tell where it came from.
    r = await owner.get(f"/api/v1/conversations/{conv_id}")
    assert r.json()["origin"] == "offline" and conv["origin"] == "offline"

    # A website without an offline form refuses it.
    await owner.update_settings(site["id"], {"offline": {"form_enabled": False}})
    await ws.send({**frame, "id": "o5", "client_msg_id": str(uuid.uuid4())})
    assert (await ws.expect("error", id="o5"))["code"] == "offline_form_disabled"

    # The visitor's conversation list says where it came from.
    ws2, _, welcome = await clients.visitor(server.url, site["id"], visitor_key=cfg["visitor_key"])
    (brief,) = welcome["conversations"]
    assert brief["origin"] == "offline" and brief["last_message"]["body"] == "Do you ship to Norway?"
    for s in (ws, ws2, agent_ws):
        await s.close()


async def test_a_visitor_can_start_a_new_conversation_and_see_past_ones(server, owner: Api) -> None:
    site = await owner.create_website()
    ws, cfg, _ = await clients.visitor(server.url, site["id"])
    first = await ws.send_message("About my first order")
    same = await ws.send_message("Still the first order")
    assert same["conversation_id"] == first["conversation_id"]
    await ws.send(
        {
            "type": "message.send",
            "client_msg_id": str(uuid.uuid4()),
            "new_conversation": True,
            "body": "New topic",
        }
    )
    second = await ws.expect("ack")
    assert second["conversation_id"] != first["conversation_id"] and second["seq"] == 1
    cfg2 = (await clients.widget_config(server.url, site["id"], visitor_key=cfg["visitor_key"])).json()
    assert cfg2["has_open_conversation"] is True

    # An agent reads the first conversation: a reloaded widget can show it as read.
    _a, _pw, token = await owner.create_agent([site["id"]])
    agent_ws, _ = await clients.agent(server.ws_url, token)
    await agent_ws.send(
        {"type": "seen", "conversation_id": first["conversation_id"], "seq": 2, "state": "read"}
    )
    await ws.expect("receipt", conversation_id=first["conversation_id"])

    ws2, _, welcome = await clients.visitor(server.url, site["id"], visitor_key=cfg["visitor_key"])
    assert welcome["open_now"] is True
    by_id = {c["id"]: c for c in welcome["conversations"]}
    assert by_id[first["conversation_id"]]["agent_read_seq"] == 2
    assert by_id[second["conversation_id"]]["agent_read_seq"] == 0
    # The visitor wrote both of the first conversation's messages: it has read up to 2.
    assert by_id[first["conversation_id"]]["visitor_read_seq"] == 2
    await agent_ws.close()
    listed = [(c["id"], c["last_message"]["body"]) for c in welcome["conversations"]]
    assert listed == [
        (second["conversation_id"], "New topic"),
        (first["conversation_id"], "Still the first order"),
    ]
    await ws.close()
    await ws2.close()


# --- WebsiteChat.track ----------------------------------------------------------------------


async def _stored_events(server, visitor_id: str) -> list[tuple[str, dict]]:
    engine = create_async_engine(server.env["SITECHAT_DATABASE_URL"])
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT event_type, event_data FROM visitor_events WHERE visitor_id = :v"),
                {"v": visitor_id},
            )
            return [(t, d if isinstance(d, dict) else json.loads(d)) for t, d in rows.all()]
    finally:
        await engine.dispose()


async def test_tracked_events_are_stored_for_the_visitor(server, owner: Api) -> None:
    site = await owner.create_website()
    cfg = (await clients.widget_config(server.url, site["id"])).json()
    url = f"{server.url}/api/v1/widget/{site['id']}/events"
    body = {
        "visitor_key": cfg["visitor_key"],
        "events": [{"name": "signup", "data": {"plan": "pro", "seats": 3}}, {"name": "checkout"}],
    }
    async with httpx.AsyncClient() as http:
        # As navigator.sendBeacon sends it: text/plain, no preflight.
        r = await http.post(
            url, content=json.dumps(body), headers={"Origin": DEFAULT_ORIGIN, "Content-Type": "text/plain"}
        )
        assert r.status_code == 202
        assert {k: r.json()[k] for k in ("recorded", "has_open_conversation")} == {
            "recorded": 2,
            "has_open_conversation": False,
        }
        assert r.headers["access-control-allow-origin"] == DEFAULT_ORIGIN

        bad_cases = [
            ({**body, "visitor_key": "forged"}, 401),
            ({**body, "events": []}, 422),
            ({**body, "events": [{"name": "x" * 81}]}, 422),
            ({**body, "events": [{"name": "ok", "data": {"nested": {"deep": 1}}}]}, 422),
            ({**body, "events": [{"name": "ok"}] * 21}, 422),
        ]
        for bad, status in bad_cases:
            r = await http.post(url, json=bad, headers={"Origin": DEFAULT_ORIGIN})
            assert r.status_code == status, (bad, r.text)
        r = await http.post(url, content=b"{oops", headers={"Origin": DEFAULT_ORIGIN})
        assert r.status_code == 400 and r.json()["error"] == "bad_json"
        # Another website's visitor key does not work here, and a refused origin learns nothing.
        other = await owner.create_website()
        r = await http.post(
            f"{server.url}/api/v1/widget/{other['id']}/events",
            json={**body, "events": [{"name": "sneaky"}]},
            headers={"Origin": DEFAULT_ORIGIN},
        )
        assert r.status_code == 401
        r = await http.post(url, json=body, headers={"Origin": "https://evil.example.net"})
        assert r.status_code == 403 and "access-control-allow-origin" not in r.headers

    stored = await _stored_events(server, cfg["visitor_id"])
    assert sorted(stored, key=lambda e: e[1]["name"]) == [
        ("custom", {"name": "checkout", "data": {}}),
        ("custom", {"name": "signup", "data": {"plan": "pro", "seats": 3}}),
    ]


async def test_every_events_answer_says_which_settings_are_current(server, owner: Api) -> None:
    """A launcher whose panel is closed has no socket: its pings' answers tell it that the
    settings changed (it then fetches the config again and redraws)."""
    site = await owner.create_website()
    cfg = (await clients.widget_config(server.url, site["id"])).json()
    url = f"{server.url}/api/v1/widget/{site['id']}/events"
    body = {"visitor_key": cfg["visitor_key"], "tab": "tab-0001", "events": [{"type": "ping"}]}
    async with httpx.AsyncClient() as http:
        before = (await http.post(url, json=body, headers={"Origin": DEFAULT_ORIGIN})).json()
        assert before["settings_version"] == cfg["settings_version"] != ""
        await owner.update_settings(site["id"], {"appearance": {"color": "#0F766E"}})
        after = (await http.post(url, json=body, headers={"Origin": DEFAULT_ORIGIN})).json()
    assert after["settings_version"] != before["settings_version"]
    again = (await clients.widget_config(server.url, site["id"], visitor_key=cfg["visitor_key"])).json()
    assert again["settings_version"] == after["settings_version"]
    assert again["website"]["appearance"]["color"].lower() == "#0f766e"
