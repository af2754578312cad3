"""What agents read about visits (``GET /api/v1/visitors/{id}/sessions``, the live list)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from sitechat.realtime.protocol import LiveVisitor


class PageViewOut(BaseModel):
    url: str
    title: str
    started_at: datetime
    # Time the page was visible; null while the widget has not reported it yet.
    duration_ms: int | None


class SessionOut(BaseModel):
    id: str
    started_at: datetime
    last_seen_at: datetime
    ip_address: str | None
    location: dict[str, Any]
    timezone: str | None
    device: dict[str, Any]
    user_agent: str | None
    referrer: str | None
    landing_page: str | None
    source_class: str
    source: str | None
    utm: dict[str, str]
    click_ids: dict[str, str]
    # The navigation path, in order.
    page_views: list[PageViewOut]


class SessionList(BaseModel):
    items: list[SessionOut]


class LiveList(BaseModel):
    website_id: str
    visitors: list[LiveVisitor]
