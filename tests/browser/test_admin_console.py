"""The console's admin section, as an owner uses it: websites and their domains, widget
settings with a live preview and the server's validation errors, API keys shown once;
and an agent, who has no way in."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.panel_support import AXE
from tests.support.clients import Api
from tests.support.servers import ADMIN_EMAIL, ADMIN_PASSWORD

# The admin pages are the same JavaScript on either database, and the rules they show
# are tested on both in tests/admin/: one backend keeps the browser minutes down.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]


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


async def _serious_axe_violations(page: Page) -> list[str]:
    if not await page.evaluate("() => typeof axe !== 'undefined'"):
        await page.evaluate(AXE.read_text())
    found = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)"""
    )
    return list(found)


async def _api_as_owner(server) -> Api:
    api = Api(server.url)
    await api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    return api


async def test_owner_manages_website_domains_and_settings(server, browser: Browser) -> None:
    ctx, page, problems = await _console(browser, server, ADMIN_EMAIL, ADMIN_PASSWORD)
    await page.get_by_role("link", name="Admin").click()
    await expect(page.get_by_role("navigation", name="Admin")).to_be_visible()

    # Create a website.
    name = "Bakery " + secrets.token_hex(3)
    await page.get_by_role("link", name="New website").click()
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("Allowed domains").fill("bakery.example.com")
    await page.get_by_role("button", name="Create website").click()
    detail = page.get_by_test_id("website-detail")
    await expect(detail.get_by_role("heading", name=name)).to_be_visible()
    website_id = await detail.get_attribute("data-website-id")
    assert website_id and website_id.startswith("web_")
    websites_nav = page.get_by_role("navigation", name="Websites")
    await expect(websites_nav.get_by_role("link", name=name)).to_be_visible()

    async with await _api_as_owner(server) as api:
        # A bad domain: the server's message next to the field, and nothing changes.
        domains = page.get_by_label("Allowed domains")
        await domains.fill("bakery.example.com\nhttps://shop.example.com/path")
        await page.get_by_role("button", name="Save", exact=True).click()
        await expect(domains).to_have_attribute("aria-invalid", "true")
        error = page.locator("#edit-website-domains-error")
        await expect(error).to_contain_text("is not a host name")
        assert "edit-website-domains-error" in (await domains.get_attribute("aria-describedby") or "")
        r = await api.get(f"/api/v1/websites/{website_id}")
        assert r.json()["domains"] == ["bakery.example.com"]

        await domains.fill("bakery.example.com\n*.bakery.example.org")
        await page.get_by_role("button", name="Save", exact=True).click()
        await expect(page.get_by_test_id("form-status")).to_have_text("Saved.")
        await expect(error).to_have_count(0)
        r = await api.get(f"/api/v1/websites/{website_id}")
        assert r.json()["domains"] == ["*.bakery.example.org", "bakery.example.com"]

        # Widget settings: the preview follows the draft at once.
        await page.get_by_role("link", name="Widget settings").click()
        launcher = page.get_by_test_id("preview-launcher")
        await expect(launcher).to_have_css("background-color", "rgb(79, 70, 229)")  # the default #4F46E5
        await page.get_by_test_id("settings-color").fill("#0F766E")
        await expect(launcher).to_have_css("background-color", "rgb(15, 118, 110)")
        preview = page.get_by_test_id("preview-page")
        await page.get_by_label("Launcher position").select_option("left")
        await expect(preview).to_have_attribute("data-position", "left")
        box, frame = await launcher.bounding_box(), await preview.bounding_box()
        assert box and frame and box["x"] - frame["x"] < frame["width"] / 2
        await page.get_by_test_id("settings-welcome").fill("Fresh bread! Ask us anything.")
        await page.get_by_label("Greet visitors automatically with the welcome text").check()
        await expect(page.get_by_test_id("preview-greeting")).to_have_text("Fresh bread! Ask us anything.")
        await page.get_by_label("Open", exact=True).check()
        await expect(page.get_by_test_id("preview-title")).to_have_text(name)
        await expect(page.get_by_test_id("preview-welcome")).to_have_text("Fresh bread! Ask us anything.")

        # An invalid field: shown next to it and in the summary; nothing is saved.
        timezone = page.get_by_test_id("settings-timezone")
        await timezone.fill("Mars/Olympus_Mons")
        await page.get_by_test_id("settings-save").click()
        summary = page.get_by_test_id("settings-errors")
        await expect(summary).to_contain_text("Nothing was saved")
        await expect(summary).to_be_focused()
        await expect(timezone).to_have_attribute("aria-invalid", "true")
        tz_error = page.locator("#set-business_hours-timezone-error")
        await expect(tz_error).to_contain_text("IANA time zone")
        assert "set-business_hours-timezone-error" in (await timezone.get_attribute("aria-describedby") or "")
        # The whole form, errors and preview included, passes axe.
        assert await _serious_axe_violations(page) == []
        stored = (await api.get(f"/api/v1/websites/{website_id}/settings")).json()
        assert stored["appearance"]["color"] == "#4F46E5"
        assert stored["behavior"]["auto_greet"] is False

        # Fixed: everything is saved together.
        await timezone.fill("Europe/Paris")
        await page.get_by_test_id("settings-save").click()
        await expect(page.get_by_test_id("form-status")).to_have_text("Settings saved.")
        await expect(summary).to_have_count(0)
        stored = (await api.get(f"/api/v1/websites/{website_id}/settings")).json()
        assert stored["appearance"] == {
            **stored["appearance"],
            "color": "#0F766E",
            "position": "left",
            "welcome": "Fresh bread! Ask us anything.",
        }
        assert stored["behavior"]["auto_greet"] is True
        assert stored["business_hours"]["timezone"] == "Europe/Paris"

    # The install snippet is on its own tab, ready to copy.
    await page.get_by_role("link", name="Install", exact=True).click()
    snippet = page.get_by_role("textbox", name="Install snippet")
    assert website_id in await snippet.input_value()

    # Deleting asks first, naming the website.
    await page.get_by_role("link", name="Name and domains").click()
    await page.get_by_role("button", name=f"Delete {name}…").click()
    dialog = page.get_by_role("dialog", name=f"Delete “{name}”?")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    await dialog.get_by_role("button", name=f"Delete {name}").click()
    await expect(websites_nav.get_by_role("link", name=name)).to_have_count(0)
    async with await _api_as_owner(server) as api:
        assert (await api.get(f"/api/v1/websites/{website_id}")).status_code == 404

    assert not problems, problems
    await ctx.close()


