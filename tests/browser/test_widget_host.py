"""The widget on a customer's page (loader, launcher, public API), in headless Chromium.

The host page is served from another origin (http://localhost:PORT) than the sitechat
server (http://127.0.0.1:PORT), as on a real website.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Frame, Locator, Page

from tests.browser.conftest import HostSite
from tests.support.clients import Api, agent, widget_config
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD

# Default appearance colour, as the browser reports it.
INDIGO = "rgb(79, 70, 229)"
# A 1x1 PNG, served for "https://logo.example/acme.png" by request routing.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
# Recorded in every frame before any page script: CSP violations, postMessage types, chimes.
SPY = """
window.__csp = [];
window.__posted = [];
window.__chimes = 0;
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI), true);
window.addEventListener('message', (e) => {
  if (e.data && typeof e.data.type === 'string') window.__posted.push(e.data.type);
});
if (window.BaseAudioContext) {
  const create = BaseAudioContext.prototype.createOscillator;
  BaseAudioContext.prototype.createOscillator = function () {
    window.__chimes++;
    return create.call(this);
  };
}
"""


@dataclass
class Visitor:
    ctx: BrowserContext
    page: Page
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    @property
    def launcher(self) -> Locator:
        return self.page.get_by_test_id("sitechat-launcher")

    @property
    def frame(self) -> Locator:
        return self.page.get_by_test_id("sitechat-panel")

    async def vk(self, website_id: str) -> str | None:
        return await self.page.evaluate(f"localStorage.getItem('sitechat:{website_id}:vk')")

    async def shadow_focus(self) -> str | None:
        """Tag name of the focused element inside the widget, None when focus is elsewhere."""
        return await self.page.evaluate(
            "(() => { const h = document.activeElement;"
            " return h && h.tagName === 'SITECHAT-WIDGET' && h.shadowRoot.activeElement"
            " ? h.shadowRoot.activeElement.tagName : null; })()"
        )


@asynccontextmanager
async def open_visitor(browser: Browser, **ctx_args: Any) -> AsyncIterator[Visitor]:
    ctx = await browser.new_context(**ctx_args)
    ctx.set_default_timeout(10_000)
    await ctx.add_init_script(SPY)
    await ctx.route(
        "https://logo.example/**", lambda route: route.fulfill(body=PNG, content_type="image/png")
    )
    page = await ctx.new_page()
    v = Visitor(ctx, page)

    def on_console(msg: ConsoleMessage) -> None:
        v.console.append(f"{msg.type}: {msg.text}")
        if msg.type == "warning" and msg.text.startswith("[sitechat]"):
            v.warnings.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: v.errors.append(str(e)))
    try:
        yield v
    finally:
        await ctx.close()


async def make_site(server: Any, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    async with Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        return await owner.create_website(
            domains=["localhost"], name="Acme " + secrets.token_hex(2), settings=settings
        )


async def profile(server: Any, host: HostSite, website_id: str, vk: str) -> dict[str, Any]:
    """The visitor's profile as the server stored it (the config answer, for that visitor key)."""
    r = await widget_config(server.url, website_id, origin=host.origin, visitor_key=vk)
    assert r.status_code == 200, r.text
    return dict(r.json())


def config_posts(page: Page) -> list[dict[str, Any]]:
    """Bodies of the config requests this page makes, as they are made."""
    bodies: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda req: (
            bodies.append(json.loads(req.post_data or "{}"))
            if req.method == "POST" and req.url.endswith("/config")
            else None
        ),
    )
    return bodies


async def panel_frame(v: Visitor) -> Frame:
    """The panel iframe's frame, once it has navigated to the panel."""
    handle = await v.frame.element_handle()
    frame = await handle.content_frame()
    assert frame is not None
    await frame.wait_for_url("**/widget/panel?**")
    return frame


async def frame_until(frame: Frame, expression: str, timeout: float = 10) -> None:
    """wait_for_function for the panel: its CSP (no unsafe-eval) refuses Playwright's own."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await frame.evaluate(expression):
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {expression}"
        await asyncio.sleep(0.05)


@asynccontextmanager
async def agent_online(server: Any, website_id: str) -> AsyncIterator[str]:
    """An agent of the website, connected (so the panel is not in offline mode); yields its API token."""
    async with Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        _agent, _pw, token = await owner.create_agent([website_id])
    sock, _welcome = await agent(server.ws_url, token)
    try:
        yield token
    finally:
        await sock.close()


async def until(check: Any, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def config_response(page: Page) -> Any:
    return page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/config"))


# ---- the queue and identify ------------------------------------------------------


@pytest.mark.browser
async def test_commands_queued_before_the_loader_arrives_run_in_order(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(server)
    url = host_site.page(
        "queue.html",
        """<h1>Acme</h1>
