"""A visitor and an agent talk over the real WebSocket protocol (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid

from tests.support import clients
from tests.support.clients import Api


async def test_visitor_and_agent_talk_both_ways(server, owner: Api) -> None:
    site = await owner.create_website()
    agent_info, _pw, token = await owner.create_agent([site["id"]])
    agent_ws, welcome = await clients.agent(server.ws_url, token)
    assert welcome["websites"] == [site["id"]]
    visitor_ws, cfg, vwelcome = await clients.visitor(server.url, site["id"])
    assert vwelcome["visitor_id"] == cfg["visitor_id"]
    assert vwelcome["agents_online"] is True

    ack = await visitor_ws.send_message("Hello, is anyone there?")
    assert ack["seq"] == 1
    conv_id = ack["conversation_id"]
    own = await visitor_ws.expect("message")
    assert (
        own["message"]["body"] == "Hello, is anyone there?" and own["message"]["sender"]["kind"] == "visitor"
    )

    conv_frame = await agent_ws.expect("conversation")
    assert conv_frame["conversation"]["id"] == conv_id
    assert conv_frame["conversation"]["visitor"]["id"] == cfg["visitor_id"]
    got = await agent_ws.expect("message", conversation_id=conv_id)
    assert got["website_id"] == site["id"]
    assert got["message"]["seq"] == 1 and got["message"]["body"] == "Hello, is anyone there?"

    reply = await agent_ws.send_message("Hi! I'm here.", conversation_id=conv_id)
    assert reply["seq"] == 2
    seen = await visitor_ws.expect("message")
    assert seen["message"]["body"] == "Hi! I'm here."
    assert seen["message"]["sender"] == {"kind": "agent", "id": agent_info["id"], "name": agent_info["name"]}

    # REST sees the same log.
    r = await owner.get(f"/api/v1/conversations/{conv_id}/messages")
    assert [m["body"] for m in r.json()["items"]] == ["Hello, is anyone there?", "Hi! I'm here."]
    await visitor_ws.close()
    await agent_ws.close()


async def test_retried_send_makes_one_message(server, owner: Api) -> None:
    site = await owner.create_website()
    visitor_ws, _cfg, _ = await clients.visitor(server.url, site["id"])
    cmid = str(uuid.uuid4())
    first = await visitor_ws.send_message("only once", client_msg_id=cmid)
    second = await visitor_ws.send_message("only once", client_msg_id=cmid)
    assert (first["seq"], first["message_id"]) == (second["seq"], second["message_id"])
    # Several copies at once, as a flaky network might deliver them.
    frames = [
        {"type": "message.send", "client_msg_id": cmid2, "body": "burst"} for cmid2 in [str(uuid.uuid4())] * 4
    ]
    for f in frames:
        await visitor_ws.send(f)
    acks = [await visitor_ws.expect("ack") for _ in frames]
    assert len({a["message_id"] for a in acks}) == 1
    r = await owner.get(f"/api/v1/conversations/{first['conversation_id']}/messages")
    assert [m["body"] for m in r.json()["items"]] == ["only once", "burst"]
    await visitor_ws.close()


async def test_missed_messages_arrive_once_in_order_after_reconnect(server, owner: Api) -> None:
    site = await owner.create_website()
    visitor_ws, cfg, _ = await clients.visitor(server.url, site["id"])
    ack = await visitor_ws.send_message("first")
    conv_id = ack["conversation_id"]
    await visitor_ws.expect("message")
    await visitor_ws.close()  # the visitor drops off

    for i in range(5):
        r = await owner.post(f"/api/v1/conversations/{conv_id}/messages", json={"body": f"missed {i}"})
        assert r.status_code == 201, r.text

    again, _cfg2, welcome = await clients.visitor(
        server.url, site["id"], visitor_key=cfg["visitor_key"], resume={conv_id: 1}
    )
    assert welcome["visitor_id"] == cfg["visitor_id"]  # the same visitor, recognised by its key
    assert [c["id"] for c in welcome["conversations"]] == [conv_id]
    got = await again.messages(5)
    assert [m["message"]["seq"] for m in got] == [2, 3, 4, 5, 6]
    assert [m["message"]["body"] for m in got] == [f"missed {i}" for i in range(5)]
    # A live message after the replay arrives once, and nothing is repeated.
    await owner.post(f"/api/v1/conversations/{conv_id}/messages", json={"body": "live"})
    live = await again.expect("message")
    assert live["message"]["seq"] == 7
    assert [f for f in await again.quiet(0.5) if f["type"] == "message"] == []
    await again.close()


async def test_typing_receipts_and_presence(server, owner: Api) -> None:
    site = await owner.create_website()
    _agent_info, _pw, token = await owner.create_agent([site["id"]])
    visitor_ws, _cfg, welcome = await clients.visitor(server.url, site["id"])
    assert welcome["agents_online"] is False
    agent_ws, _ = await clients.agent(server.ws_url, token)
    assert agent_ws.frames[0]["type"] == "welcome"  # first, before its own presence news
    presence = await visitor_ws.expect("presence")
    assert presence["agents_online"] is True

    ack = await visitor_ws.send_message("typing test")
    conv_id = ack["conversation_id"]
    await agent_ws.expect("message", conversation_id=conv_id)

    await visitor_ws.send({"type": "typing", "conversation_id": conv_id, "typing": True})
    t = await agent_ws.expect("typing", conversation_id=conv_id)
    assert t["typing"] is True and t["sender"]["kind"] == "visitor"
    await agent_ws.send({"type": "typing", "conversation_id": conv_id, "typing": True})
    t2 = await visitor_ws.expect("typing", conversation_id=conv_id)
    assert t2["sender"]["kind"] == "agent"

    await agent_ws.send({"type": "seen", "conversation_id": conv_id, "seq": 1, "state": "read"})
    receipt = await visitor_ws.expect("receipt", conversation_id=conv_id)
    assert receipt["side"] == "agent" and receipt["read_seq"] == 1 and receipt["delivered_seq"] == 1

    await agent_ws.close()
    gone = await visitor_ws.expect("presence")
    assert gone["agents_online"] is False
    await visitor_ws.close()


async def test_two_tabs_of_one_visitor_stay_in_sync(server, owner: Api) -> None:
    site = await owner.create_website()
    tab1, cfg, _ = await clients.visitor(server.url, site["id"])
    tab2, _, _ = await clients.visitor(server.url, site["id"], visitor_key=cfg["visitor_key"])
    ack = await tab1.send_message("from tab 1")
    m = await tab2.expect("message", conversation_id=ack["conversation_id"])
    assert m["message"]["body"] == "from tab 1"
    await asyncio.gather(tab1.close(), tab2.close())


async def test_history_pages_back_from_the_newest(server, owner: Api) -> None:
    site = await owner.create_website()
    sock, _cfg, _ = await clients.visitor(server.url, site["id"])
    conv = (await sock.send_message("m1"))["conversation_id"]
    for i in range(2, 8):
        r = await owner.post(f"/api/v1/conversations/{conv}/messages", json={"body": f"m{i}"})
        assert r.status_code == 201
    await sock.send({"type": "history", "conversation_id": conv, "limit": 3, "id": "h1"})
    newest = await sock.expect("history", id="h1")
    assert [m["seq"] for m in newest["messages"]] == [5, 6, 7]
    await sock.send({"type": "history", "conversation_id": conv, "limit": 3, "before_seq": 5, "id": "h2"})
    older = await sock.expect("history", id="h2")
    assert [m["body"] for m in older["messages"]] == ["m2", "m3", "m4"]
    await sock.close()


async def test_two_tabs_sending_a_first_message_at_once_share_one_conversation(server, owner: Api) -> None:
    site = await owner.create_website()
    tab1, cfg, _ = await clients.visitor(server.url, site["id"])
    tab2, _, _ = await clients.visitor(server.url, site["id"], visitor_key=cfg["visitor_key"])
    a1, a2 = await asyncio.gather(tab1.send_message("from tab 1"), tab2.send_message("from tab 2"))
    assert a1["conversation_id"] == a2["conversation_id"]
    assert sorted([a1["seq"], a2["seq"]]) == [1, 2]
    # Each tab hears both messages, once each, in seq order.
    for tab in (tab1, tab2):
        got = [(await tab.expect("message"))["message"]["seq"] for _ in range(2)]
        assert got == [1, 2]
    await asyncio.gather(tab1.close(), tab2.close())
