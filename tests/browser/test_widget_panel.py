"""The chat panel (the iframe the snippet opens) in a real browser, on a host page served
from another origin, against a real server: what a visitor sees and does, and what the
agent then finds."""

from __future__ import annotations

import json
import re

import pytest
from playwright.async_api import Browser, FrameLocator, Page, expect

from tests.browser.conftest import HostSite
from tests.browser.panel_support import (
    AXE,
    PANEL,
    Site,
    SocketSwitch,
    eventually,
    host_page,
    launch,
    make_site,
    open_panel,
    page_errors,
    send,
)

pytestmark = pytest.mark.browser

CLOSED_ALL_WEEK = {
    "enabled": True,
    "timezone": "UTC",
    "schedule": {
        d: None for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    },
}


async def field_error(panel: FrameLocator, label: str) -> str:
    """The error message tied to the field labelled `label` (through aria-describedby)."""
    field = panel.get_by_label(label, exact=True)
    await expect(field).to_have_attribute("aria-invalid", "true")
    ids = await field.get_attribute("aria-describedby")
    assert ids, f"{label}: no aria-describedby"
    return await panel.locator("#" + ids.split()[-1].replace(".", "\\.")).inner_text()


async def no_field_error(panel: FrameLocator, label: str) -> None:
    await expect(panel.get_by_label(label, exact=True)).not_to_have_attribute("aria-invalid", "true")


async def the_conversation(site: Site) -> dict:
    """The website's only conversation (waiting for it to be stored)."""
    convs: list[dict] = []

    async def stored() -> bool:
        convs[:] = await site.conversations()
        return bool(convs)

    await eventually(stored, what="a conversation")
    assert len(convs) == 1, convs
    return convs[0]