<script>
  window.log = [];
  window.websiteChat = window.websiteChat || [];
  window.WebsiteChat = window.WebsiteChat || function () { websiteChat.push(arguments); };
  WebsiteChat('identify', {name: 'Ada Lovelace', customData: {plan: 'pro', seats: 3}});
  websiteChat.push(['on', 'ready', function (info) { log.push('ready ' + info.visitorId); }]);
  WebsiteChat('on', 'open', function () { log.push('open'); });
  WebsiteChat('open');
</script>"""
        + site["snippet"],
    )
    async with open_visitor(browser) as v:
        posts = config_posts(v.page)
        # Hold the loader back: the page is up and calls WebsiteChat before it arrives.
        release = asyncio.Event()

        async def hold(route: Any) -> None:
            await release.wait()
            await route.continue_()

        await v.page.route("**/widget/loader.js*", hold)
        await v.page.goto(url, wait_until="domcontentloaded")
        assert await v.page.evaluate("typeof WebsiteChat.open") == "undefined"  # still the page's own stub
        await v.page.evaluate("WebsiteChat('identify', {email: 'ada@example.com'})")
        await asyncio.sleep(0.3)
        assert await v.launcher.count() == 0
        release.set()

        # The queued open() opened the panel once the launcher was drawn; the handlers ran.
        await v.frame.wait_for(state="visible")
        await v.page.wait_for_function("window.log.length === 2")
        log = await v.page.evaluate("window.log")
        assert log[0].startswith("ready ") and log[1] == "open", log
        assert await v.launcher.get_attribute("aria-expanded") == "true"

        # Both identify calls went into the one config request the loader started.
        assert len(posts) == 1, posts
        assert posts[0]["identify"] == {
            "name": "Ada Lovelace",
            "custom_data": {"plan": "pro", "seats": 3},
            "email": "ada@example.com",
        }
        vk = await v.vk(site["id"])
        assert vk
        cfg = await profile(server, host_site, site["id"], vk)
        assert log[0] == "ready " + cfg["visitor_id"]
        assert cfg["visitor"]["name"] == "Ada Lovelace"
        assert cfg["visitor"]["email"] == "ada@example.com"
        assert cfg["visitor"]["custom_data"] == {"plan": "pro", "seats": 3}
        assert not v.warnings and not v.errors, (v.warnings, v.errors)


@pytest.mark.browser
async def test_identify_after_load_updates_the_visitor_and_the_panel(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(server)
    url = host_site.page("identify.html", "<h1>Account</h1>" + site["snippet"])
    async with open_visitor(browser) as v:
        posts = config_posts(v.page)
        await v.page.goto(url)
        await v.launcher.click()
        await v.frame.wait_for(state="visible")
        panel = await panel_frame(v)
        await frame_until(panel, "window.__posted.includes('sitechat:init')")
        vk = await v.vk(site["id"])
        assert vk

        # A wrong type is refused on the page: one warning, no request.
        await v.page.evaluate("WebsiteChat.identify({email: 42})")
        assert len(v.warnings) == 1 and "identify" in v.warnings[0] and "email" in v.warnings[0], v.warnings
        assert len(posts) == 1

        # A value the server refuses: one warning, nothing changed, the widget goes on.
        async with config_response(v.page) as refused:
            await v.page.evaluate("WebsiteChat.identify({email: 'not an address', name: 'Mallory'})")
        assert (await refused.value).status == 422
        await until(lambda: len(v.warnings) == 2 and len(posts) == 3)  # then again without identify
        assert v.warnings[1].startswith("[sitechat] identify:") and "email" in v.warnings[1], v.warnings
        assert "identify" not in posts[2] or posts[2]["identify"] is None, posts
        assert (await profile(server, host_site, site["id"], vk))["visitor"]["name"] in ("", None)

        # After a login on an SPA: the profile is saved and the open panel gets a new init.
        inits = await panel.evaluate("window.__posted.filter((t) => t === 'sitechat:init').length")
        async with config_response(v.page) as answer:
            await v.page.evaluate(
                "WebsiteChat.identify({name: 'Grace Hopper', email: 'grace@example.com',"
                " phone: '+1 555 0100', customData: {plan: 'team'}, userId: 'u-42'})"
            )
        assert (await answer.value).status == 200
        assert posts[-1]["identify"]["user_id"] == "u-42" and posts[-1]["visitor_key"] == vk
        await frame_until(panel, f"window.__posted.filter((t) => t === 'sitechat:init').length > {inits}")
        got = (await profile(server, host_site, site["id"], vk))["visitor"]
        assert (got["name"], got["email"], got["phone"]) == (
            "Grace Hopper",
            "grace@example.com",
            "+1 555 0100",
        )
        assert got["custom_data"] == {"plan": "team"}
        # Same visitor all along: the key did not change.
        assert await v.vk(site["id"]) == vk
        assert len(v.warnings) == 2 and not v.errors, (v.warnings, v.errors)


async def test_verified_identify_from_the_page_and_a_forged_one_refused(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    """With identity verification required, a forged userHash is refused with one warning
    and the widget goes on; the right one (computed as the site's server would) verifies
    the visitor."""
    site = await make_site(server, settings={"behavior": {"require_verification": True}})
    async with Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        r = await owner.post(f"/api/v1/websites/{site['id']}/identity-secret")
        assert r.status_code == 201, r.text
        secret = r.json()["secret"]
    good = hmac.new(secret.encode(), b"u-77", hashlib.sha256).hexdigest()
    url = host_site.page("verified.html", "<h1>Account</h1>" + site["snippet"])
    async with open_visitor(browser) as v:
        posts = config_posts(v.page)
        await v.page.goto(url)
        await v.launcher.wait_for()
        async with config_response(v.page) as refused:
            await v.page.evaluate(
                "WebsiteChat.identify({email: 'eve@example.com', userId: 'u-77', userHash: '00'.repeat(32)})"
            )
        assert (await refused.value).status == 403
        await until(lambda: len(v.warnings) == 1)
        assert v.warnings[0].startswith("[sitechat] identify:"), v.warnings
        await v.launcher.click()
        await v.frame.wait_for(state="visible")
        vk = await v.vk(site["id"])
        assert vk and (await profile(server, host_site, site["id"], vk))["visitor"]["email"] is None

        async with config_response(v.page) as answer:
            await v.page.evaluate(
                "WebsiteChat.identify({email: 'ann@example.com', name: 'Ann', userId: 'u-77',"
                f" userHash: '{good}'}})"
            )
        assert (await answer.value).status == 200
        assert posts[-1]["identify"]["user_hash"] == good
        vk = await v.vk(site["id"])
        async with Api(server.url) as owner:
            await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
            visitor_id = (await profile(server, host_site, site["id"], vk))["visitor_id"]
            got = (await owner.get(f"/api/v1/visitors/{visitor_id}")).json()
        assert (got["email"], got["verified"], got["state"], got["user_id"]) == (
            "ann@example.com",
            True,
            "verified",
            "u-77",
        )
        assert len(v.warnings) == 1 and not v.errors, (v.warnings, v.errors)


# ---- unread badge and sound ------------------------------------------------------------


@pytest.mark.browser
async def test_agent_reply_while_closed_raises_badge_and_chimes(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(server)
    url = host_site.page(
        "badge.html",
        "<h1>Shop</h1><script>window.seen = [];</script>" + site["snippet"],
    )
    async with agent_online(server, site["id"]) as agent_token, open_visitor(browser) as v:
        await v.page.goto(url)
        await v.launcher.wait_for()
        assert await v.frame.count() == 0  # no conversation yet: no panel before the first open

        # The visitor asks, closes the panel and goes on to another page.
        await v.launcher.click()
        panel = await panel_frame(v)
        composer = panel.get_by_test_id("composer")
        await composer.fill("Do you ship to Norway?")
        await composer.press("Enter")
        await panel.locator("[data-testid=message][data-pending=true]").wait_for(state="detached")
        await v.launcher.click()
        await v.page.reload()
        await v.page.evaluate(
            "WebsiteChat.on('unread-count', (n) => seen.push('unread ' + n));"
            "WebsiteChat.on('message', (m) => seen.push(m.sender.kind + ': ' + m.body));"
        )
        # With an open conversation the panel is there at once, hidden, so that replies reach it.
        await v.frame.wait_for(state="attached")
        assert not await v.frame.is_visible()
        panel = await panel_frame(v)
        # The visitor reads on (a click on the page: browsers play sound only after one).
        await v.page.get_by_role("heading", name="Shop").click()
        badge = v.page.get_by_test_id("sitechat-unread")
        assert not await badge.is_visible()

        async with Api(server.url) as agent:
            agent.use_token(agent_token)
            r = await agent.get("/api/v1/conversations", params={"website_id": site["id"]})
            (conv,) = r.json()["items"]
            send = f"/api/v1/conversations/{conv['id']}/messages"
            assert (await agent.post(send, json={"body": "Yes, we do!"})).status_code == 201
            await badge.wait_for(state="visible")
            assert await badge.inner_text() == "1"
            assert await v.launcher.get_attribute("aria-label") == "Open chat, 1 unread message"
            # (The first reply may have come with the history; this one is surely live.)
            chimes = await v.page.evaluate("window.__chimes")
            assert (await agent.post(send, json={"body": "Next week."})).status_code == 201
            await v.page.wait_for_function(
                "document.querySelector('sitechat-widget').shadowRoot.querySelector('.u').textContent === '2'"
            )
        assert await v.launcher.get_attribute("aria-label") == "Open chat, 2 unread messages"
        await v.page.wait_for_function(f"window.__chimes > {chimes}")
        await v.page.wait_for_function("seen.includes('agent: Next week.') && seen.includes('unread 2')")

        # Opening the panel reads the replies: the badge goes.
        await v.launcher.click()
        await panel.get_by_test_id("message").filter(has_text="Next week.").wait_for()
        await badge.wait_for(state="hidden")
        await v.page.wait_for_function("seen.includes('unread 0')")
        assert await v.launcher.get_attribute("aria-label") == "Close chat"
        assert not v.errors, v.errors


# ---- robustness on real pages ------------------------------------------------------------

HOSTILE_CSS = """<style>
* { all: unset !important; }
html { font-size: 40px !important; }
body { font: 40px/3 serif !important; color: #0a0 !important; }
div { display: none !important; }
button, iframe, svg, span, img { display: block !important; position: static !important;
  width: 600px !important; height: 12px !important; background: red !important;
  transform: rotate(3deg) !important; }
sitechat-widget { display: none !important; position: absolute !important; transform: scale(0.1) !important; }
</style>"""
PAGE_BODY = """<main id="main"><p id="probe">Our products</p><button id="buy">Buy</button>
<div id="secret">hidden by the page</div></main>"""
STYLE_PROBE = """(() => {
  const props = ['display', 'font-size', 'font-family', 'color', 'width', 'height', 'margin-top',
    'position', 'background-color', 'transform', 'line-height'];
  const out = {};
  for (const sel of ['html', 'body', '#main', '#probe', '#buy', '#secret']) {
    const cs = getComputedStyle(document.querySelector(sel));
    out[sel] = props.map((p) => cs.getPropertyValue(p)).join('|');
  }
  out.sheets = document.styleSheets.length + '/' + document.adoptedStyleSheets.length;
  return out;
})()"""


@pytest.mark.browser
async def test_hostile_page_css_does_not_break_the_launcher_and_ours_does_not_leak(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(server)
    url = host_site.page("hostile.html", HOSTILE_CSS + PAGE_BODY + site["snippet"])
    async with open_visitor(browser, viewport={"width": 1280, "height": 720}) as v:
        # The page as it is without us (the loader held back), then with the widget.
        release = asyncio.Event()

        async def hold(route: Any) -> None:
            await release.wait()
            await route.continue_()

        await v.page.route("**/widget/loader.js*", hold)
        await v.page.goto(url, wait_until="domcontentloaded")
        before = await v.page.evaluate(STYLE_PROBE)
        release.set()
        await v.launcher.wait_for()

        box = await v.launcher.bounding_box()
        assert box is not None
        assert (box["width"], box["height"]) == (56, 56), box
        assert (box["x"] + 56, box["y"] + 56) == (1280 - 20, 720 - 20), box
        looks = await v.launcher.evaluate(
            "(b) => { const cs = getComputedStyle(b);"
            " const svg = b.querySelector('svg').getBoundingClientRect();"
            " return [cs.backgroundColor, cs.borderRadius, cs.transform, svg.width, svg.height]; }"
        )
        assert looks == [INDIGO, "50%", "none", 24, 24], looks

        # Clickable (nothing of the page's covers it) and the panel it opens is the right size.
        await v.launcher.click()
        await v.frame.wait_for(state="visible")
        frame_box = await v.frame.bounding_box()
        assert frame_box is not None
        assert (frame_box["width"], frame_box["height"]) == (370, 600), frame_box
        assert frame_box["x"] + 370 == 1280 - 20, frame_box

        # Our styles stayed in the shadow root: the page's own elements look exactly as before.
        assert await v.page.evaluate(STYLE_PROBE) == before
        assert not v.errors, v.errors


def strict_csp(server_url: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {server_url}",
            f"connect-src {server_url}",
            f"frame-src {server_url}",
            f"style-src {server_url}",
            f"img-src {server_url}",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


@pytest.mark.browser
@pytest.mark.parametrize("constructable", [True, False], ids=["constructed-sheet", "link-fallback"])
async def test_strict_csp_page(
    server: Any, browser: Browser, host_site: HostSite, constructable: bool
) -> None:
    """No unsafe-inline, no unsafe-eval, only the sitechat origin: the docs' CSP is enough,
    with constructable stylesheets and with the <link> fallback older Safari takes."""
    site = await make_site(server, {"appearance": {"color": "#0F766E"}})
    loader = f"{server.url}/widget/loader.js?id={site['id']}"
    url = host_site.page(
        f"csp-{constructable}.html",
        f"<h1>Strict</h1><script async src='{loader}'></script>",
        headers={"Content-Security-Policy": strict_csp(server.url)},
    )
    async with agent_online(server, site["id"]), open_visitor(browser) as v:
        if not constructable:
            await v.ctx.add_init_script(
                "if (window === window.top) delete ShadowRoot.prototype.adoptedStyleSheets;"
            )
        await v.page.goto(url)
        await v.launcher.wait_for()
        uses_link = await v.page.evaluate(
            "!!document.querySelector('sitechat-widget').shadowRoot.querySelector('link[rel=stylesheet]')"
        )
        assert uses_link is not constructable
        box = await v.launcher.bounding_box()
        assert box is not None and (box["width"], box["height"]) == (56, 56), box
        assert await v.launcher.evaluate("(b) => getComputedStyle(b).backgroundColor") == "rgb(15, 118, 110)"

        # The whole chat works: open, write, the server acknowledges.
        await v.launcher.click()
        panel = v.page.frame_locator("[data-testid=sitechat-panel]")
        composer = panel.get_by_test_id("composer")
        await composer.fill("Hello from a strict page")
        await composer.press("Enter")
        await panel.get_by_test_id("message").filter(has_text="Hello from a strict page").wait_for()
        await panel.locator("[data-testid=message][data-pending=true]").wait_for(state="detached")

        # track() events go out too.
        async with v.page.expect_response(lambda r: r.url.endswith("/events")) as recorded:
            await v.page.evaluate("WebsiteChat.track('strict page')")
        assert (await recorded.value).status == 202

        # No violation anywhere: not on the page, not in the panel.
        violations = []
        for f in v.page.frames:
            violations += await f.evaluate("window.__csp")
        refused = [c for c in v.console if "Content Security Policy" in c or "Refused to" in c]
        assert not violations and not refused, (violations, refused)
        assert not v.errors, v.errors


@pytest.mark.browser
async def test_mobile_viewport_panel_is_full_screen(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(server)
    url = host_site.page(
        "mobile.html",
        "<h1>Shop</h1>" + site["snippet"],
        head="<meta name='viewport' content='width=device-width, initial-scale=1'>",
    )
    async with open_visitor(
        browser, viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True, device_scale_factor=2
    ) as v:
        await v.page.goto(url)
        await v.launcher.tap()
        await v.frame.wait_for(state="visible")
        await v.page.wait_for_timeout(300)  # the opening transition
        assert await v.frame.bounding_box() == {"x": 0, "y": 0, "width": 375, "height": 667}
        # The panel covers the screen; its own close button closes it.
        assert not await v.launcher.is_visible()
        panel = v.page.frame_locator("[data-testid=sitechat-panel]")
        await panel.get_by_test_id("close").tap()
        await v.launcher.wait_for(state="visible")
        box = await v.launcher.bounding_box()
        assert box is not None and (box["x"], box["y"]) == (375 - 20 - 56, 667 - 20 - 56), box
        await v.frame.wait_for(state="hidden")


# ---- the rest of the API -------------------------------------------------------------------


@pytest.mark.browser
async def test_keyboard_focus_labels_locale_show_hide_and_events(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(server)
    url = host_site.page(
        "keyboard.html",
        "<a id='first' href='#'>Home</a><script>window.log = [];</script>" + site["snippet"],
    )
    async with open_visitor(browser, locale="en-US") as v:
        await v.page.goto(url)
        await v.launcher.wait_for()
        await v.page.evaluate(
            "window.onOpen = () => log.push('open');"
            "WebsiteChat.on('open', onOpen); WebsiteChat('on', 'close', () => log.push('close'));"
        )
        assert await v.launcher.get_attribute("aria-label") == "Open chat"
        assert await v.launcher.get_attribute("aria-expanded") == "false"

        # Keyboard: Tab reaches the launcher, Enter opens, focus moves into the panel.
        await v.page.focus("#first")
        await v.page.keyboard.press("Tab")
        assert await v.shadow_focus() == "BUTTON"
        await v.page.keyboard.press("Enter")
        await v.frame.wait_for(state="visible")
        assert await v.shadow_focus() == "IFRAME"
        assert await v.launcher.get_attribute("aria-label") == "Close chat"
        assert await v.launcher.get_attribute("aria-expanded") == "true"
        panel = await panel_frame(v)
        await panel.get_by_test_id("close").wait_for()
        await frame_until(panel, "document.hasFocus()")
        # Escape in the panel closes it; focus comes back to the launcher.
        await v.page.keyboard.press("Escape")
        await v.frame.wait_for(state="hidden")
        assert await v.shadow_focus() == "BUTTON"
        assert await v.page.evaluate("log") == ["open", "close"]

        # setLocale: the launcher's labels, and the panel is told.
        await v.page.evaluate("WebsiteChat.setLocale('fr')")
        assert await v.launcher.get_attribute("aria-label") == "Ouvrir le chat"
        await frame_until(panel, "window.__posted.includes('sitechat:locale')")
        await v.page.evaluate("WebsiteChat('setLocale', 'de-AT')")
        assert await v.launcher.get_attribute("aria-label") == "Chat öffnen"

        # hide() hides the launcher; open() still works (a site's own "Chat with us" button).
        await v.page.evaluate("WebsiteChat.hide()")
        await v.launcher.wait_for(state="hidden")
        await v.page.evaluate("WebsiteChat.open()")
        await v.frame.wait_for(state="visible")
        await v.page.evaluate("WebsiteChat.toggle()")
        await v.frame.wait_for(state="hidden")
        await v.page.evaluate("WebsiteChat.show()")
        await v.launcher.wait_for(state="visible")
        # off(): that handler is gone, the other one stays.
        await v.page.evaluate("WebsiteChat.off('open', onOpen); WebsiteChat.open(); WebsiteChat.close()")
        assert await v.page.evaluate("log") == ["open", "close", "open", "close", "close"]
        assert not v.warnings and not v.errors, (v.warnings, v.errors)


@pytest.mark.browser
async def test_greeting_bubble_and_appearance_from_settings(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(
        server,
        {
            "appearance": {
                "color": "#FACC15",
                "position": "left",
                "welcome": "Need a hand? Ask us.",
                "logo_url": "https://logo.example/acme.png",
            },
            "behavior": {"auto_greet": True, "greet_delay_ms": 1500},
        },
    )
    url = host_site.page("greet.html", "<h1>Shop</h1>" + site["snippet"])
    async with open_visitor(browser, viewport={"width": 1000, "height": 700}) as v:
        await v.page.goto(url)
        await v.launcher.wait_for()
        box = await v.launcher.bounding_box()
        assert box is not None and box["x"] == 20, box
        colours = await v.launcher.evaluate(
            "(b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]"
        )
        # A light colour gets dark text on it.
        assert colours == ["rgb(250, 204, 21)", "rgb(17, 24, 39)"], colours

        greeting = v.page.get_by_test_id("sitechat-greeting")
        assert not await greeting.is_visible()
        await greeting.wait_for(state="visible")
        assert "Need a hand? Ask us." in await greeting.inner_text()
        await v.page.wait_for_function(
            "document.querySelector('sitechat-widget').shadowRoot"
            ".querySelector('[data-testid=sitechat-greeting] img').naturalWidth > 0"
        )
        await greeting.get_by_text("Need a hand? Ask us.").click()
        await v.frame.wait_for(state="visible")
        assert not await greeting.is_visible()

        # Greeted once per visit: not again on the next page.
        await v.page.reload()
        await v.launcher.wait_for()
        await v.page.wait_for_timeout(2000)
        assert not await greeting.is_visible()

    # Another visitor dismisses it; the settings change applies without a new snippet.
    async with open_visitor(browser, viewport={"width": 1000, "height": 700}) as v:
        await v.page.goto(url)
        greeting = v.page.get_by_test_id("sitechat-greeting")
        await greeting.wait_for(state="visible")
        dismiss = greeting.get_by_role("button", name="Dismiss")
        await dismiss.click()
        await greeting.wait_for(state="hidden")
        assert await v.shadow_focus() == "BUTTON"
        assert await v.frame.count() == 0

        async with Api(server.url) as owner:
            await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
            await owner.update_settings(site["id"], {"appearance": {"color": "#0F766E", "position": "right"}})
        await v.page.reload()
        await v.launcher.wait_for()
        box = await v.launcher.bounding_box()
        assert box is not None and box["x"] == 1000 - 20 - 56, box
        colours = await v.launcher.evaluate(
            "(b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]"
        )
        assert colours == ["rgb(15, 118, 110)", "rgb(255, 255, 255)"], colours
        assert not v.errors, v.errors


@pytest.mark.browser
async def test_consent_and_reset(server: Any, browser: Browser, host_site: HostSite) -> None:
    site = await make_site(server, {"behavior": {"require_consent": True}})
    url = host_site.page("consent.html", "<h1>Shop</h1><script>window.ready = 0;</script>" + site["snippet"])
    async with open_visitor(browser) as v:
        await v.page.goto(url)
        await v.launcher.wait_for()
        # Nothing stored on the page before consent, even after using the widget.
        await v.launcher.click()
        await v.frame.wait_for(state="visible")
        panel = await panel_frame(v)
        await frame_until(panel, "window.__posted.includes('sitechat:init')")
        await v.launcher.click()
        await v.frame.wait_for(state="hidden")
        assert await v.page.evaluate("localStorage.length + sessionStorage.length") == 0

        await v.page.evaluate("WebsiteChat.consent(true)")
        vk = await v.vk(site["id"])
        assert vk
        async with config_response(v.page):
            await v.page.evaluate("WebsiteChat.identify({name: 'Ada'})")
        assert (await profile(server, host_site, site["id"], vk))["visitor"]["name"] == "Ada"

        # reset(): the panel goes, a new anonymous visitor starts (e.g. after a logout).
        async with config_response(v.page):
            await v.page.evaluate("WebsiteChat.reset()")
        await v.frame.wait_for(state="detached", timeout=3000)
        assert await v.launcher.get_attribute("aria-expanded") == "false"
        new_vk = await v.vk(site["id"])
        assert new_vk and new_vk != vk
        fresh = await profile(server, host_site, site["id"], new_vk)
        assert fresh["visitor"]["name"] in ("", None)
        assert (await profile(server, host_site, site["id"], vk))["visitor"]["name"] == "Ada"
        # It still works for the new visitor.
        await v.launcher.click()
        await v.frame.wait_for(state="visible")

        # consent(false) removes what we stored; the next page stores nothing without consent.
        await v.page.evaluate("WebsiteChat.consent(false)")
        assert await v.vk(site["id"]) is None
        await v.page.reload()
        await v.launcher.wait_for()
        assert await v.vk(site["id"]) is None
        assert not v.warnings and not v.errors, (v.warnings, v.errors)


WRONG_CALLS = [
    ("WebsiteChat('nope')", "nope"),
    ("WebsiteChat()", "unknown command"),
    ("websiteChat.push(['bogus', 1])", "bogus"),
    ("WebsiteChat.identify('ada@example.com')", "identify"),
    ("WebsiteChat.identify({mail: 'ada@example.com'})", "mail"),
    ("WebsiteChat.identify({customData: {nested: {a: 1}}})", "customData.nested"),
    ("WebsiteChat.on('opened', () => {})", "opened"),
    ("WebsiteChat.on('open', 'not a function')", "function"),
    ("WebsiteChat.off('close')", "function"),
    ("WebsiteChat.track('')", "track"),
    ("WebsiteChat.track('sign up!')", "track"),
    ("WebsiteChat.track('signup', 'pro plan')", "data"),
    ("WebsiteChat.track('signup', {tags: ['a', 'b']})", "data.tags"),
    ("WebsiteChat.setLocale(42)", "setLocale"),
    ("WebsiteChat.setLocale('not a locale')", "setLocale"),
    ("WebsiteChat.consent('yes')", "consent"),
]


@pytest.mark.browser
async def test_wrong_calls_warn_once_each_and_break_nothing(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(server)
    url = host_site.page("wrong.html", "<h1>Shop</h1><script>window.log = [];</script>" + site["snippet"])
    async with open_visitor(browser) as v:
        posts = config_posts(v.page)
        await v.page.goto(url)
        await v.launcher.wait_for()
        # A tag manager's own events in the queue are not commands: silence.
        await v.page.evaluate("websiteChat.push({event: 'gtm.click'})")
        for call, expect in WRONG_CALLS:
            before = len(v.warnings)
            await v.page.evaluate(call)
            new = v.warnings[before:]
            assert len(new) == 1, (call, new)
            assert expect in new[0], (call, new[0])
        assert len(posts) == 1  # no bad identify went to the server
        # Good track() calls are quiet, batched, and recorded by the server.
        async with v.page.expect_response(lambda r: r.url.endswith("/events")) as recorded:
            await v.page.evaluate(
                "WebsiteChat.track('signup', {plan: 'pro', seats: 3}); WebsiteChat('track', 'checkout')"
            )
        response = await recorded.value
        assert response.status == 202
        answer = await response.json()
        assert {k: answer[k] for k in ("recorded", "has_open_conversation")} == {
            "recorded": 2,
            "has_open_conversation": False,
        }
        sent = json.loads(response.request.post_data or "{}")
        assert sent["events"] == [
            {"type": "custom", "name": "signup", "data": {"plan": "pro", "seats": 3}},
            {"type": "custom", "name": "checkout", "data": {}},
        ]
        assert sent["visitor_key"] == await v.vk(site["id"])
        assert len(v.warnings) == len(WRONG_CALLS)
        # Nothing broke.
        await v.page.evaluate("WebsiteChat.on('open', () => log.push('open')); WebsiteChat('open')")
        await v.frame.wait_for(state="visible")
        assert await v.page.evaluate("log") == ["open"]
        assert not v.errors, v.errors


# ---- delivery: sizes and caching ---------------------------------------------------------------


async def raw_get(
    http: httpx.AsyncClient, path: str, encoding: str, **headers: str
) -> tuple[httpx.Response, bytes]:
    """The response and the bytes as transferred (not decoded)."""
    async with http.stream("GET", path, headers={"Accept-Encoding": encoding, **headers}) as r:
        body = b"".join([chunk async for chunk in r.aiter_raw()])
    return r, body


async def test_widget_files_are_small_compressed_and_cached(server: Any) -> None:
    site = await make_site(server)
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
        loader = (await http.get("/widget/loader.js")).text
        launcher_js = re.search(r"widget/launcher-[A-Z0-9]{8}\.js", loader)
        assert launcher_js, "the loader names the hashed launcher"
        launcher = (await http.get("/static/" + launcher_js[0])).text
        launcher_css = re.search(r"widget/launcher-[A-Z0-9]{8}\.css", launcher)
        assert launcher_css, "the launcher names its hashed stylesheet"
        panel_html = (await http.get("/widget/panel", params={"website_id": site["id"]})).text
        panel_files = re.findall(r"/static/(widget/panel-[A-Z0-9]{8}\.(?:js|css))", panel_html)
        assert len(panel_files) == 2, panel_html

        sizes: dict[str, dict[str, int]] = {}
        for path in ["/widget/loader.js", "/static/" + launcher_js[0], "/static/" + launcher_css[0]] + [
            "/static/" + p for p in panel_files
        ]:
            sizes[path] = {}
            for encoding in ("gzip", "br"):
                r, body = await raw_get(http, path, encoding)
                assert r.status_code == 200, (path, r.status_code)
                assert r.headers["content-encoding"] == encoding, (path, r.headers)
                assert "accept-encoding" in r.headers.get("vary", "").lower(), (path, r.headers)
                assert r.headers["access-control-allow-origin"] == "*"
                kind = "javascript" if path.endswith(".js") else "css"
                assert r.headers["content-type"].startswith(f"text/{kind}"), r.headers
                sizes[path][encoding] = len(body)
                cache = r.headers["cache-control"]
                if path == "/widget/loader.js":
                    assert "max-age=300" in cache and "immutable" not in cache, cache
                else:
                    assert "max-age=31536000" in cache and "immutable" in cache, cache
                # Revalidation: the ETag answers 304 with no body.
                etag = r.headers["etag"]
                again, body304 = await raw_get(http, path, encoding, **{"If-None-Match": etag})
                assert again.status_code == 304 and body304 == b"", (path, again.status_code)

        def total(encoding: str, *parts: str) -> int:
            return sum(v[encoding] for k, v in sizes.items() if any(p in k for p in parts))

        for enc in ("gzip", "br"):
            assert total(enc, "loader.js") <= 2048, sizes
            assert total(enc, "loader.js", "launcher-") <= 10 * 1024, sizes
            assert total(enc, "panel-") <= 25 * 1024, sizes


BLOCK_IFRAME_STORAGE = """
if (window !== window.top) {
  for (const name of ['localStorage', 'sessionStorage']) {
    Object.defineProperty(window, name, {
      configurable: true,
      get() { throw new DOMException('third-party storage is blocked', 'SecurityError'); },
    });
  }
}
"""


@pytest.mark.browser
async def test_host_page_keeps_the_panels_state_when_its_own_storage_is_blocked(
    server: Any, browser: Browser, host_site: HostSite
) -> None:
    """Browsers that block third-party storage: the panel's entries live in the host page's
    storage (sitechat:store / panel_state), so e.g. muting survives a reload."""
    site = await make_site(server)
    url = host_site.page("blocked.html", "<h1>Shop</h1>" + site["snippet"])
    key = f"sitechat:{site['id']}:panel"
    async with open_visitor(browser) as v:
        await v.ctx.add_init_script(BLOCK_IFRAME_STORAGE)
        await v.page.goto(url)
        await v.launcher.click()
        panel = await panel_frame(v)
        assert await panel.evaluate("(() => { try { localStorage; return false } catch { return true } })()")
        mute = panel.get_by_test_id("mute")
        await mute.click()
        assert await mute.get_attribute("aria-pressed") == "true"
        # The host's copy is written after each change: wait for the one that has the mute,
        # not merely for the first copy (written when the panel opened).
        muted_key = f"sitechat:{site['id']}:muted"
        await v.page.wait_for_function(
            f"(JSON.parse(localStorage.getItem('{key}') || '{{}}')['{muted_key}']) === 'true'"
        )

        await v.page.reload()
        await v.launcher.click()
        panel = await panel_frame(v)
        mute = panel.get_by_test_id("mute")
        await mute.wait_for()
        assert await mute.get_attribute("aria-pressed") == "true"

        # reset() forgets it along with the visitor.
        await v.page.evaluate("WebsiteChat.reset()")
        assert await v.page.evaluate(f"localStorage.getItem('{key}')") is None
        assert not v.errors, v.errors