async def test_owner_creates_api_key_and_sees_it_once(server, browser: Browser) -> None:
    ctx, page, problems = await _console(
        browser, server, ADMIN_EMAIL, ADMIN_PASSWORD, permissions=["clipboard-read", "clipboard-write"]
    )
    await page.goto(f"{server.url}/console#admin/keys")
    name = "CRM sync " + secrets.token_hex(2)
    await page.get_by_test_id("key-name").fill(name)
    await page.get_by_label("Read websites").check()
    await page.get_by_role("button", name="Create key").click()

    created = page.get_by_test_id("key-created")
    await expect(created).to_contain_text("shown only this once")
    secret = await page.get_by_test_id("key-secret").input_value()
    assert secret.startswith("sct_")
    await created.get_by_role("button", name="Copy New API key").click()
    assert await page.evaluate("() => navigator.clipboard.readText()") == secret
    row = page.get_by_test_id("key-row").filter(has_text=name)
    await expect(row).to_contain_text("conversations:read, websites:read")

    async with Api(server.url) as api:
        api.use_token(secret)
        assert (await api.get("/api/v1/websites")).status_code == 200
        # Only its scopes: reading websites yes, creating one no.
        r = await api.post("/api/v1/websites", json={"name": "x", "domains": ["x.example.com"]})
        assert r.status_code == 403

        # Once: gone after "I have copied it", and not on the page after a reload.
        await created.get_by_role("button", name="I have copied it").click()
        await expect(created).to_have_count(0)
        await page.reload()
        row = page.get_by_test_id("key-row").filter(has_text=name)
        await expect(row).to_be_visible()
        assert secret not in await page.content()

        # Revoked from the list, after a confirmation naming it.
        await row.get_by_role("button", name="Revoke").click()
        dialog = page.get_by_role("dialog", name=f"Revoke the key “{name}”?")
        await expect(dialog).to_be_visible()
        await dialog.get_by_role("button", name="Revoke").click()
        await expect(row).to_contain_text("Revoked")
        assert (await api.get("/api/v1/websites")).status_code == 401

    assert not problems, problems
    await ctx.close()


