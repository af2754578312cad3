"""Settings changes reach a widget that is already open, without a reload (issue 6): a
refused change applies nothing, a valid one recolours the launcher and the panel and
changes the panel's texts at once."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser

from tests.browser.conftest import HostSite
from tests.browser.test_widget_host import (
    INDIGO,
    agent_online,
    frame_until,
    make_site,
    open_visitor,
    panel_frame,
)
from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD

# One backend is enough: what is tested is the path server → socket → panel → launcher.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]

TEAL = "rgb(15, 118, 110)"


async def test_settings_apply_live_to_an_open_widget(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(server, {"appearance": {"welcome": "Old welcome", "title": "Old title"}})
    url = host_site.page("live-settings.html", "<h1>Acme</h1>" + site["snippet"])
    async with agent_online(server, site["id"]), open_visitor(browser) as v, Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        await v.page.goto(url)
        await v.launcher.click()
        frame = await panel_frame(v)
        title = frame.get_by_test_id("panel-title")
        await title.wait_for()
        assert await title.text_content() == "Old title"
        await frame_until(frame, "!!document.querySelector('[data-testid=welcome]')")
        colour = "(b) => getComputedStyle(b).backgroundColor"
        assert await v.launcher.evaluate(colour) == INDIGO
        box = await v.launcher.bounding_box()
        assert box is not None and box["x"] > 400  # bottom right

        # A refused change: nothing applied, nothing reaches the widget.
        r = await owner.post(
            f"/api/v1/websites/{site['id']}/settings",
            json={"appearance": {"color": "teal", "title": "Never shown"}},
        )
        assert r.status_code == 422 and r.json()["fields"][0]["field"] == "appearance.color"
        await v.page.wait_for_timeout(500)
        assert await title.text_content() == "Old title"
        assert await v.launcher.evaluate(colour) == INDIGO

        # A valid one shows at once, in the panel and in the launcher on the host page.
        await owner.update_settings(
            site["id"],
            {
                "appearance": {
                    "color": "#0F766E",
                    "position": "left",
                    "title": "New title",
                    "welcome": "New welcome",
                }
            },
        )
        await frame_until(
            frame, "document.querySelector('[data-testid=panel-title]').textContent === 'New title'"
        )
        await frame_until(
            frame, "document.querySelector('[data-testid=welcome]').textContent.includes('New welcome')"
        )
        await frame_until(
            frame,
            "getComputedStyle(document.documentElement).getPropertyValue('--sc-accent').trim()"
            ".toLowerCase() === '#0f766e'",
        )
        header = await frame.evaluate(
            "getComputedStyle(document.querySelector('.sc-header')).backgroundColor"
        )
        assert header == TEAL
        await v.page.wait_for_function(
            "() => { const b = document.querySelector('sitechat-widget').shadowRoot.querySelector('button');"
            f" return getComputedStyle(b).backgroundColor === '{TEAL}'; }}"
        )
        box = await v.launcher.bounding_box()
        assert box is not None and box["x"] < 400  # moved to the left
        assert v.errors == []


async def test_a_launcher_whose_panel_never_opened_follows_new_settings(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    """No panel, so no socket: the launcher learns of the change from its next ping's
    answer (settings_version) and redraws without a reload."""
    site = await make_site(server)
    url = host_site.page("live-launcher.html", "<h1>Acme</h1>" + site["snippet"])
    async with open_visitor(browser) as v, Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        await v.ctx.add_init_script("window.__sitechatPingMs = 300")
        await v.page.goto(url)
        await v.launcher.wait_for()
        colour = "(b) => getComputedStyle(b).backgroundColor"
        assert await v.launcher.evaluate(colour) == INDIGO
        await owner.update_settings(site["id"], {"appearance": {"color": "#0F766E", "position": "left"}})
        await v.page.wait_for_function(
            "() => { const b = document.querySelector('sitechat-widget').shadowRoot.querySelector('button');"
            f" return getComputedStyle(b).backgroundColor === '{TEAL}'; }}"
        )
        box = await v.launcher.bounding_box()
        assert box is not None and box["x"] < 400  # moved to the left
        assert not await v.page.locator("iframe[data-testid=sitechat-panel]").count()  # never opened
        assert v.errors == []
