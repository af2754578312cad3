"""The console's alerts in headless Chromium: a desktop notification, a sound, a badged
favicon and a blinking title while the tab is hidden; temporary mute, quiet hours and a
muted conversation each silence them, and alerts come back afterwards."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support import clients
from tests.support.clients import Api

# Records what the page asks of the browser: Notification (permission itself is granted
# through the context), oscillators started (sounds), and a switch for page visibility.
INIT = """
(() => {
  window.__notes = [];
  window.__sounds = 0;
  const Real = window.Notification;
  class RecordingNotification {
    constructor(title, options) {
      this.title = title;
      this.options = options || {};
      this.onclick = null;
      window.__notes.push(this);
    }
    close() {}
    static get permission() { return Real.permission; }
    static requestPermission() { return Real.requestPermission(); }
  }
  window.Notification = RecordingNotification;
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) {
    window.__sounds += 1;
    return start.apply(this, args);
  };
  let hidden = false;
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get() { return hidden; } });
  Object.defineProperty(Document.prototype, "visibilityState", {
    configurable: true, get() { return hidden ? "hidden" : "visible"; },
  });
  window.__setHidden = (h) => { hidden = h; document.dispatchEvent(new Event("visibilitychange")); };
})();
"""


async def _state(page: Page) -> dict[str, Any]:
    return dict(
        await page.evaluate(
            """() => ({
                notes: window.__notes.map(n => ({title: n.title, body: n.options.body, tag: n.options.tag,
                                                 icon: n.options.icon})),
                sounds: window.__sounds,
                title: document.title,
                icon: document.querySelector("link[rel~='icon']")?.href || "",
                count: document.querySelector("link[rel~='icon']")?.dataset.count || "",
            })"""
        )
    )


async def _alerted(page: Page, before: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        now = await _state(page)
        if len(now["notes"]) > len(before["notes"]):
            return now
        await asyncio.sleep(0.05)
    raise AssertionError(f"no desktop notification; state {await _state(page)}")


async def _until(page: Page, predicate: str, timeout: float = 5.0) -> None:
    """Poll from here: the console's CSP forbids the eval wait_for_function relies on."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await page.evaluate(predicate):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {timeout}s: {predicate}")
        await asyncio.sleep(0.05)


async def _silent(page: Page, before: dict[str, Any], seconds: float = 1.2) -> None:
    await asyncio.sleep(seconds)
    now = await _state(page)
    assert len(now["notes"]) == len(before["notes"]) and now["sounds"] == before["sounds"], now
    assert not now["title"].startswith("("), now["title"]


async def _visitor_writes(server, site_id: str, body: str) -> tuple[Any, str]:
    vis, _cfg, _ = await clients.visitor(server.url, site_id)
    conv = (await vis.send_message(body))["conversation_id"]
    return vis, str(conv)


