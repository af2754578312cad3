"""Bad frames get an error frame with a stable code, write nothing, and the socket survives."""

from __future__ import annotations

import json
import uuid

from tests.support import clients
from tests.support.clients import Api


async def _alive(sock: clients.Socket) -> None:
    await sock.send({"type": "ping", "id": "still-there"})
    assert (await sock.expect("pong"))["id"] == "still-there"


async def test_malformed_frames_get_error_codes_and_connection_survives(server, owner: Api) -> None:
    site = await owner.create_website()
    sock, _cfg, _ = await clients.visitor(server.url, site["id"])

    await sock.send("{not json")
    assert (await sock.expect("error"))["code"] == "bad_json"
    await sock.send("[1, 2, 3]")
    assert (await sock.expect("error"))["code"] == "invalid_frame"
    await sock.send({"type": "launch.missiles", "id": "r1"})
    err = await sock.expect("error")
    assert err["code"] == "unknown_frame" and err["id"] == "r1"
    # Wrong field types are refused, not coerced.
    await sock.send({"type": "message.send", "client_msg_id": str(uuid.uuid4()), "body": 12345, "id": "r2"})
    err = await sock.expect("error")
    assert err["code"] == "invalid_frame" and err["id"] == "r2" and "body" in err["detail"]
    await sock.send({"type": "typing", "conversation_id": "c_abc", "typing": "yes"})
    assert (await sock.expect("error"))["code"] == "invalid_frame"
    await sock.send({"type": "message.send", "client_msg_id": str(uuid.uuid4()), "body": "x", "extra": 1})
    assert (await sock.expect("error"))["code"] == "invalid_frame"
    await sock.send({"type": "hello"})
    assert (await sock.expect("error"))["code"] == "invalid_frame"
    # Numbers beyond any seq are refused, not passed to the database.
    await sock.send({"type": "history", "conversation_id": "c_abc", "before_seq": 10**30})
    assert (await sock.expect("error"))["code"] == "invalid_frame"
    await sock.send({"type": "seen", "conversation_id": "c_abc", "seq": 2**31, "state": "read"})
    assert (await sock.expect("error"))["code"] == "invalid_frame"
    await _alive(sock)
    # None of that wrote anything.
    r = await owner.get("/api/v1/conversations", params={"website_id": site["id"], "status": "all"})
    assert r.json()["items"] == []
    await sock.close()


async def test_oversized_message_is_refused_and_nothing_is_stored(server, owner: Api) -> None:
    site = await owner.create_website()
    sock, _cfg, _ = await clients.visitor(server.url, site["id"])
    ack = await sock.send_message("a normal one")
    conv = ack["conversation_id"]
    await sock.send(
        {"type": "message.send", "client_msg_id": str(uuid.uuid4()), "body": "x" * 5001, "id": "big"}
    )
    err = await sock.expect("error", id="big")
    assert err["code"] == "message_too_long"
    exactly = await sock.send_message("y" * 5000)  # the limit itself is fine
    assert exactly["seq"] == 2
    await sock.send(
        {"type": "message.send", "client_msg_id": str(uuid.uuid4()), "body": "   \n  ", "id": "blank"}
    )
    assert (await sock.expect("error", id="blank"))["code"] == "validation_error"
    r = await owner.get(f"/api/v1/conversations/{conv}/messages")
    assert [len(m["body"]) for m in r.json()["items"]] == [12, 5000]
    await _alive(sock)
    await sock.close()


