"""Imports every model so that ``Base.metadata`` is complete (Alembic, tests)."""

from sitechat.agents.models import Agent, AgentSession, AgentWebsite, ApiToken
from sitechat.conversations.models import Conversation, Message
from sitechat.db.base import Base
from sitechat.tracking.models import PageView, VisitorSession
from sitechat.visitors.models import Visitor, VisitorEvent
from sitechat.websites.models import Website

__all__ = [
    "Agent",
    "AgentSession",
    "AgentWebsite",
    "ApiToken",
    "Base",
    "Conversation",
    "Message",
    "PageView",
    "Visitor",
    "VisitorEvent",
    "VisitorSession",
    "Website",
]
