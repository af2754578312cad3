"""Every frame of realtime/protocol.py parses or serializes as docs/protocol.md shows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from sitechat.realtime import protocol as p

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "cls"),
    [
        ({"type": "hello", "resume": {"c_abc": 3}}, p.Hello),
        ({"type": "hello"}, p.Hello),
        ({"type": "message.send", "client_msg_id": "5f1c2f9e-aaaa", "body": "Hi"}, p.MessageSend),
        (
            {
                "type": "message.send",
                "client_msg_id": "5f1c2f9e-aaaa",
                "body": "Hi",
                "conversation_id": "c_x1",
            },
            p.MessageSend,
        ),
        ({"type": "typing", "conversation_id": "c_x1", "typing": False}, p.Typing),
        ({"type": "seen", "conversation_id": "c_x1", "seq": 4, "state": "read"}, p.Seen),
        ({"type": "history", "conversation_id": "c_x1", "before_seq": 10, "limit": 20}, p.HistoryRequest),
        ({"type": "ping", "id": "r1"}, p.Ping),
        ({"type": "pong"}, p.Pong),
    ],
)
def test_client_frames_parse(raw: dict, cls: type) -> None:
    frame = p.client_frame_adapter.validate_python(raw)
    assert isinstance(frame, cls)


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "hello", "resume": {"c_abc": -1}},
        {"type": "hello", "resume": {"not-a-conversation": 1}},
        {"type": "message.send", "client_msg_id": "short", "body": "Hi"},
        {"type": "message.send", "client_msg_id": "5f1c2f9e-aaaa", "body": ""},
        {"type": "message.send", "client_msg_id": "5f1c2f9e aaaa", "body": "spaces in id"},
        {"type": "message.send", "client_msg_id": "5f1c2f9e-aaaa", "body": "Hi", "unknown": 1},
        {"type": "typing", "conversation_id": "c_x1", "typing": 1},
        {"type": "seen", "conversation_id": "c_x1", "seq": "4", "state": "read"},
        {"type": "seen", "conversation_id": "c_x1", "seq": 4, "state": "glanced"},
        {"type": "history", "conversation_id": "c_x1", "limit": 1000},
    ],
)
def test_bad_client_frames_are_refused(raw: dict) -> None:
    with pytest.raises(ValidationError):
        p.client_frame_adapter.validate_python(raw)


def test_client_frame_types_cover_the_union() -> None:
    for t in p.CLIENT_FRAME_TYPES:
        assert (
            p.client_frame_adapter.validate_python(
                {
                    "hello": {"type": "hello"},
                    "message.send": {"type": "message.send", "client_msg_id": "abcdefgh", "body": "x"},
                    "typing": {"type": "typing", "conversation_id": "c_1", "typing": True},
                    "seen": {"type": "seen", "conversation_id": "c_1", "seq": 1, "state": "delivered"},
                    "history": {"type": "history", "conversation_id": "c_1"},
                    "ping": {"type": "ping"},
                    "pong": {"type": "pong"},
                    "profile.update": {"type": "profile.update", "email": "a@b.co"},
                    "visibility": {"type": "visibility", "visible": True},
                    "offline.submit": {
                        "type": "offline.submit",
                        "client_msg_id": "abcdefgh",
                        "email": "a@b.co",
                        "body": "x",
                    },
                }[t]
            ).type
            == t
        )


def test_server_frames_serialize_with_type_and_utc_times() -> None:
    msg = p.MessageOut(
        id="m_1", seq=3, sender=p.Sender(kind="agent", id="ag_1", name="Ana"), body="Hi", created_at=NOW
    )
    frames = [
        p.WelcomeVisitor(
            visitor_id="v_1",
            conversations=[p.ConversationBrief(id="c_1", status="open", last_seq=3, created_at=NOW)],
            agents_online=True,
            profile=p.VisitorProfile(name="Ann"),
        ),
        p.ProfileFrame(visitor=p.VisitorProfile(email="a@b.co")),
        p.VisitorFrame(website_id="web_1", visitor=p.VisitorProfileOut(id="v_1")),
        p.WelcomeAgent(
            agent=p.AgentBrief(id="ag_1", email="a@example.com", name="Ana", role="agent"), websites=["web_1"]
        ),
        p.MessageFrame(conversation_id="c_1", website_id="web_1", message=msg),
        p.Ack(client_msg_id="abcdefgh", conversation_id="c_1", seq=3, message_id="m_1"),
        p.TypingFrame(conversation_id="c_1", sender=p.Sender(kind="visitor", id="v_1"), typing=True),
        p.Receipt(conversation_id="c_1", side="agent", delivered_seq=3, read_seq=2),
        p.VisitorPresence(agents_online=False),
        p.AgentPresence(website_id="web_1", agents_online=2),
        p.HistoryFrame(conversation_id="c_1", messages=[msg]),
        p.ErrorFrame(code="not_found", detail="No such conversation."),
        p.PongFrame(),
        p.PingFrame(),
        p.VisitorLiveFrame(
            website_id="web_1",
            visitor=p.LiveVisitor(
                visitor_id="v_1",
                page_url="https://shop.example.com/",
                page_since=datetime(2026, 11, 25, 17, 0, tzinfo=UTC),
                session_started_at=datetime(2026, 11, 25, 16, 55, tzinfo=UTC),
                source_class="direct",
            ),
        ),
        p.VisitorLeftFrame(website_id="web_1", visitor_id="v_1"),
        p.VisitorReturnedFrame(
            website_id="web_1",
            visitor_id="v_1",
            session_id="vs_1",
            previous_visit_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
            visits=2,
        ),
    ]
    for f in frames:
        data = f.model_dump(mode="json")
        assert isinstance(data["type"], str) and data["type"]
    dumped = p.MessageFrame(conversation_id="c_1", message=msg).model_dump(mode="json")
    assert dumped["message"]["created_at"] == "2026-11-25T17:00:00.000000Z"


def test_close_codes_are_distinct_application_codes() -> None:
    codes = [v for k, v in vars(p.CloseCode).items() if k.isupper()]
    assert len(codes) == len(set(codes))
    assert all(4000 <= c < 5000 for c in codes if c != p.CloseCode.GOING_AWAY)
