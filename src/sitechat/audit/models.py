from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sitechat.db.base import Base, JSONType, UTCDateTime, new_id, utcnow


class AuditEntry(Base):
    """One administrative action. No foreign keys on purpose: the entry for deleting a
    website (or anything else) must outlive what it names."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_website_id_at", "website_id", "at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("aud"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who: an agent (by session or by one of its API keys), or nobody (the server itself).
    actor_agent_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    actor_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    actor_api_key_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    website_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Changed fields; secrets appear as "rotated"/"deleted", never as values.
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
