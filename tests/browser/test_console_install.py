"""The console's "Install widget" dialog: each website's snippet, ready to copy."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD

CLIPBOARD = ["clipboard-read", "clipboard-write"]


async def _websites_seen_by(server, email: str, password: str) -> dict[str, dict[str, Any]]:
    """GET /api/v1/websites as that user, by id."""
    async with Api(server.url) as api:
        await api.login(email, password)
        r = await api.get("/api/v1/websites")
        assert r.status_code == 200, r.text
        return {w["id"]: w for w in r.json()}


async def _console(
    browser: Browser, server, email: str, password: str, **context: Any
) -> tuple[BrowserContext, Page, list[str]]:
    """A signed-in console page, and the page errors and CSP violations it reports."""
    ctx = await browser.new_context(**context)
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    await page.goto(f"{server.url}/console")
    await page.get_by_test_id("login-email").fill(email)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()
    await page.get_by_test_id("conversation-list").wait_for(state="attached")
    return ctx, page, problems


async def _open_dialog(page: Page):
    opener = page.get_by_role("button", name="Install widget")
    await opener.click()
    dialog = page.get_by_role("dialog", name="Install the chat widget")
    await expect(dialog).to_be_visible()
    # Modal: the rest of the console is inert while it is open.
    assert await dialog.evaluate("d => d.open && d.matches(':modal')")
    return dialog


@pytest.mark.browser
async def test_owner_sees_snippet_copies_it_and_closes_with_escape(server, browser: Browser) -> None:
    async with Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        site = await owner.create_website(
            domains=["shop.example.com", "*.example.org"], name="Shop " + secrets.token_hex(2)
        )
    listed = await _websites_seen_by(server, ADMIN_EMAIL, ADMIN_PASSWORD)
    snippet = listed[site["id"]]["snippet"]
    assert "\n" in snippet and site["id"] in snippet

    ctx, page, problems = await _console(browser, server, ADMIN_EMAIL, ADMIN_PASSWORD, permissions=CLIPBOARD)
    dialog = await _open_dialog(page)

    # An owner sees every website, each with its own snippet.
    entries = dialog.get_by_test_id("install-website")
    await expect(entries).to_have_count(len(listed))
    entry = dialog.locator(f"[data-testid=install-website][data-website-id='{site['id']}']")
    await expect(entry.get_by_role("heading", name=site["name"])).to_be_visible()
    await expect(entry.get_by_test_id("install-domains").locator("li")).to_have_text(
        ["*.example.org", "shop.example.com"]
    )

    box = entry.get_by_role("textbox", name="Install snippet")
    await expect(box).to_be_visible()
    assert await box.get_attribute("data-testid") == "install-snippet"
    assert await box.input_value() == snippet
    await expect(box).not_to_be_editable()
    font = await box.evaluate("el => getComputedStyle(el).fontFamily")
    assert "monospace" in font, font

    copy = entry.get_by_test_id("install-copy")
    await expect(copy).to_have_accessible_name("Copy snippet for " + site["name"])
    await copy.click()
    await expect(copy).to_have_text("Copied snippet for " + site["name"], use_inner_text=False)
    await expect(entry.get_by_role("status")).to_have_text(
        f"Snippet for {site['name']} copied to the clipboard."
    )
    assert await page.evaluate("() => navigator.clipboard.readText()") == snippet
    # "Copied" is only for a moment.
    await expect(copy).to_have_text("Copy snippet for " + site["name"], timeout=5_000)

    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("button", name="Install widget")).to_be_focused()

    assert not problems, problems
    await ctx.close()


@pytest.mark.browser
async def test_agent_sees_only_assigned_website(server, browser: Browser) -> None:
    async with Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        mine = await owner.create_website(domains=["mine.example.com"], name="Mine " + secrets.token_hex(2))
        other = await owner.create_website(
            domains=["other.example.com"], name="Other " + secrets.token_hex(2)
        )
        agent, password, _token = await owner.create_agent([mine["id"]])

    listed = await _websites_seen_by(server, agent["email"], password)
    assert list(listed) == [mine["id"]]

    ctx, page, problems = await _console(browser, server, agent["email"], password, permissions=CLIPBOARD)
    dialog = await _open_dialog(page)

    snippets = dialog.get_by_test_id("install-snippet")
    await expect(snippets).to_have_count(1)
    assert await snippets.input_value() == listed[mine["id"]]["snippet"]
    await expect(dialog.get_by_role("heading", name=mine["name"])).to_be_visible()
    await expect(dialog.get_by_test_id("install-domains")).to_have_text("mine.example.com")
    await expect(dialog).not_to_contain_text(other["name"])
    await expect(dialog).not_to_contain_text(other["id"])

    await dialog.get_by_role("button", name="Copy snippet for " + mine["name"]).click()
    await expect(dialog.get_by_role("status")).to_have_text(
        f"Snippet for {mine['name']} copied to the clipboard."
    )
    assert await page.evaluate("() => navigator.clipboard.readText()") == listed[mine["id"]]["snippet"]

    # The Close button closes it too, and focus goes back to the opener.
    await dialog.get_by_role("button", name="Close").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("button", name="Install widget")).to_be_focused()

    assert not problems, problems
    await ctx.close()


@pytest.mark.browser
async def test_copy_falls_back_to_exec_command_without_async_clipboard(server, browser: Browser) -> None:
    async with Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        site = await owner.create_website(
            domains=["fallback.example.com"], name="Fallback " + secrets.token_hex(2)
        )
    snippet = (await _websites_seen_by(server, ADMIN_EMAIL, ADMIN_PASSWORD))[site["id"]]["snippet"]

    ctx, page, problems = await _console(browser, server, ADMIN_EMAIL, ADMIN_PASSWORD, permissions=CLIPBOARD)
    # As in a browser that refuses the async clipboard API: writeText rejects.
    await page.evaluate(
        "() => { navigator.clipboard.writeText = () =>"
        " Promise.reject(new DOMException('denied', 'NotAllowedError')); }"
    )
    dialog = await _open_dialog(page)
    entry = dialog.locator(f"[data-testid=install-website][data-website-id='{site['id']}']")
    copy = entry.get_by_test_id("install-copy")
    await expect(copy).to_have_accessible_name("Copy snippet for " + site["name"])
    await copy.click()
    await expect(copy).to_have_text("Copied snippet for " + site["name"], use_inner_text=False)
    assert await page.evaluate("() => navigator.clipboard.readText()") == snippet
    await expect(copy).to_be_focused()

    assert not problems, problems
    await ctx.close()
