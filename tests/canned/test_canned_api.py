"""Canned responses: personal and shared per website, who sees and changes which, and
the bad inputs (docs/console.md, "Canned responses")."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.clients import Api

BASE = "/api/v1/canned-responses"


async def _as(server: Any, token: str) -> Api:
    api = Api(server.url)
    api.use_token(token)
    return api


async def test_personal_and_shared_replies_are_seen_by_the_right_agents(server, owner: Api) -> None:
    site, other = await owner.create_website(), await owner.create_website()
    _a, _pw, alice_token = await owner.create_agent([site["id"]])
    _b, _pw, bob_token = await owner.create_agent([site["id"]])
    _c, _pw, carol_token = await owner.create_agent([other["id"]])
    async with await _as(server, alice_token) as alice, await _as(server, bob_token) as bob:
        async with await _as(server, carol_token) as carol:
            shared = await owner.post(
                BASE,
                json={
                    "scope": "shared",
                    "website_id": site["id"],
                    "shortcut": "Refund",
                    "title": "Refund policy",
                    "body": "Hi {{visitor.first_name}}, refunds take 5 days. — {{ agent.name }}",
                },
            )
            assert shared.status_code == 201, shared.text
            assert shared.json()["shortcut"] == "refund" and shared.json()["scope"] == "shared"
            mine = await alice.post(BASE, json={"shortcut": "hello", "title": "Hello", "body": "Hello!"})
            assert mine.status_code == 201, mine.text

            def shortcuts(r: Any) -> list[tuple[str, str, bool]]:
                assert r.status_code == 200, r.text
                return [(c["shortcut"], c["scope"], c["editable"]) for c in r.json()["items"]]

            assert shortcuts(await alice.get(BASE)) == [
                ("hello", "personal", True),
                ("refund", "shared", False),
            ]
            # Bob sees the website's reply, not Alice's own; Carol (another website) neither.
            assert shortcuts(await bob.get(BASE)) == [("refund", "shared", False)]
            assert shortcuts(await carol.get(BASE)) == []
            assert shortcuts(await alice.get(BASE, params={"website_id": site["id"]})) == [
                ("hello", "personal", True),
                ("refund", "shared", False),
            ]
            r = await carol.get(BASE, params={"website_id": site["id"]})
            assert r.status_code == 404 and r.json()["error"] == "website_not_found"
            assert "visitor.name" in (await alice.get(BASE)).json()["variables"]

            # Agents read shared replies but do not change them; strangers do not see them.
            sid, mid = shared.json()["id"], mine.json()["id"]
            r = await alice.http.patch(f"{BASE}/{sid}", json={"title": "Mine now"})
            assert r.status_code == 403 and r.json()["error"] == "forbidden"
            r = await alice.post(
                BASE,
                json={
                    "scope": "shared",
                    "website_id": site["id"],
                    "shortcut": "x",
                    "title": "X",
                    "body": "X",
                },
            )
            assert r.status_code == 403
            for who, path in ((carol, f"{BASE}/{sid}"), (bob, f"{BASE}/{mid}"), (owner, f"{BASE}/{mid}")):
                r = await who.http.patch(path, json={"title": "taken over"})
                assert r.status_code == 404 and r.json()["error"] == "canned_not_found", r.text
                r = await who.delete(path)
                assert r.status_code == 404, r.text

            r = await alice.http.patch(f"{BASE}/{mid}", json={"body": "Hello {{visitor.name}}!"})
            assert r.status_code == 200 and r.json()["body"] == "Hello {{visitor.name}}!"
            assert (await alice.delete(f"{BASE}/{mid}")).status_code == 204
            assert shortcuts(await alice.get(BASE)) == [("refund", "shared", False)]
            assert (await owner.delete(f"{BASE}/{sid}")).status_code == 204
            assert shortcuts(await bob.get(BASE)) == []

    audit = await owner.get("/api/v1/audit", params={"website_id": site["id"]})
    assert audit.status_code == 200, audit.text
    actions = [e["action"] for e in audit.json()["entries"]]
    assert "canned.create" in actions and "canned.delete" in actions


async def test_bad_replies_are_refused_with_the_field_and_nothing_is_kept(server, owner: Api) -> None:
    site = await owner.create_website()
    _a, _pw, token = await owner.create_agent([site["id"]])
    async with await _as(server, token) as alice:
        ok = {"shortcut": "hello", "title": "Hello", "body": "Hello {{visitor.name}}"}
        cases: list[tuple[dict[str, Any], str]] = [
            ({**ok, "shortcut": "has space"}, "shortcut"),
            ({**ok, "shortcut": "a/b"}, "shortcut"),
            ({**ok, "shortcut": "/"}, "shortcut"),
            ({**ok, "shortcut": "x" * 41}, "shortcut"),
            ({**ok, "title": "   "}, "title"),
            ({**ok, "body": ""}, "body"),
            ({**ok, "body": "x" * 4001}, "body"),
            ({**ok, "body": "Hi {{visitor.password}}"}, "body"),
            ({**ok, "scope": "everyone"}, "scope"),
            ({**ok, "scope": "shared"}, "website_id"),
            ({**ok, "colour": "red"}, "colour"),
        ]
        for body, field in cases:
            r = await alice.post(BASE, json=body)
            assert r.status_code == 422, (body, r.text)
            assert r.json()["error"] == "validation_error"
            assert field in [f["field"] for f in r.json()["fields"]], (body, r.json())
        r = await alice.post(BASE, json={**ok, "website_id": "web_nope"})
        assert r.status_code == 404 and r.json()["error"] == "website_not_found"
        assert (await alice.get(BASE)).json()["items"] == []

        # One shortcut per agent, even when two tabs create it at the same instant.
        results = await asyncio.gather(*(alice.post(BASE, json=ok) for _ in range(4)))
        assert sorted(r.status_code for r in results) == [201, 409, 409, 409], [r.text for r in results]
        taken = next(r for r in results if r.status_code == 409).json()
        assert taken["error"] == "shortcut_taken" and taken["fields"][0]["field"] == "shortcut"
        assert len((await alice.get(BASE)).json()["items"]) == 1
        other = await alice.post(BASE, json={**ok, "shortcut": "bye"})
        r = await alice.http.patch(f"{BASE}/{other.json()['id']}", json={"shortcut": "hello"})
        assert r.status_code == 409 and r.json()["error"] == "shortcut_taken"
        r = await alice.http.patch(f"{BASE}/{other.json()['id']}", json={"body": "{{nope}}"})
        assert r.status_code == 422
        assert (await alice.get(BASE)).json()["items"][0]["body"] == "Hello {{visitor.name}}"
    r = await Api(server.url).get(BASE)
    assert r.status_code == 401
