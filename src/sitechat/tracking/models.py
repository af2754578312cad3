"""Where visits are kept: sessions (one visit each) and the pages shown in them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sitechat.db.base import Base, JSONType, UTCDateTime, new_id, utcnow


class VisitorSession(Base):
    """One visit: from arrival until 30 minutes without activity, or a new campaign.
    Where the visitor came from, with what, and from where (docs/tracking.md)."""

    __tablename__ = "visitor_sessions"
    __table_args__ = (
        Index("idx_visitor_sessions_ip", "ip_address"),
        Index("ix_visitor_sessions_visitor_started", "visitor_id", "started_at"),
        Index("ix_visitor_sessions_website_last_seen", "website_id", "last_seen_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("vs"))
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    website_id: Mapped[str] = mapped_column(ForeignKey("websites.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(45), nullable=True)
    # {country_code, country, region, city, timezone} from GeoIP.
    location: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The visitor's time zone: the browser's when it said, else GeoIP's.
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    # {browser, browser_version, os, os_version, type, screen, viewport, languages}
    device: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    referrer: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    landing_page: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    source_class: Mapped[str] = mapped_column(String(20), default="direct")
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # {utm: {...}, click_ids: {...}}
    campaign: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    campaign_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    page_views: Mapped[int] = mapped_column(Integer, default=0)


class PageView(Base):
    """A page shown in a session (SPA navigations included); ``duration_ms`` is the time
    it was visible, the largest the widget reported."""

    __tablename__ = "page_views"
    __table_args__ = (
        UniqueConstraint("session_id", "client_pv", name="uq_page_views_session_pv"),
        Index("ix_page_views_visitor_started", "visitor_id", "started_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pv"))
    session_id: Mapped[str] = mapped_column(ForeignKey("visitor_sessions.id", ondelete="CASCADE"))
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    client_pv: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(String(300), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
