"""Imports every model so that ``Base.metadata`` is complete (Alembic, tests)."""

from sitechat.agents.models import Agent, AgentInvite, AgentSession, AgentWebsite, ApiToken
from sitechat.audit.models import AuditEntry
from sitechat.canned.models import CannedResponse
from sitechat.conversations.models import Conversation, Message
from sitechat.db.base import Base
from sitechat.notifications.models import (
    ConversationMute,
    NotificationPrefs,
    PushSubscription,
    UnansweredConversation,
)
from sitechat.routing.models import Team, TeamMember
from sitechat.tracking.models import PageView, VisitorSession
from sitechat.visitors.models import Visitor, VisitorEvent
from sitechat.websites.models import Website

__all__ = [
    "Agent",
    "AgentInvite",
    "AgentSession",
    "AgentWebsite",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CannedResponse",
    "Conversation",
    "ConversationMute",
    "Message",
    "NotificationPrefs",
    "PageView",
    "PushSubscription",
    "Team",
    "TeamMember",
    "UnansweredConversation",
    "Visitor",
    "VisitorEvent",
    "VisitorSession",
    "Website",
]
