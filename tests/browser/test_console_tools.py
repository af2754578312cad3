"""Answering tools in the real console: saved replies ("/" and a shortcut inserts one with
its variables filled in for this visitor, agent and website; the dialog refuses an unknown
variable) and transfer to a colleague with a note."""

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


@pytest.mark.browser
async def test_transfer_from_the_console_reaches_the_colleague_and_tells_the_visitor(
    server, browser: Browser
) -> None:
    async with Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        site = await owner.create_website(name="Acme " + secrets.token_hex(2))
        ann, ann_pw, _t = await owner.create_agent([site["id"]], name="Ann Able")
        _bea, _pw, bea_token = await owner.create_agent([site["id"]], name="Bea Bright")
    visitor, _cfg, _welcome = await clients.visitor(server.url, site["id"])
    cid = (await visitor.send_message("Where is my parcel?"))["conversation_id"]
    bea_ws, _ = await clients.agent(server.ws_url, bea_token)
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    try:
        page = await ctx.new_page()
        await page.goto(f"{server.url}/console")
        await page.get_by_test_id("login-email").fill(ann["email"])
        await page.get_by_test_id("login-password").fill(ann_pw)
        await page.get_by_test_id("login-submit").click()
        await page.get_by_test_id("conversation-item").first.click()
        await page.get_by_test_id("transfer-open").click()
        dialog = page.get_by_test_id("transfer-dialog")
        await dialog.get_by_test_id("transfer-target").select_option(label="Bea Bright")
        await dialog.get_by_test_id("transfer-note").fill("Parcel lost, offer a refund")
        await dialog.get_by_test_id("transfer-submit").click()
        await expect(dialog).to_be_hidden()
        # Ann sees the note in the conversation; the visitor hears who answers now.
        await expect(
            page.get_by_test_id("message").filter(has_text="Parcel lost, offer a refund")
        ).to_be_visible()
        assigned = await bea_ws.expect("assigned")
        while assigned.get("by") != "transfer":
            assigned = await bea_ws.expect("assigned")
        assert assigned["conversation"]["id"] == cid and assigned["note"] == "Parcel lost, offer a refund"
        told = await visitor.expect("message")
        while told["message"]["sender"]["kind"] != "system":
            told = await visitor.expect("message")
        assert told["message"]["body"] == "Bea Bright is now answering."
    finally:
        await ctx.close()
        await visitor.close()
        await bea_ws.close()
