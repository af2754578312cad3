"""Every WebSocket frame, both directions, as a pydantic model discriminated by ``type``.

docs/protocol.md shows each with an example; tests/realtime/test_protocol.py checks them.
Client frames are validated strictly (unknown fields are refused) so a typo is an
``invalid_frame`` error rather than a silently ignored field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_serializer

from sitechat.visitors.schemas import ProfileFields
from sitechat.websites.settings import Appearance, Behavior, Prechat, PublicOffline

ConversationId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^c_[a-z0-9]+$")]
ClientMsgId = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
RequestId = Annotated[str, Field(max_length=64)]
MAX_SEQ = 2**31 - 1  # the column is a 32-bit INTEGER; larger values would overflow it
Seq = Annotated[int, Field(ge=0, le=MAX_SEQ)]


class ClientFrame(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: RequestId | None = None


class Hello(ClientFrame):
    type: Literal["hello"]
    # conversation id -> the last seq the client has; missed messages are replayed.
    resume: dict[ConversationId, Seq] = Field(default_factory=dict, max_length=200)


class MessageSend(ClientFrame):
    type: Literal["message.send"]
    client_msg_id: ClientMsgId
    # Visitors may omit it: their current open conversation, or a new one.
    conversation_id: ConversationId | None = None
    # With no conversation_id: start a new conversation rather than continue the open one.
    new_conversation: bool = False
    # Agents only: an internal note, seen by agents and never by the visitor.
    note: bool = False
    # Length is checked against the configured limit by the service (message_too_long).
    body: Annotated[str, Field(min_length=1)]


class Typing(ClientFrame):
    type: Literal["typing"]
    conversation_id: ConversationId
    typing: bool


class Seen(ClientFrame):
    type: Literal["seen"]
    conversation_id: ConversationId
    seq: Seq
    state: Literal["delivered", "read"]


class HistoryRequest(ClientFrame):
    type: Literal["history"]
    conversation_id: ConversationId
    before_seq: Annotated[int, Field(ge=1, le=MAX_SEQ)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class Ping(ClientFrame):
    type: Literal["ping"]


class Pong(ClientFrame):
    type: Literal["pong"]


class ProfileUpdate(ClientFrame, ProfileFields):
    """Visitor only: save details given in the pre-chat form or in the conversation."""

    type: Literal["profile.update"]


class OfflineSubmit(ClientFrame, ProfileFields):
    """Visitor only: the offline message form; becomes a new conversation."""

    type: Literal["offline.submit"]
    client_msg_id: ClientMsgId
    email: Annotated[str, Field(min_length=3, max_length=320)]
    body: Annotated[str, Field(min_length=1)]


class Visibility(ClientFrame):
    """Agent console only: whether its page is visible now (document.visibilityState).
    Web Push goes to an agent only while none of their consoles is visible."""

    type: Literal["visibility"]
    visible: bool


AnyClientFrame = Annotated[
    Hello
    | MessageSend
    | Typing
    | Seen
    | HistoryRequest
    | Ping
    | Pong
    | ProfileUpdate
    | OfflineSubmit
    | Visibility,
    Field(discriminator="type"),
]
CLIENT_FRAME_TYPES = frozenset(
    {
        "hello",
        "message.send",
        "typing",
        "seen",
        "history",
        "ping",
        "pong",
        "profile.update",
        "offline.submit",
        "visibility",
    }
)
VISITOR_ONLY_FRAMES = frozenset({"profile.update", "offline.submit"})
client_frame_adapter: TypeAdapter[AnyClientFrame] = TypeAdapter(AnyClientFrame)


# --- server -> client ------------------------------------------------------------------


class ServerFrame(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Sender(BaseModel):
    kind: Literal["visitor", "agent", "system"]
    id: str | None = None
    name: str | None = None


class MessageOut(BaseModel):
    id: str
    seq: int
    sender: Sender
    body: str
    client_msg_id: str | None = None
    created_at: datetime
    # An internal note (agents only; a visitor never receives one). Left out when false.
    note: bool = Field(default=False, exclude_if=lambda v: not v)

    @field_serializer("created_at")
    def _ser_created(self, v: datetime) -> str:
        return _iso(v)


class LastMessage(BaseModel):
    body: str
    sender_kind: str
    created_at: datetime
    note: bool = Field(default=False, exclude_if=lambda v: not v)

    @field_serializer("created_at")
    def _ser_created(self, v: datetime) -> str:
        return _iso(v)


class ConversationBrief(BaseModel):
    """What a visitor learns about their own conversations."""

    id: str
    status: str
    last_seq: int
    created_at: datetime
    origin: str = "chat"
    last_message: LastMessage | None = None
    # How far the agents got: a reloaded widget can show Delivered/Read again.
    agent_delivered_seq: int = 0
    agent_read_seq: int = 0
    # How far the visitor has read, on any device: the widget's unread count starts here.
    visitor_read_seq: int = 0
    # Waiting for an agent (docs/routing.md): "queue" (show "someone will answer soon") or
    # "offline_form" (show the offline form); None otherwise.
    waiting: Literal["queue", "offline_form"] | None = None

    @field_serializer("created_at")
    def _ser_created(self, v: datetime) -> str:
        return _iso(v)


class VisitorBrief(BaseModel):
    id: str
    name: str | None = None
    email: str | None = None


class ConversationOut(BaseModel):
    """What an agent sees of a conversation (REST list items and ``conversation`` frames)."""

    id: str
    website_id: str
    visitor: VisitorBrief
    status: str
    # "chat", or "offline" for a message left through the offline form.
    origin: str = "chat"
    assignee_id: str | None
    last_seq: int
    last_message: LastMessage | None
    unread_count: int
    visitor_read_seq: int
    agent_read_seq: int
    created_at: datetime
    updated_at: datetime
    # In the routing queue (docs/routing.md): "queue" or "offline_form"; None otherwise.
    waiting: str | None = None
    # "normal" or "urgent".
    priority: Literal["normal", "urgent"] = "normal"
    # With status "snoozed": when it opens again by itself.
    snoozed_until: datetime | None = None

    @field_serializer("created_at", "updated_at")
    def _ser_dt(self, v: datetime) -> str:
        return _iso(v)

    @field_serializer("snoozed_until")
    def _ser_snoozed(self, v: datetime | None) -> str | None:
        return None if v is None else _iso(v)


class AgentBrief(BaseModel):
    id: str
    email: str
    name: str
    role: str


class VisitorProfile(BaseModel):
    """What the visitor's own widget sees of their profile (never the site's user id)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    custom_data: dict[str, Any] = {}


