"""Saved replies in the real console: "/" and a shortcut inserts one with its variables
filled in for this visitor, agent and website; the dialog refuses an unknown variable."""

from __future__ import annotations

import secrets

import pytest
from playwright.async_api import Browser, expect

from tests.support import clients
from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.mark.browser
async def test_saved_replies_insert_with_variables_and_reach_the_visitor(server, browser: Browser) -> None:
    async with Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        site = await owner.create_website(name="Acme " + secrets.token_hex(2))
        agent, password, _token = await owner.create_agent([site["id"]], name="Dana Scully")
        r = await owner.post(
            "/api/v1/canned-responses",
            json={
                "scope": "shared",
                "website_id": site["id"],
                "shortcut": "refund",
                "title": "Refund policy",
                "body": "Hi {{visitor.first_name}}, refunds take 5 days. "
                "{{agent.first_name}} from {{website.name}}",
            },
        )
        assert r.status_code == 201, r.text
    cfg = await clients.widget_config(server.url, site["id"], identify={"name": "Ada Lovelace"})
    assert cfg.status_code == 200, cfg.text
    visitor, _cfg, _welcome = await clients.visitor(
        server.url, site["id"], visitor_key=cfg.json()["visitor_key"]
    )
    await visitor.send_message("Can I get my money back?")

    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    try:
        page = await ctx.new_page()
        await page.goto(f"{server.url}/console")
        await page.get_by_test_id("login-email").fill(agent["email"])
        await page.get_by_test_id("login-password").fill(password)
        await page.get_by_test_id("login-submit").click()
        await page.get_by_test_id("conversation-item").first.click()
        composer = page.get_by_test_id("composer")

        await composer.press_sequentially("/ref")
        menu = page.get_by_test_id("canned-menu")
        await expect(menu.get_by_test_id("canned-option")).to_have_count(1)
        await expect(menu).to_contain_text("/refund")
        await composer.press("Enter")
        await expect(menu).to_be_hidden()
        filled = f"Hi Ada, refunds take 5 days. Dana from {site['name']}"
        await expect(composer).to_have_value(filled)
        await composer.press("Enter")
        got = await visitor.expect("message")
        while got["message"]["sender"]["kind"] != "agent":  # its own message's echo first
            got = await visitor.expect("message")
        assert got["message"]["body"] == filled

        # A personal reply made in the dialog: an unknown variable is refused, then fixed.
        await page.get_by_test_id("canned-open").click()
        dialog = page.get_by_test_id("canned-dialog")
        await dialog.get_by_test_id("canned-new").click()
        await dialog.get_by_test_id("canned-shortcut").fill("bye")
        await dialog.get_by_test_id("canned-name").fill("Goodbye")
        await dialog.get_by_test_id("canned-body").fill("Bye {{visitor.nickname}}!")
        await dialog.get_by_test_id("canned-save").click()
        await expect(dialog.get_by_test_id("canned-error")).to_contain_text("visitor.nickname")
        await dialog.get_by_test_id("canned-body").fill("Bye {{visitor.name}}!")
        await dialog.get_by_test_id("canned-save").click()
        await expect(dialog.get_by_test_id("canned-row").filter(has_text="/bye")).to_have_count(1)
        await page.keyboard.press("Escape")
        await expect(dialog).to_be_hidden()

        await composer.press_sequentially("/by")
        await expect(page.get_by_test_id("canned-option")).to_contain_text(["/bye"])
        await composer.press("Tab")
        await expect(composer).to_have_value("Bye Ada Lovelace!")
        # Escape closes the menu and leaves what was typed.
        await composer.fill("")
        await composer.press_sequentially("/re")
        await expect(page.get_by_test_id("canned-menu")).to_be_visible()
        await composer.press("Escape")
        await expect(page.get_by_test_id("canned-menu")).to_be_hidden()
        await expect(composer).to_have_value("/re")
    finally:
        await ctx.close()
        await visitor.close()
