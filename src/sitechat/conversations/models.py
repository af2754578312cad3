from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from sitechat.db.base import Base, UTCDateTime, new_id, utcnow

STATUSES = ("open", "pending", "resolved", "snoozed")
SENDER_KINDS = ("visitor", "agent", "system")
PRIORITIES = ("normal", "urgent")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_website_activity", "website_id", "last_activity_at"),
        Index("ix_conversations_visitor", "visitor_id", "created_at"),
        Index("ix_conversations_queue", "website_id", "queued_at"),
        # The snooze job: conversations whose time has come.
        Index("ix_conversations_snoozed_until", "snoozed_until"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("c"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id", ondelete="CASCADE"))
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    # "chat" (started in the widget) or "offline" (the offline message form).
    origin: Mapped[str] = mapped_column(String(20), default="chat", server_default="chat")
    assignee_id: Mapped[str | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # The seq of the newest message; the next message takes last_seq + 1 in the same
    # transaction, under the row lock that UPDATE takes.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    visitor_delivered_seq: Mapped[int] = mapped_column(Integer, default=0)
    visitor_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    agent_delivered_seq: Mapped[int] = mapped_column(Integer, default=0)
    agent_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Routing (docs/routing.md): waiting for an agent since, and what the visitor is shown
    # meanwhile ("queue" or "offline_form"); both None once assigned or not routed.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    waiting: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # "normal" or "urgent".
    priority: Mapped[str] = mapped_column(String(10), default="normal", server_default="normal")
    # Status "snoozed" until then; the snooze job (or the visitor writing) reopens it.
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The seq of the newest message the visitor may see (internal notes are skipped): what
    # the visitor is told as last_seq, so notes never show even as a gap in a count.
    visitor_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        # A retried send (same sender, same client_msg_id) finds the first one.
        UniqueConstraint("sender_key", "client_msg_id", name="uq_messages_sender_client_msg"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("m"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    sender_kind: Mapped[str] = mapped_column(String(10))
    sender_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sender_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # "visitor:<id>" / "agent:<id>": the scope in which client_msg_id is unique.
    sender_key: Mapped[str] = mapped_column(String(60))
    client_msg_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    # An internal note: agents only, never sent or listed to the visitor.
    note: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
