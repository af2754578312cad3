"""Websites: creation, lookup, membership, and the install snippet."""

from __future__ import annotations

import json
import logging
from typing import Any

from sitechat.actors import AgentActor
from sitechat.audit import service as audit
from sitechat.db.base import utcnow
from sitechat.db.uow import UnitOfWork
from sitechat.errors import Forbidden, IdentitySecretUnreadable, WebsiteNotFound
from sitechat.integrations.mailer import Mail
from sitechat.realtime import topics
from sitechat.realtime.protocol import SettingsFrame, WebsiteDeletedFrame
from sitechat.visitors import identity
from sitechat.websites import repository
from sitechat.websites.models import Website
from sitechat.websites.schemas import WebsiteCreate, WebsiteOut, WebsiteUpdate
from sitechat.websites.settings import WebsiteSettings, merged, settings_of

log = logging.getLogger(__name__)
SNIPPET = """<script>
  (function(w,d,s,l,i){{w[l]=w[l]||[];w[l].push({{'gtm.start':
  new Date().getTime(),event:'chat.js'}});var f=d.getElementsByTagName(s)[0],
  j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=
  {loader}+i+dl;f.parentNode.insertBefore(j,f);
  }})(window,document,'script','websiteChat',{website_id});
</script>"""


def install_snippet(public_url: str, website_id: str) -> str:
    """The PRD §4.2 snippet; values go in as JS string literals (json.dumps escapes them)."""
    loader = json.dumps(f"{public_url}/widget/loader.js?id=").replace("</", "<\\/")
    return SNIPPET.format(loader=loader, website_id=json.dumps(website_id))


def to_out(website: Website, public_url: str) -> WebsiteOut:
    settings = settings_of(website.settings)
    return WebsiteOut(
        id=website.id,
        name=website.name,
        domains=list(website.allowed_domains),
        appearance=settings.appearance,
        settings=settings,
        created_at=website.created_at,
        snippet=install_snippet(public_url, website.id),
    )


async def create(uow: UnitOfWork, data: WebsiteCreate, *, by: AgentActor | None = None) -> Website:
    """``by`` None: the server itself (first start, the CLI)."""
    if by is not None:
        require_manager(by.role)
    patch = dict(data.settings or {})
    if data.appearance is not None:
        given = patch.get("appearance")
        # settings.appearance wins over the shorthand; a non-object is reported by merged().
        patch["appearance"] = (
            {**data.appearance.model_dump(), **(given or {})} if isinstance(given, dict | None) else given
        )
    settings = merged(None, patch)
    website = await repository.insert(
        uow.session,
        name=data.name,
        allowed_domains=data.domains,
        settings=settings.model_dump(mode="json"),
    )
    await audit.record(
        uow,
        by,
        "website.create",
        target_type="website",
        target_id=website.id,
        website_id=website.id,
        changes={"name": website.name, "domains": list(website.allowed_domains)},
    )
    uow.emit(topics.ADMIN, {"type": "_website.created", "website_id": website.id})
    return website


async def update(uow: UnitOfWork, actor: AgentActor, website_id: str, data: WebsiteUpdate) -> Website:
    """Rename, or replace the domain allowlist. A new allowlist holds for the next widget
    request and WebSocket handshake; sockets already open stay (their origin was checked)."""
    website = await _managed(uow, actor, website_id)
    if data.name is not None and data.name != website.name:
        await audit.record(
            uow,
            actor,
            "website.update",
            target_type="website",
            target_id=website.id,
            website_id=website.id,
            changes={"name": {"from": website.name, "to": data.name}},
        )
        website.name = data.name
    if data.domains is not None and data.domains != sorted(website.allowed_domains):
        before = set(website.allowed_domains)
        await audit.record(
            uow,
            actor,
            "website.domains.update",
            target_type="website",
            target_id=website.id,
            website_id=website.id,
            changes={
                "added": sorted(set(data.domains) - before),
                "removed": sorted(before - set(data.domains)),
            },
        )
        website.allowed_domains = list(data.domains)
    website.updated_at = utcnow()
    await uow.session.flush()
    return website


