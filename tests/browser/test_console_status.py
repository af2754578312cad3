"""The agent's status in the real console: set by hand, away by itself after idle time,
back online on the next activity — and routing (the server) sees each change."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, expect

from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.mark.browser
async def test_status_goes_away_when_idle_and_back_online_on_activity(server, browser: Browser) -> None:
    async with Api(server.url) as owner:
        await owner.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        site = await owner.create_website()
        agent, password, token = await owner.create_agent([site["id"]])
    async with Api(server.url) as api:
        api.use_token(token)

        async def server_status() -> str:
            r = await api.get("/api/v1/agents/me/status")
            assert r.status_code == 200, r.text
            return str(r.json()["status"])

        async def server_says(expected: str) -> None:
            # The select shows a choice at once; the server has it when the PUT returns.
            for _ in range(50):
                if await server_status() == expected:
                    return
                await asyncio.sleep(0.1)
            assert await server_status() == expected

        ctx = await browser.new_context()
        ctx.set_default_timeout(10_000)
        # Idle after 1.5 s instead of 10 minutes.
        await ctx.add_init_script("window.__sitechatIdleMs = 1500")
        try:
            page = await ctx.new_page()
            await page.goto(f"{server.url}/console")
            await page.get_by_test_id("login-email").fill(agent["email"])
            await page.get_by_test_id("login-password").fill(password)
            await page.get_by_test_id("login-submit").click()
            status = page.get_by_test_id("agent-status")
            await expect(status).to_have_value("online")
            await expect(status).to_have_value("away", timeout=8_000)
            await server_says("away")

            await page.mouse.move(200, 200)
            await page.mouse.move(260, 240)
            await expect(status).to_have_value("online")
            await server_says("online")

            # Chosen by hand, offline stays offline however long the agent is idle.
            await status.select_option("offline")
            await server_says("offline")
            await page.wait_for_timeout(2_500)
            await page.mouse.move(10, 10)
            await page.wait_for_timeout(300)
            await expect(status).to_have_value("offline")
            assert await server_status() == "offline"
            await status.select_option("online")
            await server_says("online")
        finally:
            await ctx.close()
