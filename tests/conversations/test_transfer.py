"""Transfer (PRD user story 5): to a colleague or a team, with a note only agents see;
the receiver is told (assigned frame with the note, and an alert); the visitor sees who
answers now. And the refusals, with nothing changed."""

from __future__ import annotations

from typing import Any

from tests.support import clients
from tests.support.clients import Api, Socket


async def _frame(sock: Socket, type_: str, **match: Any) -> dict[str, Any]:
    while True:
        f = await sock.expect(type_)
        if all(f.get(k) == v for k, v in match.items()):
            return f


async def test_transfer_to_a_colleague_and_to_a_team(server, owner: Api) -> None:
    site, other = await owner.create_website(), await owner.create_website()
    a, _pw, a_token = await owner.create_agent([site["id"]], name="Ann Able")
    b, _pw, b_token = await owner.create_agent([site["id"]], name="Bea Bright")
    c, _pw, c_token = await owner.create_agent([other["id"]], name="Cy Other")
    team = await owner.post(
        "/api/v1/teams", json={"name": "Billing " + site["id"][-4:], "agent_ids": [a["id"]]}
    )
    assert team.status_code == 201, team.text
    empty_team = await owner.post(
        "/api/v1/teams", json={"name": "Nobody " + site["id"][-4:], "agent_ids": [c["id"]]}
    )
    visitor, _cfg, _w = await clients.visitor(server.url, site["id"])
    a_ws, _ = await clients.agent(server.ws_url, a_token)
    b_ws, _ = await clients.agent(server.ws_url, b_token)
    async with Api(server.url) as ann, Api(server.url) as cy:
        ann.use_token(a_token)
        cy.use_token(c_token)
        try:
            cid = (await visitor.send_message("My invoice is wrong"))["conversation_id"]
            r = await owner.post(f"/api/v1/conversations/{cid}/assign", json={"agent_id": a["id"]})
            assert r.status_code == 200, r.text
            base = f"/api/v1/conversations/{cid}/transfer"

            # The refusals first: nothing changes.
            for body, status, code in (
                ({"agent_id": c["id"]}, 422, "validation_error"),  # works on another website
                ({"agent_id": "ag_nobody"}, 404, "not_found"),
                ({"agent_id": a["id"]}, 409, "conflict"),  # already hers
                ({"agent_id": b["id"], "team_id": team.json()["id"]}, 422, "validation_error"),
                ({}, 422, "validation_error"),
                ({"agent_id": b["id"], "note": "x" * 1001}, 422, "validation_error"),
                ({"team_id": "tm_nope"}, 404, "not_found"),
                ({"team_id": empty_team.json()["id"]}, 409, "team_unavailable"),
            ):
                r = await ann.post(base, json=body)
                assert (r.status_code, r.json()["error"]) == (status, code), (body, r.text)
            r = await cy.post(base, json={"agent_id": c["id"]})  # cannot see the conversation
            assert r.status_code == 404, r.text
            assert (await owner.get(f"/api/v1/conversations/{cid}")).json()["assignee_id"] == a["id"]

            # To Bea, with a note for her.
            r = await ann.post(base, json={"agent_id": b["id"], "note": "  Refund approved, VIP  "})
            assert r.status_code == 200 and r.json()["assignee_id"] == b["id"], r.text
            assigned = await _frame(b_ws, "assigned")
            assert assigned["by"] == "transfer" and assigned["from_agent"] == "Ann Able"
            assert assigned["note"] == "Refund approved, VIP"
            assert assigned["conversation"]["id"] == cid
            alert = await _frame(b_ws, "notify", event="assigned")
            assert alert["conversation_id"] == cid

            # The visitor is told who answers now, and never sees the note.
            told = await _frame(visitor, "message")
            while told["message"]["sender"]["kind"] != "system":
                told = await _frame(visitor, "message")
            assert told["message"]["body"] == "Bea Bright is now answering."
            msgs = (await owner.get(f"/api/v1/conversations/{cid}/messages")).json()["items"]
            notes = [m["body"] for m in msgs if m.get("note")]
            assert notes == ["Transferred to Bea Bright by Ann Able: Refund approved, VIP"]
            await visitor.send({"type": "history", "conversation_id": cid})
            h = await visitor.expect("history")
            assert all(not m.get("note") and "VIP" not in m["body"] for m in h["messages"])

            # Bea hands it to the Billing team: its member who is online and has room (Ann).
            async with Api(server.url) as bea:
                bea.use_token(b_token)
                r = await bea.post(base, json={"team_id": team.json()["id"]})
                assert r.status_code == 200 and r.json()["assignee_id"] == a["id"], r.text
            back = await _frame(a_ws, "assigned", by="transfer")
            assert back["by"] == "transfer" and back["from_agent"] == "Bea Bright" and "note" not in back

            r = await owner.post(f"/api/v1/conversations/{cid}/resolve")
            assert r.status_code == 200
            r = await ann.post(base, json={"agent_id": b["id"]})
            assert (r.status_code, r.json()["error"]) == (409, "conflict")
        finally:
            for s in (visitor, a_ws, b_ws):
                await s.close()