async def delete(uow: UnitOfWork, actor: AgentActor, website_id: str) -> None:
    """The website and everything of it (visitors, conversations, messages, tracking,
    memberships: the database cascades). Open visitor sockets are closed with
    WEBSITE_DELETED once committed; agents' consoles are told with a website.deleted frame."""
    website = await _managed(uow, actor, website_id)
    await audit.record(
        uow,
        actor,
        "website.delete",
        target_type="website",
        target_id=website.id,
        website_id=website.id,
        changes={"name": website.name, "domains": list(website.allowed_domains)},
    )
    await repository.delete(uow.session, website)
    gone = WebsiteDeletedFrame(website_id=website_id).model_dump(mode="json")
    uow.emit(topics.presence(website_id), {"type": "_website.deleted", "website_id": website_id})
    uow.emit(
        topics.website(website_id), {"type": "_website.deleted", "website_id": website_id, "frame": gone}
    )


async def get(uow: UnitOfWork, website_id: str) -> Website:
    website = await repository.get(uow.session, website_id)
    if website is None:
        raise WebsiteNotFound()
    return website


async def settings(uow: UnitOfWork, website_id: str) -> WebsiteSettings:
    return settings_of((await get(uow, website_id)).settings)


async def update_settings(
    uow: UnitOfWork, actor: AgentActor, website_id: str, patch: dict[str, Any]
) -> Website:
    website = await _managed(uow, actor, website_id)
    before = settings_of(website.settings).model_dump(mode="json")
    after = merged(website.settings, patch)
    website.settings = after.model_dump(mode="json")
    changed = _changed(before, website.settings)
    if changed:
        await audit.record(
            uow,
            actor,
            "website.settings.update",
            target_type="website",
            target_id=website.id,
            website_id=website.id,
            changes=changed,
        )
        # Widgets already open apply it at once (the visitor-facing part only).
        uow.emit(topics.presence(website.id), settings_frame(website.id, after).model_dump(mode="json"))
    await uow.session.flush()
    return website


def settings_frame(website_id: str, settings: WebsiteSettings) -> SettingsFrame:
    return SettingsFrame(
        website_id=website_id,
        appearance=settings.appearance,
        behavior=settings.behavior,
        prechat=settings.prechat,
        offline=settings.offline.public(),
        open_now=settings.business_hours.open_at(utcnow()),
    )


