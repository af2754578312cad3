"""Imports every model so that ``Base.metadata`` is complete (Alembic, tests)."""

from sitechat.agents.models import Agent, AgentSession, AgentWebsite, ApiToken
from sitechat.conversations.models import Conversation, Message
from sitechat.db.base import Base
from sitechat.visitors.models import Visitor
from sitechat.websites.models import Website

__all__ = [
    "Agent",
    "AgentSession",
    "AgentWebsite",
    "ApiToken",
    "Base",
    "Conversation",
    "Message",
    "Visitor",
    "Website",
]