class WelcomeVisitor(ServerFrame):
    type: Literal["welcome"] = "welcome"
    visitor_id: str
    conversations: list[ConversationBrief]
    agents_online: bool
    profile: VisitorProfile
    # Inside the website's business hours at the time of the welcome.
    open_now: bool = True


class ProfileFrame(ServerFrame):
    """To the visitor: their saved profile (the answer to profile.update, and to other tabs)."""

    type: Literal["profile"] = "profile"
    id: str | None = None
    visitor: VisitorProfile


class VisitorProfileOut(VisitorProfile):
    """What agents see: the profile, and how well we know who the visitor is."""

    id: str
    # anonymous: nothing known; partial: some detail; identified: name and email;
    # verified: the website vouched for the user (docs/identification.md).
    state: Literal["anonymous", "partial", "identified", "verified"] = "anonymous"
    verified: bool = False
    user_id: str | None = None


class VisitorFrame(ServerFrame):
    """To agents: a visitor's profile changed."""

    type: Literal["visitor"] = "visitor"
    website_id: str
    visitor: VisitorProfileOut


class WelcomeAgent(ServerFrame):
    type: Literal["welcome"] = "welcome"
    agent: AgentBrief
    websites: list[str]


class MessageFrame(ServerFrame):
    type: Literal["message"] = "message"
    conversation_id: str
    website_id: str | None = None
    message: MessageOut


