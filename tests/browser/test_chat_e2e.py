"""The whole product in a real browser: the snippet on a customer's page, the console."""

from __future__ import annotations

import re
import secrets

import pytest

from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD, run_sync


def _setup(server) -> tuple[dict, str, str]:
    async def go() -> tuple[dict, str, str]:
        async with Api(server.url) as owner:
            await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
            site = await owner.create_website(domains=["localhost"], name="Acme " + secrets.token_hex(2))
            agent, password, _token = await owner.create_agent([site["id"]])
            return site, agent["email"], password

    return run_sync(go())  # type: ignore[no-any-return]


@pytest.mark.browser
def test_visitor_and_agent_chat_in_real_browsers(server, browser, host_site) -> None:
    site, email, password = _setup(server)
    host_url = host_site.page("index.html", f"<h1>Acme</h1><p>Products</p>{site['snippet']}")

    agent_ctx = browser.new_context()
    agent_ctx.set_default_timeout(10_000)
    agent = agent_ctx.new_page()
    agent.goto(f"{server.url}/console")
    agent.get_by_test_id("login-email").fill(email)
    agent.get_by_test_id("login-password").fill(password)
    agent.get_by_test_id("login-submit").click()
    agent.get_by_test_id("conversation-list").wait_for(state="attached")

    visitor_ctx = browser.new_context()
    visitor_ctx.set_default_timeout(10_000)
    visitor = visitor_ctx.new_page()
    errors: list[str] = []
    visitor.on("pageerror", lambda e: errors.append(str(e)))
    visitor.goto(host_url)
    launcher = visitor.get_by_test_id("sitechat-launcher")
    launcher.wait_for()
    launcher.click()
    panel = visitor.frame_locator("iframe[title='Chat']")
    composer = panel.get_by_test_id("composer")
    composer.fill("Hello from the shop page")
    composer.press("Enter")
    sent = panel.get_by_test_id("message").filter(has_text="Hello from the shop page")
    sent.wait_for()
    # Acked by the server: no longer pending.
    panel.locator("[data-testid=message][data-pending=true]").wait_for(state="detached")

    # The agent sees it without a reload and answers.
    item = agent.get_by_test_id("conversation-item").first
    item.wait_for()
    item.click()
    agent.get_by_test_id("message").filter(has_text="Hello from the shop page").wait_for()
    agent.get_by_test_id("composer").fill("Hi! How can I help?")
    agent.get_by_test_id("composer").press("Enter")

    panel.get_by_test_id("message").filter(has_text="Hi! How can I help?").wait_for()
    texts = panel.get_by_test_id("message").all_inner_texts()
    assert [i for i, t in enumerate(texts) if "Hello from the shop page" in t] < [
        i for i, t in enumerate(texts) if "Hi! How can I help?" in t
    ]
    assert not errors, errors
    assert re.match(r"^http://localhost:\d+$", host_site.origin)  # truly another origin
    visitor_ctx.close()
    agent_ctx.close()
