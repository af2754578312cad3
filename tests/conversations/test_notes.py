"""Internal notes: agents see them everywhere, the visitor never does (WebSocket, REST,
history, resume and replay, counts and read marks)."""

from __future__ import annotations

import uuid

from tests.support import clients
from tests.support.clients import Api


async def test_a_note_reaches_agents_and_never_the_visitor(server, owner: Api) -> None:
    site = await owner.create_website()
    agent, _pw, token = await owner.create_agent([site["id"]])
    colleague, _pw2, token2 = await owner.create_agent([site["id"]])
    agent_ws, _ = await clients.agent(server.ws_url, token)
    colleague_ws, _ = await clients.agent(server.ws_url, token2)
    visitor_ws, cfg, _ = await clients.visitor(server.url, site["id"])
    conv_id = (await visitor_ws.send_message("My order is late"))["conversation_id"]
    await visitor_ws.expect("message")
    await colleague_ws.expect("message", conversation_id=conv_id)

    # A note over the WebSocket...
    cmid = str(uuid.uuid4())
    await agent_ws.send(
        {
            "type": "message.send",
            "client_msg_id": cmid,
            "conversation_id": conv_id,
            "body": "VIP customer, check the warehouse",
            "note": True,
        }
    )
    ack = await agent_ws.expect("ack", client_msg_id=cmid)
    assert ack["seq"] == 2
    seen = await colleague_ws.expect("message", conversation_id=conv_id)
    assert seen["message"]["note"] is True and seen["message"]["body"] == "VIP customer, check the warehouse"
    # ... and one over REST.
    async with Api(server.url) as api:
        api.use_token(token)
        r = await api.post(
            f"/api/v1/conversations/{conv_id}/messages", json={"body": "Refund approved by Sam", "note": True}
        )
        assert (
            r.status_code == 201 and r.json()["message"]["note"] is True and r.json()["message"]["seq"] == 3
        )
        listed = (await api.get("/api/v1/conversations", params={"website_id": site["id"]})).json()["items"][
            0
        ]
        assert listed["last_message"]["note"] is True
    await colleague_ws.expect("message", conversation_id=conv_id)

    # The reply after the notes reaches the visitor with no trace of them.
    await agent_ws.send_message("We are on it!", conversation_id=conv_id)
    got = await visitor_ws.expect("message")
    assert got["message"]["body"] == "We are on it!" and got["message"]["seq"] == 4
    leftovers = await visitor_ws.quiet(0.5)
    assert not any("VIP" in str(f) or "Refund" in str(f) for f in leftovers + visitor_ws.frames), leftovers

    # The agents' read mark now lies on a note (writing is reading): the visitor is told
    # no further than what they can see.
    r = await owner.post(
        f"/api/v1/conversations/{conv_id}/messages", json={"body": "after reply", "note": True}
    )
    assert r.status_code == 201 and r.json()["message"]["seq"] == 5

    # History, as the widget asks for it.
    await visitor_ws.send({"type": "history", "id": "h1", "conversation_id": conv_id})
    history = await visitor_ws.expect("history", id="h1")
    assert [m["body"] for m in history["messages"]] == ["My order is late", "We are on it!"]
    assert all("note" not in m for m in history["messages"])

    # A new tab of the same visitor: welcome, resume from before the notes, history.
    visitor2, _, welcome = await clients.visitor(
        server.url, site["id"], visitor_key=cfg["visitor_key"], resume={conv_id: 1}
    )
    brief = next(c for c in welcome["conversations"] if c["id"] == conv_id)
    assert brief["last_seq"] == 4 and brief["last_message"]["body"] == "We are on it!"
    assert brief["agent_read_seq"] == 4 and brief["agent_delivered_seq"] == 4
    replayed = await visitor2.quiet(1.0)
    bodies = [f["message"]["body"] for f in replayed if f["type"] == "message"]
    assert bodies == ["We are on it!"], replayed
    # Agents get everything, notes included, in order.
    r = await owner.get(f"/api/v1/conversations/{conv_id}/messages")
    assert [(m["body"], m.get("note", False)) for m in r.json()["items"]] == [
        ("My order is late", False),
        ("VIP customer, check the warehouse", True),
        ("Refund approved by Sam", True),
        ("We are on it!", False),
        ("after reply", True),
    ]
    for s in (agent_ws, colleague_ws, visitor_ws, visitor2):
        await s.close()
    assert agent["id"] and colleague["id"]


async def test_a_visitor_cannot_write_a_note(server, owner: Api) -> None:
    site = await owner.create_website()
    visitor_ws, _cfg, _ = await clients.visitor(server.url, site["id"])
    await visitor_ws.send(
        {"type": "message.send", "id": "n1", "client_msg_id": str(uuid.uuid4()), "body": "x", "note": True}
    )
    err = await visitor_ws.expect("error", id="n1")
    assert err["code"] == "forbidden"
    await visitor_ws.send(
        {"type": "message.send", "id": "n2", "client_msg_id": str(uuid.uuid4()), "body": "x", "note": "yes"}
    )
    assert (await visitor_ws.expect("error", id="n2"))["code"] == "invalid_frame"
    r = await owner.post("/api/v1/conversations/c_nonexistent/messages", json={"body": "x", "note": True})
    assert r.status_code == 404
    await visitor_ws.close()


def test_frames_leave_out_note_and_change_unless_set() -> None:
    """Clients written before notes see the frames they always saw."""
    from datetime import UTC, datetime

    from sitechat.realtime import protocol as p

    at = datetime(2026, 1, 1, tzinfo=UTC)
    plain = p.MessageOut(id="m_1", seq=1, sender=p.Sender(kind="agent"), body="hi", created_at=at)
    assert "note" not in plain.model_dump(mode="json")
    note = plain.model_copy(update={"note": True})
    assert note.model_dump(mode="json")["note"] is True
    conv = p.ConversationOut(
        id="c_1",
        website_id="web_1",
        visitor=p.VisitorBrief(id="v_1"),
        status="snoozed",
        assignee_id=None,
        last_seq=1,
        last_message=None,
        unread_count=0,
        visitor_read_seq=0,
        agent_read_seq=0,
        created_at=at,
        updated_at=at,
        snoozed_until=at,
    )
    assert "change" not in p.ConversationFrame(conversation=conv).model_dump(mode="json")
    dumped = p.ConversationFrame(conversation=conv, change="snoozed").model_dump(mode="json")
    assert dumped["change"] == "snoozed"
    assert dumped["conversation"]["snoozed_until"] == "2026-01-01T00:00:00.000000Z"
    assert dumped["conversation"]["priority"] == "normal"
    frame = {"type": "message.send", "client_msg_id": "abcdefgh", "body": "x", "note": True}
    assert p.client_frame_adapter.validate_python(frame).note is True  # type: ignore[union-attr]
