from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sitechat.db.base import Base, JSONType, UTCDateTime, new_id, utcnow


class NotificationPrefs(Base):
    """One agent's notification settings, kept on the server so every device agrees."""

    __tablename__ = "notification_prefs"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    # The Preferences document (notifications/schemas.py); None until the agent saves
    # theirs: each website's defaults (its settings' notifications section) apply.
    prefs: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # Temporary mute (30 min, 1 h, 2 h): nothing alerts before this.
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationMute(Base):
    """An agent muted one conversation: it never alerts them until unmuted."""

    __tablename__ = "notification_conversation_mutes"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PushSubscription(Base):
    """A browser's Web Push subscription (PushSubscription.toJSON()) for one agent."""

    __tablename__ = "push_subscriptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("push"))
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    # The push service's URL for this browser: unique, a browser re-subscribing replaces it.
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UnansweredConversation(Base):
    """A conversation whose visitor wrote and no agent has answered since: the email job
    reads these. ``since_seq`` names the unanswered period (its first visitor message);
    ``emailed_at`` is set once, by whichever node claims the period first."""

    __tablename__ = "notification_unanswered"
    __table_args__ = (Index("ix_notification_unanswered_due", "emailed_at", "since_at"),)

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id", ondelete="CASCADE"), index=True)
    since_seq: Mapped[int] = mapped_column(Integer)
    since_at: Mapped[datetime] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
