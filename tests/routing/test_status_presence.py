"""What visitors are told follows the agent's status: an agent away or offline is still
connected, but the widget says nobody is online — live, on reconnect, and in the config."""

from __future__ import annotations

from typing import Any

from tests.support import clients
from tests.support.clients import Api


async def _online_in_config(server: Any, website_id: str) -> bool:
    r = await clients.widget_config(server.url, website_id)
    assert r.status_code == 200, r.text
    return bool(r.json()["agents_online"])


async def test_visitors_see_an_away_or_offline_agent_as_not_online(server, owner: Api) -> None:
    site = await owner.create_website()
    _agent, _pw, token = await owner.create_agent([site["id"]])
    async with Api(server.url) as me:
        me.use_token(token)
        visitor, _cfg, welcome = await clients.visitor(server.url, site["id"])
        assert welcome["agents_online"] is False
        agent_ws, _ = await clients.agent(server.ws_url, token)
        try:
            assert (await visitor.expect("presence"))["agents_online"] is True
            assert await _online_in_config(server, site["id"])

            for status, online in (("away", False), ("online", True), ("offline", False)):
                r = await me.http.put("/api/v1/agents/me/status", json={"status": status})
                assert r.status_code == 200 and r.json()["status"] == status, r.text
                assert (await visitor.expect("presence", agents_online=online))["agents_online"] is online
                assert await _online_in_config(server, site["id"]) is online

            # Offline is remembered: a console that reconnects does not look online to visitors.
            await agent_ws.close()
            agent_ws, _ = await clients.agent(server.ws_url, token)
            assert await _online_in_config(server, site["id"]) is False
            _v2, _cfg2, welcome2 = await clients.visitor(server.url, site["id"])
            assert welcome2["agents_online"] is False
            await _v2.close()

            r = await me.http.put("/api/v1/agents/me/status", json={"status": "online"})
            assert r.status_code == 200
            assert (await visitor.expect("presence", agents_online=True))["agents_online"] is True
        finally:
            await agent_ws.close()
            await visitor.close()