class Ack(ServerFrame):
    type: Literal["ack"] = "ack"
    id: str | None = None
    client_msg_id: str
    conversation_id: str
    seq: int
    message_id: str


class TypingFrame(ServerFrame):
    type: Literal["typing"] = "typing"
    conversation_id: str
    sender: Sender
    typing: bool


class Receipt(ServerFrame):
    type: Literal["receipt"] = "receipt"
    conversation_id: str
    side: Literal["visitor", "agent"]
    delivered_seq: int
    read_seq: int


class VisitorPresence(ServerFrame):
    type: Literal["presence"] = "presence"
    agents_online: bool


class AgentPresence(ServerFrame):
    type: Literal["presence"] = "presence"
    website_id: str
    agents_online: int


ConversationChange = Literal["status", "assignee", "priority", "snoozed", "woke", "reopened"]


class ConversationFrame(ServerFrame):
    type: Literal["conversation"] = "conversation"
    conversation: ConversationOut
    # What an agent did to it (or the snooze job: "woke"; a visitor writing to a resolved
    # or snoozed one: "reopened"); left out for other updates.
    change: ConversationChange | None = Field(default=None, exclude_if=lambda v: v is None)


class AssignedFrame(ServerFrame):
    """To the assignee only: routing (or a colleague) gave them this conversation."""

    type: Literal["assigned"] = "assigned"
    conversation: ConversationOut
    # "routing" (round robin, skills, the queue, a reassignment), "manual" or "transfer".
    by: Literal["routing", "manual", "transfer"] = "routing"
    # A transfer: who handed it over, and what they wrote for the receiver.
    from_agent: str | None = Field(default=None, exclude_if=lambda v: v is None)
    note: str | None = Field(default=None, exclude_if=lambda v: v is None)


class AgentStatusFrame(ServerFrame):
    """To the agent's own connections: the routing status they set (docs/routing.md)."""

    type: Literal["agent.status"] = "agent.status"
    agent_id: str
    status: Literal["online", "away", "offline"]


class VisitorConversationFrame(ServerFrame):
    type: Literal["conversation"] = "conversation"
    conversation: ConversationBrief


class HistoryFrame(ServerFrame):
    type: Literal["history"] = "history"
    id: str | None = None
    conversation_id: str
    messages: list[MessageOut]


class LiveVisitor(BaseModel):
    """A visitor on a website right now, as the agents' live list shows them."""

    visitor_id: str
    name: str | None = None
    email: str | None = None
    # anonymous, partial, identified or verified (docs/identification.md)
    state: str = "anonymous"
    page_url: str
    page_title: str = ""
    page_since: datetime
    # Start of the visit (the session): "time on site".
    session_started_at: datetime
    source_class: str
    source: str | None = None
    # {country_code, country, region, city}
    location: dict[str, str | None] = {}
    timezone: str | None = None
    # {type, browser, browser_version, os, os_version}
    device: dict[str, str | None] = {}
    # Open tabs on the site (the page shown is the latest one's).
    tabs: int = 1

    @field_serializer("page_since", "session_started_at")
    def _ser(self, dt: datetime) -> str:
        return _iso(dt)


class VisitorLiveFrame(ServerFrame):
    """To agents: a visitor arrived on the website or moved to another page."""

    type: Literal["visitor.live"] = "visitor.live"
    website_id: str
    visitor: LiveVisitor


class VisitorLeftFrame(ServerFrame):
    """To agents: the visitor's last tab on the website closed (or stopped answering)."""

    type: Literal["visitor.left"] = "visitor.left"
    website_id: str
    visitor_id: str


