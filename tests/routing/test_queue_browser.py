"""The widget shows the queue notice while no agent can take the conversation (headless
Chromium, host page on another origin), and drops it once an agent has it."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import HostSite, browser, host_site  # noqa: F401 - fixtures
from tests.browser.panel_support import eventually, host_page, make_site, open_panel, page_errors, send
from tests.support import clients

pytestmark = pytest.mark.browser


# The widget is the same on both databases: one run is enough.
@pytest.mark.parametrize("backend", ["sqlite"], scope="session")
async def test_queue_notice_in_the_panel(server, browser: Browser, host_site: HostSite) -> None:  # noqa: F811
    # The agent is online with room for one conversation, which another visitor takes:
    # the widget says "online", but routing cannot give the next conversation to anyone.
    site = await make_site(server, settings={"routing": {"mode": "round_robin", "capacity": 1}})
    first, _cfg, _welcome = await clients.visitor(server.url, site.id, origin="http://localhost")
    await first.send_message("I was here first")

    async def taken() -> bool:
        return [c["assignee_id"] for c in await site.conversations()] == [site.agent["id"]]

    await eventually(taken, what="the first conversation assigned")
    [occupying] = await site.conversations()
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    panel = await open_panel(page, host_page(host_site, site))
    await expect(panel.get_by_test_id("queue-notice")).to_have_count(0)
    await send(panel, "Is anyone there?")
    notice = panel.get_by_test_id("queue-notice")
    await expect(notice).to_have_text("All our agents are busy — someone will answer soon.")

    # A reload shows it again (the welcome carries it).
    await page.reload()
    await page.get_by_test_id("sitechat-launcher").click()
    await expect(panel.get_by_test_id("queue-notice")).to_be_visible()

    # The agent resolves the first conversation: the queue is served at once, the notice goes.
    async with site.agent_api() as api:
        r = await api.post(f"/api/v1/conversations/{occupying['id']}/resolve")
        assert r.status_code == 200, r.text
    await expect(panel.get_by_test_id("queue-notice")).to_have_count(0)
    mine = [c for c in await site.conversations() if c["id"] != occupying["id"]]
    assert [c["assignee_id"] for c in mine] == [site.agent["id"]]
    await first.close()
    assert page_errors(ctx) == []
    await site.close()
    await ctx.close()
