from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sitechat.realtime.protocol import VisitorProfile
from sitechat.visitors.schemas import ClientId, ClientInfo, Identify, PageIn
from sitechat.websites.settings import Appearance, Behavior, Prechat, PublicOffline


class ConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    visitor_key: Annotated[str, Field(max_length=512)] | None = None
    # WebsiteChat.identify(...) calls made on the page, saved before the answer is built.
    identify: Identify | None = None
    # WebsiteChat.setLocale(...) or the browser's language; a BCP 47 tag.
    locale: Annotated[str, Field(max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")] | None = None
    # Tracking (docs/tracking.md): this document's tab id, the page it shows, what the
    # browser says about itself, and the privacy signals the server must honour.
    tab: ClientId | None = None
    page: PageIn | None = None
    client: ClientInfo | None = None
    consent: bool | None = None
    gpc: bool = False


class WidgetWebsite(BaseModel):
    id: str
    name: str
    appearance: Appearance
    behavior: Behavior
    prechat: Prechat
    # Never the whole Offline section: where offline mail goes is not the visitor's business.
    offline: PublicOffline


class WidgetAgent(BaseModel):
    id: str
    name: str
    avatar_url: str | None = None


class ConfigOut(BaseModel):
    website: WidgetWebsite
    visitor_id: str
    visitor_key: str
    token: str
    token_expires_in: int
    ws_url: str
    agents_online: bool
    # Inside the website's business hours (always true when it keeps none).
    open_now: bool
    agents: list[WidgetAgent]
    visitor: VisitorProfile
    # The panel is created at once for such a visitor, so a reply raises the badge.
    has_open_conversation: bool
    # Whether this page is tracked (consent and Global Privacy Control honoured): the
    # launcher reports page views, time on page and presence only when it is.
    tracking: bool = False
    # Changes whenever the website's settings do. The events endpoint (every ping) answers
    # it too, so a launcher whose panel is closed learns of new settings within a ping.
    settings_version: str = ""
