from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditActorOut(BaseModel):
    agent_id: str | None
    name: str | None
    api_key_id: str | None


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "One administrative action."})

    id: str
    at: datetime
    actor: AuditActorOut
    action: str
    target_type: str
    target_id: str | None
    website_id: str | None
    changes: dict[str, Any]
    ip: str | None


class AuditPage(BaseModel):
    entries: list[AuditEntryOut]
    # Pass as ``before`` for the next (older) page; null on the last page.
    next_before: str | None