async def test_prechat_form_required_and_optional_fields(
    server, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(
        server,
        settings={
            "prechat": {
                "enabled": True,
                "fields": {"name": "required", "email": "required", "phone": "optional"},
                "custom_fields": [
                    {
                        "key": "plan",
                        "label": "Plan",
                        "type": "select",
                        "required": True,
                        "options": ["Free", "Pro"],
                    },
                    {"key": "order_no", "label": "Order number", "type": "number", "required": False},
                ],
            },
            "appearance": {"welcome": "Hello there! Ask us anything."},
        },
    )
    ctx = await browser.new_context(locale="en-US")
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    panel = await open_panel(page, host_page(host_site, site))

    form = panel.get_by_test_id("prechat-form")
    await expect(form).to_be_visible()
    await expect(panel.get_by_test_id("welcome")).to_have_text("Hello there! Ask us anything.")
    # Optional fields say so; the first field has the focus.
    await expect(form.locator("label[for='sc-f-phone']")).to_contain_text("optional")
    await expect(form.locator("label[for='sc-f-name']")).not_to_contain_text("optional")
    await expect(panel.get_by_label("Name", exact=True)).to_be_focused()

    # Nothing filled in: every required field says what is wrong, optional ones do not.
    await panel.get_by_test_id("prechat-submit").click()
    assert await field_error(panel, "Name") == "This field is required."
    assert await field_error(panel, "Email") == "This field is required."
    assert await field_error(panel, "Plan") == "This field is required."
    assert await field_error(panel, "Message") == "This field is required."
    await no_field_error(panel, "Phone (optional)")
    await no_field_error(panel, "Order number (optional)")
    await expect(panel.get_by_label("Name", exact=True)).to_be_focused()

    # Wrong formats, in a required and in an optional field.
    await panel.get_by_label("Name", exact=True).fill("Ada Lovelace")
    await panel.get_by_label("Email", exact=True).fill("ada@nowhere")
    await panel.get_by_label("Phone (optional)").fill("call me")
    await panel.get_by_label("Order number (optional)").fill("12x")
    await panel.get_by_test_id("prechat-submit").click()
    await no_field_error(panel, "Name")
    assert "valid email address" in await field_error(panel, "Email")
    assert "valid phone number" in await field_error(panel, "Phone (optional)")
    assert await field_error(panel, "Order number (optional)") == "Enter a number."
    await expect(panel.get_by_label("Email", exact=True)).to_be_focused()

    await panel.get_by_label("Email", exact=True).fill("ada@example.com")
    await panel.get_by_label("Phone (optional)").fill("")
    await panel.get_by_label("Order number (optional)").fill("4711")
    await panel.get_by_label("Plan").select_option("Pro")
    await panel.get_by_label("Message", exact=True).fill("Where is my order? 📦")
    await panel.get_by_test_id("prechat-submit").click()

    # The form gives way to the conversation, with the message in it and the composer focused.
    await expect(form).to_be_hidden()
    await expect(panel.get_by_test_id("message").filter(has_text="Where is my order? 📦")).to_be_visible()
    await expect(panel.locator("[data-pending=true]")).to_have_count(0)
    await expect(panel.get_by_test_id("composer")).to_be_focused()

    # The agent sees who is asking.
    conv = await the_conversation(site)
    assert conv["visitor"]["name"] == "Ada Lovelace"
    assert conv["visitor"]["email"] == "ada@example.com"
    assert [m["body"] for m in await site.messages(conv["id"])] == ["Where is my order? 📦"]

    # A new conversation does not ask again: everything required is known.
    await panel.get_by_test_id("past-toggle").click()
    await panel.get_by_test_id("new-conversation").click()
    await expect(panel.get_by_test_id("prechat-form")).to_have_count(0)
    await expect(panel.get_by_test_id("composer")).to_be_visible()
    assert not page_errors(ctx)
    await site.close()
    await ctx.close()


async def test_prechat_form_shows_what_the_server_refuses(
    server, browser: Browser, host_site: HostSite
) -> None:
    """The panel's settings can be older than the server's: a field made required meanwhile
    comes back as `profile_required`, and the form says which."""
    site = await make_site(
        server, settings={"prechat": {"enabled": True, "fields": {"name": "optional", "phone": "optional"}}}
    )
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    panel = await open_panel(page, host_page(host_site, site))
    await site.update_settings({"prechat": {"fields": {"name": "optional", "phone": "required"}}})

    await panel.get_by_label("Name (optional)").fill("Grace")
    await panel.get_by_label("Message", exact=True).fill("Hello?")
    await panel.get_by_test_id("prechat-submit").click()

    # The panel fetched the current settings: the field is now marked required, with the error.
    assert await field_error(panel, "Phone") == "This field is required."
    # The message is kept for the next try.
    await expect(panel.get_by_label("Message", exact=True)).to_have_value("Hello?")
    await panel.get_by_label("Phone", exact=True).fill("+44 20 7946 0000")
    await panel.get_by_test_id("prechat-submit").click()
    await expect(panel.get_by_test_id("message").filter(has_text="Hello?")).to_be_visible()
    await expect(panel.locator("[data-pending=true]")).to_have_count(0)
    conv = await the_conversation(site)
    assert conv["visitor"]["name"] == "Grace"
    await site.close()
    await ctx.close()


async def test_prechat_form_keeps_and_sends_what_its_fields_show(
    server, browser: Browser, host_site: HostSite
) -> None:
    """A value put into a pre-chat field without an input event (as some autofill does)
    survives the panel re-rendering around it, and is what the form sends."""
    site = await make_site(
        server,
        settings={
            "prechat": {"enabled": True, "fields": {"name": "required", "email": "required"}},
            "offline": {"form_enabled": False},
        },
    )
    assert site.agent_ws is not None
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    panel = await open_panel(page, host_page(host_site, site))
    await expect(panel.get_by_test_id("agents-status")).to_have_text("We're online")

    await panel.get_by_label("Name", exact=True).fill("Ada Lovelace")
    await panel.get_by_label("Message", exact=True).fill("Where is my order?")
    email = panel.get_by_label("Email", exact=True)
    await email.evaluate("(el) => { el.value = 'ada@example.com'; }")

    # The agent goes away (a presence frame): the panel re-renders, the form stays as filled.
    await site.agent_ws.close()
    await expect(panel.get_by_test_id("agents-status")).to_have_text("We're away")
    await expect(panel.get_by_test_id("prechat-form")).to_be_visible()
    await expect(email).to_have_value("ada@example.com")
    await expect(panel.get_by_label("Name", exact=True)).to_have_value("Ada Lovelace")

    await panel.get_by_test_id("prechat-submit").click()
    await expect(panel.get_by_test_id("message").filter(has_text="Where is my order?")).to_be_visible()

    async def agent_sees_visitor() -> bool:
        visitor = (await the_conversation(site))["visitor"]
        return (visitor["name"], visitor["email"]) == ("Ada Lovelace", "ada@example.com")

    await eventually(agent_sees_visitor, what="the visitor's name and email on the agent side")
    await site.close()
    await ctx.close()


async def test_progressive_email_ask(server, browser: Browser, host_site: HostSite) -> None:
    site = await make_site(server, settings={"behavior": {"ask_email_in_chat": True}})
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    url = host_page(host_site, site)
    panel = await open_panel(page, url)

    # No question before the visitor has said anything.
    await expect(panel.get_by_test_id("composer")).to_be_visible()
    await expect(panel.get_by_test_id("email-ask")).to_have_count(0)
    await send(panel, "Do you ship to Iceland?")
    card = panel.get_by_test_id("email-ask")
    await expect(card).to_be_visible()

    email = card.get_by_role("textbox")
    await email.fill("not an email")
    await card.get_by_test_id("email-save").click()
    await expect(email).to_have_attribute("aria-invalid", "true")
    await expect(card.get_by_test_id("field-error")).to_contain_text("valid email address")
    await expect(email).to_be_focused()

    await email.fill("bjork@example.is")
    await card.get_by_test_id("email-save").click()
    await expect(panel.get_by_test_id("email-saved")).to_contain_text("bjork@example.is")
    await expect(card).to_have_count(0)

    # Saved at once: the agent has it.
    async def agent_sees_email() -> bool:
        return (await the_conversation(site))["visitor"]["email"] == "bjork@example.is"

    await eventually(agent_sees_email, what="the visitor's email on the agent side")

    # Known now: never asked again, not even after a reload and another message.
    await page.reload()
    await launch(page)
    await expect(panel.get_by_test_id("message").filter(has_text="Do you ship to Iceland?")).to_be_visible()
    await send(panel, "And to Greenland?")
    await expect(panel.get_by_test_id("message").filter(has_text="And to Greenland?")).to_be_visible()
    await expect(panel.locator("[data-pending=true]")).to_have_count(0)
    await expect(panel.get_by_test_id("email-ask")).to_have_count(0)
    await site.close()
    await ctx.close()


async def test_email_question_keeps_and_sends_the_address_in_the_field(
    server, browser: Browser, host_site: HostSite
) -> None:
    """The address typed into the email question survives the panel changing around it, and
    the address saved is the one the field shows, however it got there."""
    site = await make_site(server, settings={"behavior": {"ask_email_in_chat": True}})
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    panel = await open_panel(page, host_page(host_site, site))
    await send(panel, "Do you ship to Iceland?")
    card = panel.get_by_test_id("email-ask")
    email = card.get_by_role("textbox")
    await email.fill("bjork@example")

    # A look at the past conversations and back: what was typed is still there.
    await panel.get_by_test_id("past-toggle").click()
    await expect(card).to_have_count(0)
    await panel.get_by_test_id("past-toggle").click()
    await expect(email).to_have_value("bjork@example")

    # The rest comes the way some autofill puts it there, without an input event; then a
    # reply arrives. The field still shows the whole address, and that is what is saved.
    await email.evaluate("(el) => { el.value = 'bjork@example.is'; }")
    conv = await the_conversation(site)
    await site.reply(conv["id"], "Let me check.")
    await expect(panel.get_by_test_id("message").filter(has_text="Let me check.")).to_be_visible()
    await expect(email).to_have_value("bjork@example.is")
    await card.get_by_test_id("email-save").click()
    await expect(panel.get_by_test_id("email-saved")).to_contain_text("bjork@example.is")

    async def agent_sees_email() -> bool:
        return (await the_conversation(site))["visitor"]["email"] == "bjork@example.is"

    await eventually(agent_sees_email, what="the visitor's email on the agent side")
    await site.close()
    await ctx.close()


async def test_identify_updates_the_open_panel(server, browser: Browser, host_site: HostSite) -> None:
    """A later identify() (e.g. the shop's login) reaches the open panel without a reload:
    once the email is known, the panel stops asking for it."""
    site = await make_site(server, settings={"behavior": {"ask_email_in_chat": True}})
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    panel = await open_panel(page, host_page(host_site, site))
    await send(panel, "Where is my parcel?")
    await expect(panel.get_by_test_id("email-ask")).to_be_visible()

    await page.evaluate("WebsiteChat.identify({name: 'Kim Lee', email: 'kim@example.com'})")
    await expect(panel.get_by_test_id("email-ask")).to_have_count(0)
    # Same visitor, same conversation: nothing was lost or restarted.
    await expect(panel.get_by_test_id("message").filter(has_text="Where is my parcel?")).to_be_visible()
    conv = await the_conversation(site)
    assert (conv["visitor"]["name"], conv["visitor"]["email"]) == ("Kim Lee", "kim@example.com")
    await send(panel, "Thanks")
    await expect(panel.get_by_test_id("message")).to_have_count(2)
    await site.close()
    await ctx.close()


async def test_offline_form_outside_business_hours(server, browser: Browser, host_site: HostSite) -> None:
    site = await make_site(
        server,
        settings={
            "business_hours": CLOSED_ALL_WEEK,
            "offline": {"message": "We're closed right now. Leave us a note!", "form_enabled": True},
        },
    )
    # An agent is online, but outside business hours that does not count.
    assert site.agent_ws is not None
    agent_ws = site.agent_ws
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    panel = await open_panel(page, host_page(host_site, site))

    await expect(panel.get_by_test_id("offline-banner")).to_have_text(
        "We're closed right now. Leave us a note!"
    )
    await expect(panel.get_by_test_id("agents-status")).to_have_text("We're away")
    form = panel.get_by_test_id("offline-form")
    await expect(form).to_be_visible()
    await expect(panel.get_by_test_id("composer")).to_have_count(0)
    await expect(panel.get_by_label("Email", exact=True)).to_be_focused()

    await panel.get_by_test_id("offline-submit").click()
    assert await field_error(panel, "Email") == "This field is required."
    assert await field_error(panel, "Message") == "This field is required."
    await no_field_error(panel, "Name (optional)")

    await panel.get_by_label("Email", exact=True).fill("night.owl@example.com")
    await panel.get_by_label("Name (optional)").fill("Night Owl")
    await panel.get_by_label("Message", exact=True).fill("Please call me back tomorrow.\nThanks!")
    await panel.get_by_test_id("offline-submit").click()

    await expect(panel.get_by_test_id("offline-thanks")).to_be_visible()
    await expect(
        panel.get_by_test_id("message").filter(has_text="Please call me back tomorrow.")
    ).to_be_visible()
    # The conversation goes on with the banner above it.
    await expect(panel.get_by_test_id("offline-banner")).to_be_visible()
    await expect(panel.get_by_test_id("composer")).to_be_visible()

    conv = await the_conversation(site)
    assert conv["visitor"]["email"] == "night.owl@example.com"
    assert conv["visitor"]["name"] == "Night Owl"
    assert [m["body"] for m in await site.messages(conv["id"])] == ["Please call me back tomorrow.\nThanks!"]
    # The agent's socket heard about it too.
    frame = await agent_ws.expect("conversation")
    assert frame["conversation"]["id"] == conv["id"]
    await site.close()
    await ctx.close()


async def test_continuity_across_reload_tabs_and_past_conversations(
    server, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(server, settings={"behavior": {"ask_email_in_chat": False}})
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    url = host_page(host_site, site)
    tab_a = await ctx.new_page()
    tab_b = await ctx.new_page()
    panel_a = await open_panel(tab_a, url)
    panel_b = await open_panel(tab_b, url)

    # Tab A writes (Shift+Enter makes a new line); tab B shows it, without a reload.
    composer = panel_a.get_by_test_id("composer")
    await composer.fill("Hi from tab A")
    await composer.press("Shift+Enter")
    await composer.type("second line ✓")
    await composer.press("Enter")
    await expect(panel_b.get_by_test_id("message").filter(has_text="Hi from tab A")).to_be_visible()
    await expect(panel_b.get_by_test_id("message").filter(has_text="second line ✓")).to_be_visible()
    conv = await the_conversation(site)
    assert [m["body"] for m in await site.messages(conv["id"])] == ["Hi from tab A\nsecond line ✓"]

    # The agent's reply reaches both tabs, named as the agent.
    await site.reply(conv["id"], "Hello! 👋 Agent here.")
    for panel in (panel_a, panel_b):
        reply = panel.get_by_test_id("message").filter(has_text="Hello! 👋 Agent here.")
        await expect(reply).to_be_visible()
        await expect(reply.get_by_test_id("sender")).to_have_text(site.agent["name"])
    # Screen readers hear the reply.
    await expect(panel_a.get_by_test_id("live-region")).to_contain_text("Hello! 👋 Agent here.")

    # A reload keeps the conversation.
    await tab_a.reload()
    await launch(tab_a)
    texts = panel_a.get_by_test_id("message")
    await expect(texts).to_have_count(2)
    await expect(texts.nth(0)).to_contain_text("Hi from tab A")
    await expect(texts.nth(1)).to_contain_text("Hello! 👋 Agent here.")

    # A second conversation; the past conversations list shows both, newest first.
    await panel_a.get_by_test_id("past-toggle").click()
    await panel_a.get_by_test_id("new-conversation").click()
    # An empty chat, not the list it came from (which has no messages either).
    screen = panel_a.locator(".sc-panel")
    await expect(screen).to_have_attribute("data-screen", "chat")
    await expect(panel_a.get_by_test_id("message")).to_have_count(0)
    await send(panel_a, "A different question")
    await expect(screen).to_have_attribute("data-screen", "chat")
    await expect(panel_a.get_by_test_id("message").filter(has_text="A different question")).to_be_visible()

    async def two_conversations() -> bool:
        return len(await site.conversations()) == 2

    await eventually(two_conversations, what="a second conversation")
    await panel_a.get_by_test_id("past-toggle").click()
    items = panel_a.get_by_test_id("past-conversation")
    await expect(items).to_have_count(2)
    await expect(items.nth(0)).to_contain_text("A different question")
    await expect(items.nth(1)).to_contain_text("Hello! 👋 Agent here.")

    # Opening the old one shows its history again.
    await items.nth(1).click()
    await expect(panel_a.get_by_test_id("message").filter(has_text="Hi from tab A")).to_be_visible()
    await expect(panel_a.get_by_test_id("message").filter(has_text="A different question")).to_have_count(0)
    assert not page_errors(ctx)
    await site.close()
    await ctx.close()


async def test_pending_messages_survive_a_dropped_connection_and_a_reload(
    server, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(server, settings={"behavior": {"ask_email_in_chat": False}})
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    switch = SocketSwitch()
    await switch.install(ctx)
    page = await ctx.new_page()
    url = host_page(host_site, site)
    panel = await open_panel(page, url)
    await send(panel, "Before the tunnel")
    await expect(panel.locator("[data-pending=true]")).to_have_count(0)

    await switch.cut()
    await expect(panel.get_by_test_id("connection-status")).to_contain_text("Reconnecting")
    await send(panel, "Written in the tunnel")
    pending = panel.locator("[data-pending=true]")
    await expect(pending).to_have_text(re.compile("Written in the tunnel"))
    await expect(pending).to_contain_text("Waiting to send")

    # Reloading while still offline keeps it, still pending.
    await page.reload()
    await launch(page)
    await expect(panel.locator("[data-pending=true]")).to_have_text(re.compile("Written in the tunnel"))
    assert switch.attempts_while_down > 0

    # Back online: sent once, shown once, no longer pending.
    switch.restore()
    await expect(panel.locator("[data-pending=true]")).to_have_count(0, timeout=25_000)
    await expect(panel.get_by_test_id("message").filter(has_text="Written in the tunnel")).to_have_count(1)
    conv = await the_conversation(site)
    bodies = [m["body"] for m in await site.messages(conv["id"])]
    assert bodies == ["Before the tunnel", "Written in the tunnel"]
    # A further reload resends nothing.
    await page.reload()
    await launch(page)
    await expect(panel.get_by_test_id("message")).to_have_count(2)
    await page.wait_for_timeout(500)
    assert [m["body"] for m in await site.messages(conv["id"])] == bodies
    await site.close()
    await ctx.close()


async def test_messages_written_offline_in_two_tabs_are_all_sent_once(
    server, browser: Browser, host_site: HostSite
) -> None:
    """The panel's own storage is blocked here (a third-party iframe), so each tab saves the
    panel's state through its host page, and the host pages keep one copy between them: what
    one tab saves must not drop a message the other tab is still waiting to send."""
    site = await make_site(server, settings={"behavior": {"ask_email_in_chat": False}})
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    switch = SocketSwitch()
    await switch.install(ctx)
    url = host_page(host_site, site)
    tab_a = await ctx.new_page()
    tab_b = await ctx.new_page()
    panel_a = await open_panel(tab_a, url)
    frame_a = tab_a.frame(url=re.compile(r"/widget/panel"))
    assert frame_a is not None
    assert await frame_a.evaluate("() => { try { localStorage; return false } catch { return true } }")
    await send(panel_a, "Hello")
    await expect(panel_a.locator("[data-pending=true]")).to_have_count(0)
    conv = await the_conversation(site)
    panel_b = await open_panel(tab_b, url)
    await expect(panel_b.get_by_test_id("message").filter(has_text="Hello")).to_be_visible()

    # The connection drops; the visitor writes in one tab, then in the other.
    await switch.cut()
    for panel, text in ((panel_a, "Written in tab A"), (panel_b, "Written in tab B")):
        await expect(panel.get_by_test_id("connection-status")).to_contain_text("Reconnecting")
        await send(panel, text)
        await expect(panel.locator("[data-pending=true]").filter(has_text=text)).to_be_visible()

    # Tab A is reloaded, still offline: its message is still waiting to be sent.
    await tab_a.reload()
    await launch(tab_a)
    await expect(panel_a.locator("[data-pending=true]").filter(has_text="Written in tab A")).to_have_count(1)

    # Back online: the agent gets both, once each, and both tabs show each once.
    switch.restore()
    for panel in (panel_a, panel_b):
        await expect(panel.locator("[data-pending=true]")).to_have_count(0, timeout=25_000)
        for text in ("Written in tab A", "Written in tab B"):
            await expect(panel.get_by_test_id("message").filter(has_text=text)).to_have_count(1)
    bodies = [m["body"] for m in await site.messages(conv["id"])]
    assert sorted(bodies) == ["Hello", "Written in tab A", "Written in tab B"]
    assert not page_errors(ctx)
    await site.close()
    await ctx.close()


async def test_agent_details_typing_receipts_unread_and_mute(
    server, browser: Browser, host_site: HostSite
) -> None:
    site = await make_site(
        server,
        settings={
            "behavior": {"ask_email_in_chat": False, "show_agent_photos": True},
            "appearance": {"title": "Maria's desk", "logo_url": "https://images.example.com/logo.png"},
        },
        agent_name="Maria Support",
        avatar_url="https://images.example.com/maria.png",
    )
    assert site.agent_ws is not None
    agent_ws = site.agent_ws
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    panel = await open_panel(page, host_page(host_site, site))
    await expect(panel.get_by_test_id("agents-status")).to_have_text("We're online")
    await expect(panel.get_by_test_id("panel-title")).to_have_text("Maria's desk")
    await expect(panel.locator("header img")).to_have_attribute("src", "https://images.example.com/logo.png")

    await send(panel, "Is anyone there?")
    await expect(panel.get_by_test_id("receipt")).to_have_text(re.compile("Sent"))
    conv = await the_conversation(site)
    cid = conv["id"]

    # The visitor's typing reaches the agent...
    await panel.get_by_test_id("composer").fill("typing something")
    typing = await agent_ws.expect("typing", conversation_id=cid, typing=True)
    assert typing["sender"]["kind"] == "visitor"
    await panel.get_by_test_id("composer").fill("")
    # ...and the agent's typing shows in the panel, with the agent's name.
    await agent_ws.send({"type": "typing", "conversation_id": cid, "typing": True})
    await expect(panel.get_by_test_id("typing-indicator")).to_have_text("Maria Support is typing…")
    # The agent reads the message: the visitor sees "Read".
    await agent_ws.send({"type": "seen", "conversation_id": cid, "seq": 1, "state": "read"})
    await expect(panel.get_by_test_id("receipt")).to_have_text(re.compile("Read"))

    await site.reply(cid, "Yes! Maria here.")
    reply = panel.get_by_test_id("message").filter(has_text="Yes! Maria here.")
    await expect(reply.get_by_test_id("sender")).to_have_text("Maria Support")
    await expect(reply.get_by_test_id("avatar")).to_have_attribute(
        "src", "https://images.example.com/maria.png"
    )
    await expect(panel.get_by_test_id("typing-indicator")).to_have_count(0)
    # A locale-formatted time.
    assert re.search(r"\d{1,2}:\d{2}", await reply.locator("time").inner_text())

    # The agent goes offline: the panel says so at once, and the open conversation keeps
    # its composer.
    await agent_ws.close()
    await expect(panel.get_by_test_id("agents-status")).to_have_text("We're away")
    await expect(panel.get_by_test_id("offline-banner")).to_be_visible()
    await expect(panel.get_by_test_id("composer")).to_be_enabled()
    await expect(panel.get_by_test_id("offline-form")).to_have_count(0)

    # Escape closes the panel; a reply while closed raises the badge and asks for a sound.
    messages: list[dict] = []
    await page.expose_function("recordPanelMessage", lambda m: messages.append(json.loads(m)))
    await page.evaluate(
        """() => addEventListener("message", (e) => {
            if (e.data && e.data.type === "sitechat:message") recordPanelMessage(JSON.stringify(e.data));
        })"""
    )
    await panel.get_by_test_id("composer").press("Escape")
    await expect(page.locator(PANEL)).to_be_hidden()
    await expect(page.get_by_test_id("sitechat-launcher")).to_be_focused()
    await site.reply(cid, "Still there?")
    await expect(page.get_by_test_id("sitechat-unread")).to_have_text(re.compile("1"))
    await eventually(lambda: _true(len(messages) == 1), what="a sitechat:message")
    assert messages[0]["message"]["body"] == "Still there?"
    assert messages[0]["message"]["sender"]["name"] == "Maria Support"
    assert messages[0]["sound"] is True

    # Opening reads it: the badge goes.
    await launch(page)
    await expect(page.get_by_test_id("sitechat-unread")).to_be_hidden()

    # Muted (kept across reloads): the next reply makes no sound.
    mute = panel.get_by_test_id("mute")
    await expect(mute).to_have_attribute("aria-pressed", "false")
    await mute.click()
    await expect(mute).to_have_attribute("aria-pressed", "true")
    await page.reload()
    await page.evaluate(
        """() => addEventListener("message", (e) => {
            if (e.data && e.data.type === "sitechat:message") recordPanelMessage(JSON.stringify(e.data));
        })"""
    )
    await launch(page)
    await expect(panel.get_by_test_id("mute")).to_have_attribute("aria-pressed", "true")
    await panel.get_by_test_id("close").click()
    await site.reply(cid, "Bye for now")
    await eventually(lambda: _true(len(messages) == 2), what="a second sitechat:message")
    assert messages[1]["sound"] is False
    await site.close()
    await ctx.close()


async def badge_stays(page: Page, text: str, seconds: float = 2) -> None:
    """The launcher's unread badge shows `text` all along, checked every 100 ms."""
    badge = page.get_by_test_id("sitechat-unread")
    for _ in range(int(seconds * 10)):
        assert await badge.is_visible(), "the unread badge went away"
        assert await badge.inner_text() == text
        await page.wait_for_timeout(100)


async def test_unread_badge_counts_replies_until_the_panel_is_shown(
    server, browser: Browser, host_site: HostSite
) -> None:
    """With an open conversation the panel is on the page at once, hidden. An agent message
    the visitor has not seen stays unread until the panel is shown, also when the panel has
    no read mark saved for the conversation (its saved state is gone: cleared, or saved by
    a panel that kept none), whether the reply comes before or after the history."""
    site = await make_site(server, settings={"behavior": {"ask_email_in_chat": False}})
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    switch = SocketSwitch()
    await switch.install(ctx)
    page = await ctx.new_page()
    url = host_page(host_site, site)
    elsewhere = host_site.page(f"elsewhere-{site.id}.html", "<h1>Shipping rates</h1>")
    forget_panel_state = f"localStorage.removeItem('sitechat:{site.id}:panel')"
    badge = page.get_by_test_id("sitechat-unread")
    pending = page.frame_locator(PANEL).locator("[data-pending=true]")

    panel = await open_panel(page, url)
    await send(panel, "Do you ship to Norway?")
    await expect(pending).to_have_count(0)
    cid = (await the_conversation(site))["id"]
    await panel.get_by_test_id("close").click()
    await page.goto(elsewhere)
    await page.evaluate(forget_panel_state)

    # Back on the shop. The panel asks for the conversation's history, and the answer is
    # slow: the agent's reply comes first.
    switch.hold("history")
    await page.goto(url)
    await eventually(lambda: _true(bool(switch.held)), what="the history answer")
    assert not await page.locator(PANEL).is_visible()
    await site.reply(cid, "Yes, we do!")
    await expect(badge).to_have_text("1")
    switch.release()
    await badge_stays(page, "1")
    # Opening the panel reads it: the badge goes.
    panel = await launch(page)
    await expect(panel.get_by_test_id("message").filter(has_text="Yes, we do!")).to_be_visible()
    await expect(badge).to_be_hidden()

    # A reply that comes while the visitor is on a page without the chat (no socket hears
    # it) is news when they come back.
    await send(panel, "Great, thanks!")
    await expect(pending).to_have_count(0)
    await panel.get_by_test_id("close").click()
    await page.goto(elsewhere)
    await page.evaluate(forget_panel_state)
    await site.reply(cid, "You're welcome. Anything else?")
    await page.goto(url)
    await expect(badge).to_have_text("1")
    await badge_stays(page, "1")
    panel = await launch(page)
    await expect(panel.get_by_test_id("message").filter(has_text="Anything else?")).to_be_visible()
    await expect(badge).to_be_hidden()
    assert not page_errors(ctx)
    await site.close()
    await ctx.close()


async def _true(value: bool) -> bool:
    return value


async def axe_violations(page: Page) -> list[dict]:
    frame = page.frame(url=re.compile(r"/widget/panel"))
    assert frame is not None
    if not await frame.evaluate("() => typeof axe !== 'undefined'"):
        await frame.evaluate(AXE.read_text())
    result = await frame.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                                             nodes: v.nodes.map((n) => n.target.join(" "))}));
        }"""
    )
    return list(result)


def serious(violations: list[dict]) -> list[dict]:
    found = [v for v in violations if v["impact"] in ("serious", "critical")]
    for v in found:
        print(f"axe {v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}")
    return found


async def test_axe_finds_no_serious_violations(server, browser: Browser, host_site: HostSite) -> None:
    assert AXE.exists(), "run npm ci: axe-core is a dev dependency"
    site = await make_site(
        server,
        settings={
            "prechat": {
                "enabled": True,
                "fields": {"name": "required", "email": "optional"},
                "custom_fields": [
                    {"key": "terms", "label": "I accept the terms", "type": "checkbox", "required": True}
                ],
            },
            "behavior": {"ask_email_in_chat": True},
        },
    )
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    panel = await open_panel(page, host_page(host_site, site))

    # The pre-chat form, with its error messages showing.
    await panel.get_by_test_id("prechat-submit").click()
    await expect(panel.get_by_test_id("field-error").first).to_be_visible()
    assert serious(await axe_violations(page)) == []

    # The conversation with a reply and the email question.
    await panel.get_by_label("Name", exact=True).fill("Alan")
    await panel.get_by_label("I accept the terms").check()
    await panel.get_by_label("Message", exact=True).fill("Testing, one two")
    await panel.get_by_test_id("prechat-submit").click()
    await expect(panel.get_by_test_id("email-ask")).to_be_visible()
    await site.reply((await the_conversation(site))["id"], "Loud and clear")
    await expect(panel.get_by_test_id("message").filter(has_text="Loud and clear")).to_be_visible()
    assert serious(await axe_violations(page)) == []

    # The past conversations list.
    await panel.get_by_test_id("past-toggle").click()
    await expect(panel.get_by_test_id("past-conversation")).to_have_count(1)
    assert serious(await axe_violations(page)) == []
    await site.close()
    await ctx.close()


async def test_keyboard_focus_and_escape(server, browser: Browser, host_site: HostSite) -> None:
    site = await make_site(server)
    ctx = await browser.new_context()
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    await page.goto(host_page(host_site, site))
    launcher = page.get_by_test_id("sitechat-launcher")
    await launcher.focus()
    await page.keyboard.press("Enter")
    panel = page.frame_locator(PANEL)
    # Focus moves into the panel, to the composer.
    await expect(panel.get_by_test_id("composer")).to_be_focused()
    # Every header control is reachable with Tab and has a name.
    for testid in ("past-toggle", "mute", "close"):
        button = panel.get_by_test_id(testid)
        await expect(button).to_have_attribute("aria-label", re.compile(r"\w"))
    await page.keyboard.press("Shift+Tab")
    await expect(panel.get_by_test_id("message-list")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.locator(PANEL)).to_be_hidden()
    await expect(launcher).to_be_focused()
    await site.close()
    await ctx.close()


async def test_locale_from_browser_and_set_locale(server, browser: Browser, host_site: HostSite) -> None:
    site = await make_site(server, settings={"behavior": {"ask_email_in_chat": False}})
    ctx = await browser.new_context(locale="de-DE")
    ctx.set_default_timeout(10_000)
    page = await ctx.new_page()
    panel = await open_panel(page, host_page(host_site, site))

    composer = panel.get_by_test_id("composer")
    await expect(composer).to_have_attribute("placeholder", "Nachricht schreiben…")
    await expect(panel.get_by_test_id("close")).to_have_attribute("aria-label", "Chat schließen")
    await expect(panel.locator("html")).to_have_attribute("lang", "de-DE")

    await page.evaluate("WebsiteChat.setLocale('fr')")
    await expect(composer).to_have_attribute("placeholder", "Écrivez un message…")
    await expect(panel.get_by_test_id("close")).to_have_attribute("aria-label", "Fermer la discussion")
    await expect(panel.get_by_test_id("send")).to_have_attribute("aria-label", "Envoyer le message")
    await expect(panel.locator("html")).to_have_attribute("lang", "fr")

    await send(panel, "Bonjour !")
    await expect(panel.get_by_test_id("receipt")).to_have_text(re.compile("Envoyé"))
    await page.evaluate("WebsiteChat.setLocale('es')")
    await expect(panel.get_by_test_id("receipt")).to_have_text(re.compile("Enviado"))
    await site.close()
    await ctx.close()