class VisitorReturnedFrame(ServerFrame):
    """To agents: a visitor seen before started a new visit."""

    type: Literal["visitor.returned"] = "visitor.returned"
    website_id: str
    visitor_id: str
    name: str | None = None
    email: str | None = None
    session_id: str
    previous_visit_at: datetime
    visits: int

    @field_serializer("previous_visit_at")
    def _ser(self, dt: datetime) -> str:
        return _iso(dt)


class SettingsFrame(ServerFrame):
    """To every open widget of the website when its settings change: apply at once.
    The visitor-facing part only (never where offline mail goes)."""

    type: Literal["settings"] = "settings"
    website_id: str
    appearance: Appearance
    behavior: Behavior
    prechat: Prechat
    offline: PublicOffline
    # Inside business hours now (always true when the website keeps none).
    open_now: bool


class WebsiteDeletedFrame(ServerFrame):
    """To agents: the website and its conversations are gone."""

    type: Literal["website.deleted"] = "website.deleted"
    website_id: str


class FieldError(BaseModel):
    field: str
    message: str


class ErrorFrame(ServerFrame):
    type: Literal["error"] = "error"
    id: str | None = None
    code: str
    detail: str
    # Which inputs were wrong (validation_error, profile_required, invalid_frame).
    fields: list[FieldError] | None = Field(default=None, exclude_if=lambda v: v is None)
    # rate_limited: seconds to wait before trying again.
    retry_after: int | None = Field(default=None, exclude_if=lambda v: v is None)


class PongFrame(ServerFrame):
    type: Literal["pong"] = "pong"
    id: str | None = None


NotifyEvent = Literal["new_conversation", "new_message", "visitor_returned", "urgent", "assigned", "test"]


class NotifyVisitor(BaseModel):
    id: str | None = None
    name: str | None = None
    email: str | None = None


class NotifySound(BaseModel):
    name: str
    volume: float


class NotifyFrame(ServerFrame):
    """To one agent's consoles: something worth an alert happened (docs/notifications.md).
    The server has applied the agent's preferences and Do Not Disturb: the console plays
    ``sound`` if set and shows a desktop notification if ``desktop``; with ``suppressed``
    set it stays silent (the inbox still updates from the usual frames)."""

    type: Literal["notify"] = "notify"
    event: NotifyEvent
    website_id: str | None = None
    conversation_id: str | None = None
    visitor: NotifyVisitor = NotifyVisitor()
    # Plain text, at most 140 characters: escape it when showing it.
    preview: str = ""
    sound: NotifySound | None = None
    desktop: bool = False
    # Why nothing alerts: "quiet_hours", "muted" or "conversation_muted".
    suppressed: Literal["quiet_hours", "muted", "conversation_muted"] | None = None
    at: datetime

    @field_serializer("at")
    def _ser_at(self, v: datetime) -> str:
        return _iso(v)


class PingFrame(ServerFrame):
    type: Literal["ping"] = "ping"


class CloseCode:
    """Application close codes (4000-4999). Clients act on them; see docs/protocol.md."""

    BAD_HELLO = 4000  # first frame was not a valid hello
    UNAUTHORIZED = 4001  # token missing, invalid or expired: get a new one, reconnect
    ORIGIN_NOT_ALLOWED = 4003  # Origin not on the website's allowlist: do not retry
    WEBSITE_DELETED = 4004  # the website was deleted: do not retry
    INSUFFICIENT_SCOPE = 4005  # the API key lacks conversations:read: do not retry with it
    RATE_LIMITED = 4008  # too many frames or connections: back off (retry_after), reconnect
    TOO_SLOW = 4009  # the send queue overflowed: reconnect and resume
    HELLO_TIMEOUT = 4010  # no hello in time
    HEARTBEAT_TIMEOUT = 4011  # nothing heard from the client for too long
    GOING_AWAY = 1001  # server shutting down: reconnect to another node
