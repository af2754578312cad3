"""Visitor tracking seen from the agent's side, driven by the real widget in Chromium: a
visitor arrives from a newsletter link, walks three pages (one by pushState), and the
agent sees the trail with times, the source, the device and the location, the visitor in
the live list, and then the visitor leaving."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Route

from tests.browser.conftest import HostSite
from tests.browser.panel_support import make_site
from tests.support.clients import Api

pytestmark = pytest.mark.browser

LONDON_IP = "81.2.69.142"  # London in MaxMind's City test data, which the test server uses


async def live_list(site: Any) -> list[dict[str, Any]]:
    async with Api(site.server_url) as api:
        api.use_token(site.agent_token)
        r = await api.get(f"/api/v1/websites/{site.id}/visitors/live")
        assert r.status_code == 200, r.text
        return list(r.json()["visitors"])


async def test_the_agent_sees_the_trail_source_device_location_and_the_visitor_leaving(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(server)
    agent_ws = site.agent_ws
    assert agent_ws is not None
    first = host_site.page(
        f"track-{site.id}-home.html",
        f"<h1>Winter sale</h1><a id='next' href='track-{site.id}-checkout.html'>Checkout</a>{site.snippet}",
        title="Winter sale",
    )
    host_site.page(f"track-{site.id}-checkout.html", f"<h1>Checkout</h1>{site.snippet}", title="Checkout")

    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)

    # The test plays the site's reverse proxy: the sitechat server (which trusts
    # 127.0.0.1) learns the visitor's address from X-Forwarded-For.
    async def via_proxy(route: Route) -> None:
        await route.continue_(headers={**route.request.headers, "x-forwarded-for": LONDON_IP})

    await ctx.route(f"{server.url}/api/v1/widget/**", via_proxy)
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # 1. Arrival from a newsletter link.
    await page.goto(f"{first}?utm_source=newsletter&utm_medium=email&utm_campaign=winter")
    arrived = await agent_ws.expect("visitor.live", timeout=10)
    visitor_id = arrived["visitor"]["visitor_id"]
    assert arrived["visitor"]["page_title"] == "Winter sale"
    assert arrived["visitor"]["source_class"] == "email"
    assert arrived["visitor"]["location"]["city"] == "London"
    await page.wait_for_timeout(1200)

    # 2. A single-page-app navigation.
    await page.evaluate(
        f"() => {{ history.pushState({{}}, '', '/track-{site.id}-sizes'); document.title = 'Sizes'; }}"
    )
    moved = await agent_ws.expect("visitor.live", timeout=10)
    assert moved["visitor"]["page_url"].endswith(f"/track-{site.id}-sizes")
    assert moved["visitor"]["page_title"] == "Sizes"
    await page.wait_for_timeout(800)

    # 3. A real link (relative: it resolves next to the pushed URL) to another page.
    await page.click("#next")
    await page.wait_for_url(f"**/track-{site.id}-checkout.html")
    checkout = await agent_ws.expect("visitor.live", timeout=10)
    assert checkout["visitor"]["visitor_id"] == visitor_id
    assert checkout["visitor"]["page_title"] == "Checkout"

    # The agent's view of the visit.
    async with Api(site.server_url) as api:
        api.use_token(site.agent_token)
        r = await api.get(f"/api/v1/visitors/{visitor_id}/sessions")
        assert r.status_code == 200, r.text
        [visit] = r.json()["items"]
    assert visit["source_class"] == "email" and visit["source"] == "newsletter"
    assert visit["utm"] == {"source": "newsletter", "medium": "email", "campaign": "winter"}
    assert visit["landing_page"].startswith(first)
    assert visit["location"]["city"] == "London" and visit["location"]["country_code"] == "GB"
    assert visit["timezone"]  # the browser's own zone
    assert visit["device"]["type"] == "desktop" and "Chrome" in (visit["device"]["browser"] or "")
    assert visit["device"]["screen"] and visit["device"]["viewport"] and visit["device"]["languages"]
    trail = [(v["title"], v["url"].split("/")[-1].split("?")[0]) for v in visit["page_views"]]
    assert trail == [
        ("Winter sale", f"track-{site.id}-home.html"),
        ("Sizes", f"track-{site.id}-sizes"),
        ("Checkout", f"track-{site.id}-checkout.html"),
    ]
    # Time on page: the first page was shown for about 1.2 s, the second for about 0.8 s.
    durations = [v["duration_ms"] for v in visit["page_views"]]
    assert durations[0] is not None and 1000 <= durations[0] < 10_000, durations
    assert durations[1] is not None and 600 <= durations[1] < 10_000, durations

    [now] = await live_list(site)
    assert now["visitor_id"] == visitor_id and now["page_title"] == "Checkout"

    # 4. The visitor closes the tab: the agent sees them leave at once.
    await page.close(run_before_unload=True)
    left = await agent_ws.expect("visitor.left", timeout=10)
    assert left["visitor_id"] == visitor_id
    assert await live_list(site) == []
    assert not errors, errors
    await ctx.close()
    await site.close()


async def test_an_agent_writes_first_to_a_visitor_who_never_opened_the_chat(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(server)
    agent_ws = site.agent_ws
    assert agent_ws is not None
    url = host_site.page(f"track-{site.id}-first.html", f"<h1>Boots</h1>{site.snippet}", title="Boots")
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    # Test hook: ping every second instead of every 20 s.
    await ctx.add_init_script("window.__sitechatPingMs = 1000")
    page = await ctx.new_page()
    await page.goto(url)
    launcher = page.get_by_test_id("sitechat-launcher")
    await launcher.wait_for()
    arrived = await agent_ws.expect("visitor.live", timeout=10)
    visitor_id = arrived["visitor"]["visitor_id"]
    assert await page.get_by_test_id("sitechat-panel").count() == 0  # never opened: no panel

    # The agent picks the visitor from the live list and writes first.
    [listed] = await live_list(site)
    assert listed["visitor_id"] == visitor_id and listed["page_title"] == "Boots"
    async with Api(site.server_url) as api:
        api.use_token(site.agent_token)
        r = await api.post(
            "/api/v1/conversations", json={"visitor_id": visitor_id, "body": "Hi! Need help with sizes?"}
        )
        assert r.status_code == 201, r.text

    # The widget's next ping learns of it: the badge goes up without the visitor doing anything.
    badge = page.get_by_test_id("sitechat-unread")
    await badge.wait_for(state="visible", timeout=15_000)
    assert await badge.inner_text() == "1"
    await launcher.click()
    panel = page.frame_locator("iframe[data-testid=sitechat-panel]")
    message = panel.get_by_test_id("message").filter(has_text="Hi! Need help with sizes?")
    await message.wait_for()
    await ctx.close()
    await site.close()
