from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from sitechat.db.base import Base, JSONType, UTCDateTime, new_id, utcnow


class Website(Base):
    __tablename__ = "websites"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("web"))
    name: Mapped[str] = mapped_column(String(200))
    # Exact hosts ("example.com") or one-level-or-deeper wildcards ("*.example.com").
    allowed_domains: Mapped[list[str]] = mapped_column(JSONType, default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The identity-verification secret (userHash = HMAC-SHA256(secret, userId)), encrypted
    # with the server's key; None until an owner creates one.
    identity_secret: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