async def test_unknown_and_foreign_conversations_are_not_found(server, owner: Api) -> None:
    site = await owner.create_website()
    alice, _, _ = await clients.visitor(server.url, site["id"])
    bob, _, _ = await clients.visitor(server.url, site["id"])
    ack = await alice.send_message("alice's secret")
    alice_conv = ack["conversation_id"]
    await alice.expect("message")

    for frame in (
        {
            "type": "message.send",
            "client_msg_id": str(uuid.uuid4()),
            "body": "hi",
            "conversation_id": alice_conv,
        },
        {"type": "typing", "conversation_id": alice_conv, "typing": True},
        {"type": "seen", "conversation_id": alice_conv, "seq": 1, "state": "read"},
        {"type": "history", "conversation_id": alice_conv},
        {"type": "history", "conversation_id": "c_doesnotexist"},
    ):
        await bob.send({**frame, "id": "x"})
        err = await bob.expect("error", id="x")
        assert err["code"] == "not_found", frame
    r = await owner.get(f"/api/v1/conversations/{alice_conv}/messages")
    assert [m["body"] for m in r.json()["items"]] == ["alice's secret"]
    assert not [f for f in await alice.quiet(0.3) if f["type"] in ("message", "typing", "receipt")]
    await alice.close()
    await bob.close()


async def test_first_frame_must_be_hello(server, owner: Api) -> None:
    site = await owner.create_website()
    r = await clients.widget_config(server.url, site["id"])
    cfg = r.json()
    sock = await clients.open_socket(f"{cfg['ws_url']}?token={cfg['token']}", origin=clients.DEFAULT_ORIGIN)
    await sock.send({"type": "message.send", "client_msg_id": str(uuid.uuid4()), "body": "too early"})
    assert (await sock.expect("error"))["code"] == "invalid_frame"
    assert await sock.wait_closed() == 4000


async def test_binary_and_huge_frames_are_refused(server, owner: Api) -> None:
    site = await owner.create_website()
    sock, _, _ = await clients.visitor(server.url, site["id"])
    await sock.ws.send(b"\x00\x01binary")
    assert (await sock.expect("error"))["code"] == "invalid_frame"
    await sock.send(json.dumps({"type": "ping", "pad": "x" * 70_000}))
    assert (await sock.expect("error"))["code"] == "frame_too_large"
    await _alive(sock)
    await sock.close()


async def test_rest_bad_input_gets_stable_codes(server, owner: Api) -> None:
    site = await owner.create_website()
    sock, _, _ = await clients.visitor(server.url, site["id"])
    conv = (await sock.send_message("hello"))["conversation_id"]
    await sock.close()

    r = await owner.post(
        f"/api/v1/conversations/{conv}/messages",
        content=b"{oops",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["error"] == "bad_json"
    r = await owner.post(f"/api/v1/conversations/{conv}/messages", json={"body": 5})
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    assert r.json()["fields"][0]["field"] == "body"
    r = await owner.post(f"/api/v1/conversations/{conv}/messages", json={"body": "z" * 5001})
    assert r.status_code == 422 and r.json()["error"] == "message_too_long"
    r = await owner.post("/api/v1/conversations/c_nope/messages", json={"body": "hi"})
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = await owner.get("/api/v1/conversations", params={"limit": 0})
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    r = await owner.get("/api/v1/conversations", params={"status": "sideways"})
    assert r.status_code == 422
    r = await owner.get("/api/v1/conversations", params={"cursor": "!!!"})
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    import base64

    for extreme in ("9999-12-31T23:00:00-12:00|c_x", "0001-01-01T00:00:00+05:00|c_x"):
        cursor = base64.urlsafe_b64encode(extreme.encode()).decode()
        r = await owner.get("/api/v1/conversations", params={"cursor": cursor})
        assert r.status_code == 422, extreme
    for param in ("after_seq", "before_seq"):
        r = await owner.get(f"/api/v1/conversations/{conv}/messages", params={param: 10**30})
        assert r.status_code == 422 and r.json()["error"] == "validation_error"
    r = await owner.post("/api/v1/websites", json={"name": "x", "domains": ["https://bad.example.com/path"]})
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    r = await owner.get("/api/v1/no/such/route")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = await owner.post(f"/api/v1/conversations/{conv}/assign", json={"agent_id": "ag_nobody"})
    assert r.status_code == 404
    # Only the first message exists.
    r = await owner.get(f"/api/v1/conversations/{conv}/messages")
    assert [m["body"] for m in r.json()["items"]] == ["hello"]
