from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sitechat.db.base import Base, UTCDateTime, new_id, utcnow

STATUSES = ("open", "pending", "resolved", "snoozed")
SENDER_KINDS = ("visitor", "agent", "system")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_website_activity", "website_id", "last_activity_at"),
        Index("ix_conversations_visitor", "visitor_id", "created_at"),
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