@pytest.mark.browser
async def test_alerts_in_the_console_and_do_not_disturb(server, browser: Browser, owner: Api) -> None:
    site = await owner.create_website()
    info, password, token = await owner.create_agent([site["id"]], name="Ada Agent")
    ctx = await browser.new_context(permissions=["notifications"])
    ctx.set_default_timeout(10_000)
    await ctx.add_init_script(INIT)
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{server.url}/console")
    await page.get_by_test_id("login-email").fill(info["email"])
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()
    await page.get_by_test_id("conversation-list").wait_for(state="attached")
    await expect(page.get_by_test_id("notify-bell")).to_be_visible()
    original = await page.title()
    await page.wait_for_timeout(300)  # the alerts socket says hello

    # Hidden tab: a new conversation notifies, rings, badges and blinks.
    await page.evaluate("window.__setHidden(true)")
    before = await _state(page)
    vis, conv = await _visitor_writes(
        server, site["id"], "Hi! <img src=x onerror=alert(1)> Is the shop open?"
    )
    now = await _alerted(page, before)
    note = now["notes"][-1]
    assert note["title"] == "New conversation: A visitor" or note["title"].startswith("New conversation")
    assert note["body"] == "Hi! <img src=x onerror=alert(1)> Is the shop open?"
    assert note["tag"] == f"sitechat:{conv}" and note["icon"].startswith("data:image/png")
    assert now["sounds"] > before["sounds"]
    assert now["icon"].startswith("data:image/png") and now["count"] == "1"
    await _until(page, "() => document.title.startsWith('(1) New Messages - ')")
    await _until(page, f"() => document.title === {original!r}")  # it blinks
    # The agent comes back: the blinking stops; clicking the notification opens the conversation.
    await page.evaluate("window.__setHidden(false)")
    await page.wait_for_timeout(1100)
    assert await page.title() == original
    await page.evaluate("window.__notes[window.__notes.length - 1].onclick()")
    await expect(page.get_by_test_id("conversation-mute")).to_be_visible()
    await _until(page, "() => document.querySelector(\"link[rel~='icon']\").dataset.count === '0'")

    # Temporary mute from the bell: silent; unmuted: alerts again.
    await page.get_by_test_id("notify-bell").click()
    await page.get_by_test_id("mute-30").click()
    await expect(page.get_by_test_id("notify-bell")).to_contain_text("🔕")
    await page.evaluate("window.__setHidden(true)")
    before = await _state(page)
    v2, _ = await _visitor_writes(server, site["id"], "while muted")
    await _silent(page, before)
    await page.evaluate("window.__setHidden(false)")
    await page.get_by_test_id("notify-bell").click()
    await page.get_by_test_id("unmute").click()
    await expect(page.get_by_test_id("notify-bell")).to_contain_text("🔔")
    await page.evaluate("window.__setHidden(true)")
    before = await _state(page)
    v3, _ = await _visitor_writes(server, site["id"], "after the mute")
    assert (await _alerted(page, before))["notes"][-1]["body"] == "after the mute"

    # Quiet hours covering now: silent; switched off: alerts again.
    async with Api(server.url) as api:
        api.use_token(token)
        now_utc = datetime.now(UTC)
        quiet = {
            "enabled": True,
            "start": (now_utc - timedelta(hours=1)).strftime("%H:%M"),
            "end": (now_utc + timedelta(hours=1)).strftime("%H:%M"),
        }
        r = await api.http.put("/api/v1/notifications/preferences", json={"quiet_hours": quiet})
        assert r.status_code == 200, r.text
        before = await _state(page)
        v4, _ = await _visitor_writes(server, site["id"], "during quiet hours")
        await _silent(page, before)
        r = await api.http.put("/api/v1/notifications/preferences", json={})
        assert r.status_code == 200, r.text
    before = await _state(page)
    v5, _ = await _visitor_writes(server, site["id"], "after quiet hours")
    assert (await _alerted(page, before))["notes"][-1]["body"] == "after quiet hours"

    # One conversation muted from its header: only it is silent, until unmuted.
    await page.evaluate("window.__setHidden(false)")
    mute = page.get_by_test_id("conversation-mute")
    await expect(mute).to_have_attribute("aria-pressed", "false")
    await mute.click()
    await expect(mute).to_have_attribute("aria-pressed", "true")
    await page.evaluate("window.__setHidden(true)")
    before = await _state(page)
    await vis.send_message("a muted conversation speaks")
    await _silent(page, before)
    await page.evaluate("window.__setHidden(false)")
    await mute.click()
    await expect(mute).to_have_attribute("aria-pressed", "false")
    await page.evaluate("window.__setHidden(true)")
    before = await _state(page)
    await vis.send_message("heard again")
    assert (await _alerted(page, before))["notes"][-1]["body"] == "heard again"

    # The preferences panel saves to the server (so every device of the agent agrees).
    await page.evaluate("window.__setHidden(false)")
    await page.get_by_test_id("notify-bell").click()
    await page.get_by_test_id("notify-prefs-open").click()
    panel = page.get_by_role("dialog", name="Notifications")
    await expect(panel).to_be_visible()
    await panel.get_by_test_id("pref-new_message-sound").uncheck()
    await panel.get_by_test_id("quiet-enabled").check()
    await panel.get_by_test_id("pref-timezone").select_option("Europe/Paris")
    await panel.get_by_test_id("notify-prefs-save").click()
    await expect(panel).to_be_hidden()
    async with Api(server.url) as api:
        api.use_token(token)
        saved = (await api.get("/api/v1/notifications/preferences")).json()
    assert saved["customized"] is True and saved["events"]["new_message"]["sound"] is False
    assert saved["quiet_hours"]["enabled"] is True and saved["timezone"] == "Europe/Paris"

    # The service worker registers with the console's scope.
    scope = await page.evaluate(
        "navigator.serviceWorker.register('/console/sw.js', {scope: '/console'}).then(r => r.scope)"
    )
    assert scope == f"{server.url}/console"

    assert errors == []
    for v in (vis, v2, v3, v4, v5):
        await v.close()
    await ctx.close()
