"""Working the queue in real browsers: two agents see the same state live (a note, a
resolve, a snooze), filters and search, a draft kept across switching and a reload, and
the `?` shortcuts overlay."""

from __future__ import annotations

import secrets

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.panel_support import AXE
from tests.support import clients
from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD


async def _console(browser: Browser, server, email: str, password: str) -> Page:
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(f"{server.url}/console")
    await page.get_by_test_id("login-email").fill(email)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()
    await page.get_by_test_id("conversation-list").wait_for(state="attached")
    return page


async def _serious_axe_violations(page: Page) -> list[str]:
    if not await page.evaluate("() => typeof axe !== 'undefined'"):
        await page.evaluate(AXE.read_text())
    found = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)"""
    )
    return list(found)


def _row(page: Page, conv_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f"[data-testid=conversation-item][data-conversation-id='{conv_id}']")


@pytest.mark.browser
async def test_two_agents_work_the_queue_live(server, browser: Browser) -> None:
    tag = secrets.token_hex(3)
    async with Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        site = await owner.create_website(name="Queue " + tag)
        agents = []
        for _ in range(2):
            agent, password, _token = await owner.create_agent([site["id"]])
            agents.append((agent["email"], password))

    visitors = []
    for name, body in (
        (f"Ann {tag}", f"Where is parcel {tag}-4711?"),
        (f"Bob {tag}", "Do you ship to Norway?"),
    ):
        sock, _cfg, _ = await clients.visitor(server.url, site["id"])
        await sock.send({"type": "profile.update", "id": "p", "name": name})
        await sock.expect("profile", id="p")
        conv_id = (await sock.send_message(body))["conversation_id"]
        visitors.append((sock, conv_id))
    (ann_ws, ann), (bob_ws, bob) = visitors

    a = await _console(browser, server, *agents[0])
    b = await _console(browser, server, *agents[1])
    for page in (a, b):
        await _row(page, ann).click()
        await page.get_by_test_id("message").filter(has_text="parcel").wait_for()
    # The visitor sidebar: identification state and past conversations.
    await expect(a.get_by_test_id("visitor-state")).to_have_text("Partly known")
    # The whole inbox (filters, conversation, sidebar) passes axe.
    assert await _serious_axe_violations(a) == []

    # A note, written in note mode (keyboard: n), reaches the other agent live.
    await a.locator("body").click()
    await a.keyboard.press("n")
    await expect(a.get_by_test_id("note-mode")).to_be_checked()
    await a.get_by_test_id("composer").fill("Check the warehouse first")
    await a.get_by_test_id("composer").press("Enter")
    note = b.locator("[data-testid=message][data-note=true]").filter(has_text="Check the warehouse first")
    await note.wait_for()
    assert not [f for f in await ann_ws.quiet(0.5) if "warehouse" in str(f)]

    # The sidebar follows the visitor live: details given in the chat show at once.
    await ann_ws.send({"type": "profile.update", "id": "p2", "email": f"ann.{tag}@example.com"})
    await expect(a.get_by_test_id("visitor-state")).to_have_text("Identified")
    await expect(a.get_by_test_id("visitor-sidebar")).to_contain_text(f"ann.{tag}@example.com")

    # A draft stays with its conversation across switching and a reload.
    await a.get_by_test_id("note-mode").uncheck()
    await a.get_by_test_id("composer").fill("Half-written answer for Ann")
    await a.get_by_test_id("composer").press("Escape")  # leave the text box: keys are shortcuts again
    await a.keyboard.press("j")
    await expect(_row(a, bob)).to_have_attribute("aria-current", "true")
    await expect(a.get_by_test_id("composer")).to_have_value("")
    await a.keyboard.press("k")
    await expect(a.get_by_test_id("composer")).to_have_value("Half-written answer for Ann")
    await a.reload()
    await _row(a, ann).click()
    await expect(a.get_by_test_id("composer")).to_have_value("Half-written answer for Ann")

    # Search (server-side: message text, visitor name) and the assignee filter with counts.
    await a.keyboard.press("/")
    await expect(a.get_by_test_id("search")).to_be_focused()
    await a.keyboard.type("4711")
    await expect(a.get_by_test_id("conversation-item")).to_have_count(1)
    await expect(_row(a, ann)).to_be_visible()
    await a.get_by_test_id("search").fill(f"bob {tag}")
    await expect(a.get_by_test_id("conversation-item")).to_have_count(1)
    await expect(_row(a, bob)).to_be_visible()
    await a.get_by_test_id("search").fill("")
    await expect(a.get_by_test_id("conversation-item")).to_have_count(2)
    await expect(a.get_by_test_id("count-all")).to_contain_text("2")

    # Assign to me (a), resolve (e): the other agent sees both without a reload. (Routing
    # may have given Ann to either agent already: start from unassigned.)
    assign = a.get_by_test_id("assign")
    if await assign.inner_text() == "Unassign":
        await assign.click()
        await expect(assign).to_have_text("Assign to me")
    await b.get_by_test_id("filter-unassigned").click()
    await expect(_row(b, ann)).to_be_visible()
    await a.locator("body").click()
    await a.keyboard.press("a")
    await expect(assign).to_have_text("Unassign")
    await expect(_row(b, ann)).to_have_count(0)
    await b.get_by_test_id("filter-me").click()
    await expect(_row(b, ann)).to_have_count(0)
    await b.get_by_test_id("filter-all").click()
    await _row(b, ann).click()
    await a.keyboard.press("e")
    await expect(b.get_by_test_id("conversation-status")).to_have_text("resolved")

    # Reopen, then snooze for an hour: both consoles show it snoozed, and it leaves the
    # open list for the snoozed one.
    await a.get_by_test_id("reopen").click()
    await expect(b.get_by_test_id("conversation-status")).to_have_text("open")
    await a.locator("body").click()
    await a.keyboard.press("s")
    await a.get_by_test_id("snooze-1h").click()
    await expect(b.get_by_test_id("conversation-status")).to_contain_text("snoozed until")
    await expect(_row(b, ann)).to_have_count(0)
    await b.get_by_test_id("filter-status").select_option("snoozed")
    await expect(_row(b, ann)).to_be_visible()
    await expect(b.get_by_test_id("conversation-item")).to_have_count(1)

    # The shortcuts overlay: a modal dialog that Escape closes.
    await a.keyboard.press("?")
    dialog = a.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("Toggle internal note mode")
    await expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    assert await _serious_axe_violations(a) == []
    await a.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)

    assert not a.errors and not b.errors, (a.errors, b.errors)  # type: ignore[attr-defined]
    for sock in (ann_ws, bob_ws):
        await sock.close()
    await a.context.close()
    await b.context.close()