def _changed(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Changed leaves as {"section.field": {"from": …, "to": …}}."""
    out: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            out.update(_changed(old, new, f"{prefix}{key}."))
        elif old != new:
            out[f"{prefix}{key}"] = {"from": old, "to": new}
    return out


async def offline_mail(
    uow: UnitOfWork,
    website_id: str,
    *,
    name: str | None,
    email: str | None,
    body: str,
    conversation_id: str,
) -> Mail | None:
    """The email telling the team of an offline message, or None when the website sends
    none (no offline.email_to, or notifications.email off). Plain text: nothing the visitor
    wrote is interpreted; Reply-To is the visitor, so answering reaches them."""
    website = await get(uow, website_id)
    settings = settings_of(website.settings)
    if settings.offline.email_to is None or not settings.notifications.email:
        return None
    who = name or email or "A visitor"
    text = (
        f"{who} left a message on {website.name} while nobody was available.\n\n"
        f"Name:  {name or '-'}\n"
        f"Email: {email or '-'}\n\n"
        f"{body}\n\n"
        f"-- \nsitechat, conversation {conversation_id}. Reply to this email to answer {who}.\n"
    )
    return Mail(
        to=settings.offline.email_to,
        subject=f"[{website.name}] Offline message from {who}",
        text=text,
        reply_to=email,
        reply_to_name=name,
    )


async def exists(uow: UnitOfWork, website_id: str) -> bool:
    return await repository.get(uow.session, website_id) is not None


async def get_visible(uow: UnitOfWork, actor: AgentActor, website_id: str) -> Website:
    if not actor.can_see(website_id):
        raise WebsiteNotFound()
    return await get(uow, website_id)


async def list_all(uow: UnitOfWork) -> list[Website]:
    return await repository.list_all(uow.session)


async def all_ids(uow: UnitOfWork) -> list[str]:
    return await repository.all_ids(uow.session)


async def first_created(uow: UnitOfWork) -> Website | None:
    """The oldest website, or None when there is none yet (the demo page shows it)."""
    return await repository.first_created(uow.session)


async def add_member(uow: UnitOfWork, actor: AgentActor, website_id: str, agent_id: str) -> None:
    # Membership rows belong to agents; imported here because agents' service imports this one.
    from sitechat.agents import service as agents

    await _managed(uow, actor, website_id)
    if await agents.join_website(uow, agent_id, website_id):
        await audit.record(
            uow, actor, "website.agents.add", target_type="agent", target_id=agent_id, website_id=website_id
        )
        uow.emit(topics.agent(agent_id), {"type": "_membership", "website_id": website_id, "member": True})


async def remove_member(uow: UnitOfWork, actor: AgentActor, website_id: str, agent_id: str) -> None:
    # Membership rows belong to agents; imported here because agents' service imports this one.
    from sitechat.agents import service as agents

    await _managed(uow, actor, website_id)
    if await agents.leave_website(uow, agent_id, website_id):
        await audit.record(
            uow,
            actor,
            "website.agents.remove",
            target_type="agent",
            target_id=agent_id,
            website_id=website_id,
        )
    uow.emit(topics.agent(agent_id), {"type": "_membership", "website_id": website_id, "member": False})


def require_manager(role: str) -> None:
    if role not in ("owner", "admin"):
        raise Forbidden("Only owners and admins manage websites.")


# --- identity secret (docs/identification.md) -------------------------------------------------


async def _managed(uow: UnitOfWork, actor: AgentActor, website_id: str) -> Website:
    """The website, locked, for an owner or admin. Visibility first: a website the actor
    may not see is not found, whatever the role."""
    if not actor.can_see(website_id):
        raise WebsiteNotFound()
    require_manager(actor.role)
    website = await repository.lock(uow.session, website_id)
    if website is None:
        raise WebsiteNotFound()
    return website


def verification_secret(website: Website, server_key: str) -> str | None:
    """The website's identity secret in clear, None when it has none. Raises
    IdentitySecretUnreadable rather than ever verifying against a wrong key."""
    if website.identity_secret is None:
        return None
    try:
        return identity.decrypt(server_key, website.id, website.identity_secret)
    except identity.SecretUnreadable:
        raise IdentitySecretUnreadable() from None


async def identity_secret(uow: UnitOfWork, actor: AgentActor, website_id: str, server_key: str) -> str | None:
    return verification_secret(await _managed(uow, actor, website_id), server_key)


async def rotate_identity_secret(
    uow: UnitOfWork, actor: AgentActor, website_id: str, server_key: str
) -> tuple[str, bool]:
    """A new secret (the old one stops verifying at once); True when there was none before."""
    website = await _managed(uow, actor, website_id)
    created = website.identity_secret is None
    secret = identity.new_secret()
    website.identity_secret = identity.encrypt(server_key, website.id, secret)
    await audit.record(
        uow,
        actor,
        "identity_secret.rotate",
        target_type="website",
        target_id=website.id,
        website_id=website.id,
        changes={"identity_secret": "created" if created else "rotated"},
    )
    await uow.session.flush()
    # Who and which website, never the secret.
    log.info(
        "identity secret %s for website %s by agent %s",
        "created" if created else "rotated",
        website.id,
        actor.agent_id,
    )
    return secret, created


async def delete_identity_secret(uow: UnitOfWork, actor: AgentActor, website_id: str) -> bool:
    """True when there was a secret to delete."""
    website = await _managed(uow, actor, website_id)
    had = website.identity_secret is not None
    website.identity_secret = None
    if had:
        await audit.record(
            uow,
            actor,
            "identity_secret.delete",
            target_type="website",
            target_id=website.id,
            website_id=website.id,
            changes={"identity_secret": "deleted"},
        )
    await uow.session.flush()
    if had:
        log.info("identity secret deleted for website %s by agent %s", website.id, actor.agent_id)
    return had
