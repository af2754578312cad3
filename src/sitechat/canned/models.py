"""Saved replies: an agent's own (personal) or a website's (shared by its agents)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sitechat.db.base import Base, UTCDateTime, new_id, utcnow


class CannedResponse(Base):
    __tablename__ = "canned_responses"
    __table_args__ = (
        # Shortcuts are unique per owner: per agent for personal ones, per website for
        # shared ones (scope_key is "agent:<id>" or "website:<id>").
        Index("uq_canned_scope_shortcut", "scope_key", "shortcut", unique=True),
        Index("ix_canned_website", "website_id"),
        Index("ix_canned_agent", "agent_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cr"))
    # Exactly one of the two: a personal reply belongs to an agent, a shared one to a website.
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), nullable=True)
    website_id: Mapped[str | None] = mapped_column(
        ForeignKey("websites.id", ondelete="CASCADE"), nullable=True
    )
    scope_key: Mapped[str] = mapped_column(String(60))
    shortcut: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
