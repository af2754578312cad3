"""Inbox filters and search: visitor name, email and message text, by website, status,
assignee and visitor, per-filter counts; never another website's conversations."""

from __future__ import annotations

import secrets

from tests.support import clients
from tests.support.clients import Api


async def _chat(server, site_id: str, body: str, **profile: str) -> tuple[str, str]:
    sock, cfg, _ = await clients.visitor(server.url, site_id)
    if profile:
        await sock.send({"type": "profile.update", "id": "p", **profile})
        await sock.expect("profile", id="p")
    conv_id = (await sock.send_message(body))["conversation_id"]
    await sock.close()
    return conv_id, cfg["visitor_id"]


def _ids(r) -> list[str]:  # type: ignore[no-untyped-def]
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["items"]]


async def test_search_and_filters_find_the_right_conversations(server, owner: Api) -> None:
    tag = secrets.token_hex(3)
    site_a = await owner.create_website()
    site_b = await owner.create_website()
    agent, _pw, token = await owner.create_agent([site_a["id"]])
    ann, ann_visitor = await _chat(
        server,
        site_a["id"],
        f"Where is parcel {tag}-4711?",
        name=f"Ann {tag}",
        email=f"ann.{tag}@example.com",
    )
    bob, _ = await _chat(server, site_a["id"], "Do you ship to Norway?", name=f"Bob {tag}")
    pct, _ = await _chat(server, site_a["id"], f"50% off {tag}_sale?")
    only_b, _ = await _chat(server, site_b["id"], f"secret-{tag} only on B", name=f"Carl {tag}")
    await owner.post(f"/api/v1/conversations/{bob}/assign", json={"agent_id": agent["id"]})
    await owner.post(f"/api/v1/conversations/{pct}/resolve")

    async with Api(server.url) as api:
        api.use_token(token)

        async def search(**params: str) -> list[str]:
            return _ids(await api.get("/api/v1/conversations", params={"status": "all", **params}))

        # Message text, visitor name, visitor email; any case; words across spaces.
        assert await search(q=f"PARCEL {tag}-4711") == [ann]
        assert await search(q=f"ann {tag}") == [ann]
        assert await search(q=f"ANN.{tag}@EXAMPLE") == [ann]
        assert await search(q="norway") == [bob]
        assert set(await search(q=tag)) == {ann, bob, pct}
        # LIKE wildcards are searched for as text.
        assert await search(q=f"50% off {tag}_sale") == [pct]
        assert await search(q=f"{tag}%") == []
        assert await search(q="_" * 5) == []
        # Another website's text is never found, by name, by message, or with its id.
        assert await search(q=f"secret-{tag}") == []
        assert await search(q=f"Carl {tag}") == []
        r = await api.get("/api/v1/conversations", params={"q": tag, "website_id": site_b["id"]})
        assert r.status_code == 404 and r.json()["error"] == "website_not_found"
        assert await owner_search(owner, f"secret-{tag}") == [only_b]  # it is there for its owner

        # Filters combine with search.
        assert await search(q=tag, assignee="me") == [bob]
        assert set(await search(q=tag, assignee="unassigned")) == {ann, pct}
        assert await search(q=tag, status="resolved") == [pct]
        assert set(await search(q=tag, status="open")) == {ann, bob}
        assert await search(visitor_id=ann_visitor) == [ann]
        assert await search(visitor_id="v_nobody") == []

        # Counts per filter.
        r = await api.get("/api/v1/conversations/counts", params={"website_id": site_a["id"]})
        assert r.status_code == 200, r.text
        counts = r.json()
        assert counts["all"] == {"conversations": 2, "unread": 2}
        assert counts["mine"] == {"conversations": 1, "unread": 1}
        assert counts["unassigned"] == {"conversations": 1, "unread": 1}
        r = await api.get("/api/v1/conversations/counts", params={"status": "all"})
        assert r.json()["all"]["conversations"] == 3
        r = await api.get("/api/v1/conversations/counts", params={"website_id": site_b["id"]})
        assert r.status_code == 404

        # Bad query parameters.
        for params in (
            {"q": "x"},
            {"q": "x" * 101},
            {"q": "a\x00b"},
            {"status": "sleeping"},
            {"priority": "soon"},
            {"limit": "0"},
            {"limit": "many"},
            {"cursor": "not-a-cursor"},
            {"visitor_id": "v" * 41},
        ):
            r = await api.get("/api/v1/conversations", params=params)
            assert r.status_code == 422 and r.json()["error"] == "validation_error", (params, r.text)
        r = await api.get("/api/v1/conversations/counts", params={"status": "sleeping"})
        assert r.status_code == 422
        # Blank search is no search.
        assert set(await search(q="   ", website_id=site_a["id"])) == {ann, bob, pct}


async def owner_search(owner: Api, q: str) -> list[str]:
    return _ids(await owner.get("/api/v1/conversations", params={"status": "all", "q": q}))
