"""The whole product in a real browser: the snippet on a customer's page, the console."""

from __future__ import annotations

import secrets

import pytest
from playwright.async_api import Browser

from tests.browser.conftest import HostSite
from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD


async def _setup(server) -> tuple[dict, str, str]:
    async with Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        site = await owner.create_website(domains=["localhost"], name="Acme " + secrets.token_hex(2))
        agent, password, _token = await owner.create_agent([site["id"]])
        return site, agent["email"], password


@pytest.mark.browser
async def test_visitor_and_agent_chat_in_real_browsers(server, browser: Browser, host_site: HostSite) -> None:
    site, email, password = await _setup(server)
    host_url = host_site.page("index.html", f"<h1>Acme</h1><p>Products</p>{site['snippet']}")
    assert host_site.origin.startswith("http://localhost:") and not server.url.startswith("http://localhost")

    agent_ctx = await browser.new_context()
    agent_ctx.set_default_timeout(10_000)
    agent = await agent_ctx.new_page()
    await agent.goto(f"{server.url}/console")
    await agent.get_by_test_id("login-email").fill(email)
    await agent.get_by_test_id("login-password").fill(password)
    await agent.get_by_test_id("login-submit").click()
    await agent.get_by_test_id("conversation-list").wait_for(state="attached")

    visitor_ctx = await browser.new_context()
    visitor_ctx.set_default_timeout(10_000)
    visitor = await visitor_ctx.new_page()
    errors: list[str] = []
    visitor.on("pageerror", lambda e: errors.append(str(e)))
    await visitor.goto(host_url)
    launcher = visitor.get_by_test_id("sitechat-launcher")
    await launcher.click()
    panel = visitor.frame_locator("iframe[title='Chat']")
    composer = panel.get_by_test_id("composer")
    await composer.fill("Hello from the shop page")
    await composer.press("Enter")
    await panel.get_by_test_id("message").filter(has_text="Hello from the shop page").wait_for()
    # Acknowledged by the server: no longer marked pending.
    await panel.locator("[data-testid=message][data-pending=true]").wait_for(state="detached")

    # The agent sees it without a reload, opens it and answers.
    item = agent.get_by_test_id("conversation-item").first
    await item.click()
    await agent.get_by_test_id("message").filter(has_text="Hello from the shop page").wait_for()
    await agent.get_by_test_id("composer").fill("Hi! How can I help?")
    await agent.get_by_test_id("composer").press("Enter")

    await panel.get_by_test_id("message").filter(has_text="Hi! How can I help?").wait_for()
    texts = await panel.get_by_test_id("message").all_inner_texts()
    first = next(i for i, t in enumerate(texts) if "Hello from the shop page" in t)
    reply = next(i for i, t in enumerate(texts) if "Hi! How can I help?" in t)
    assert first < reply
    assert not errors, errors
    await visitor_ctx.close()
    await agent_ctx.close()
