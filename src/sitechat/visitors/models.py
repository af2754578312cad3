from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sitechat.db.base import Base, JSONType, UTCDateTime, new_id, utcnow


class Visitor(Base):
    __tablename__ = "visitors"
    # A site's own user id is one visitor per website (identity verification).
    __table_args__ = (UniqueConstraint("website_id", "user_id", name="uq_visitors_website_user"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("v"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)
    phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    company: Mapped[str | None] = mapped_column(String(100), nullable=True)
    custom_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The website's own id for this user, set only by a verified identify (HMAC) or the
    # server-side identify API; ``verified`` says the website vouched for it.
    user_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VisitorEvent(Base):
    """Something a visitor did (PRD Appendix A): ``WebsiteChat.track`` calls today; page
    views and the rest of the tracking release later."""

    __tablename__ = "visitor_events"
    __table_args__ = (
        Index("ix_visitor_events_type", "event_type"),
        Index("ix_visitor_events_visitor_created", "visitor_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ev"))
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id", ondelete="CASCADE"), index=True)
    event_type: Mapped[str] = mapped_column(String(50))
    event_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