async def test_agent_sees_no_admin_entry(server, browser: Browser) -> None:
    async with await _api_as_owner(server) as owner:
        site = await owner.create_website(domains=["agent.example.com"])
        agent, password, _token = await owner.create_agent([site["id"]])

    ctx, page, problems = await _console(browser, server, agent["email"], password)
    await expect(page.get_by_test_id("logout")).to_be_visible()
    await expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    # Typing the address does not open it either: the inbox stays.
    await page.goto(f"{server.url}/console#admin/websites")
    await page.get_by_test_id("conversation-list").wait_for(state="attached")
    await expect(page.get_by_test_id("admin-main")).to_have_count(0)
    # And the server refuses an agent's admin calls whatever the page does.
    answer = await page.evaluate(
        """async (id) => {
            const me = await (await fetch('/api/v1/auth/me')).json();
            const r = await fetch(`/api/v1/websites/${id}/settings`, {method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token},
                body: JSON.stringify({appearance: {color: '#000000'}})});
            return [r.status, (await r.json()).error];
        }""",
        site["id"],
    )
    assert answer == [403, "forbidden"]

    assert not problems, problems
    await ctx.close()


async def test_owner_invites_agent_who_sets_password_through_the_link(server, browser: Browser) -> None:
    async with await _api_as_owner(server) as owner:
        site = await owner.create_website(
            domains=["invite.example.com"], name="Invite " + secrets.token_hex(2)
        )
    ctx, page, problems = await _console(browser, server, ADMIN_EMAIL, ADMIN_PASSWORD)
    await page.goto(f"{server.url}/console#admin/agents")
    email = f"new-{secrets.token_hex(3)}@example.com"
    form = page.get_by_role("form", name="Invite an agent")
    await form.get_by_label("Name", exact=True).fill("Nadia")
    await form.get_by_label("Email", exact=True).fill(email)
    await form.get_by_label(site["name"]).check()
    await form.get_by_role("button", name="Invite").click()

    # No SMTP on the test server: the link is shown, this once.
    result = page.get_by_test_id("invite-result")
    await expect(result).to_contain_text("send this link to Nadia yourself")
    link = await page.get_by_test_id("invite-link").input_value()
    assert link.startswith(f"{server.url}/console/#/accept-invite?token=")
    row = page.get_by_test_id("agent-row").filter(has_text=email)
    await expect(row).to_contain_text("Invited")
    await expect(row).to_contain_text(site["name"])

    # The invited agent opens it, chooses a password and is signed in (as an agent: no Admin).
    guest = await browser.new_context()
    guest.set_default_timeout(10_000)
    invited = await guest.new_page()
    invited.on("pageerror", lambda e: problems.append(str(e)))
    await invited.goto(link)
    await invited.get_by_label("Password", exact=True).fill("short")
    await invited.get_by_label("Password again").fill("short")
    await invited.get_by_role("button", name="Set password and sign in").click()
    await expect(invited.locator("#invite-accept-password-error")).to_be_visible()
    await invited.get_by_label("Password", exact=True).fill("a-long-password-1")
    await invited.get_by_label("Password again").fill("a-long-password-1")
    await invited.get_by_role("button", name="Set password and sign in").click()
    await invited.get_by_test_id("conversation-list").wait_for(state="attached")
    assert "token=" not in invited.url
    await expect(invited.get_by_role("link", name="Admin")).to_have_count(0)

    await page.reload()
    await expect(page.get_by_test_id("agent-row").filter(has_text=email)).to_contain_text("Active")

    assert not problems, problems
    await guest.close()
    await ctx.close()
