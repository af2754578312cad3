from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from sitechat.audit import service
from sitechat.audit.models import AuditEntry
from sitechat.audit.schemas import AuditActorOut, AuditEntryOut, AuditPage
from sitechat.http import Auth, agent_auth

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


def _out(e: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=e.id,
        at=e.at,
        actor=AuditActorOut(agent_id=e.actor_agent_id, name=e.actor_name, api_key_id=e.actor_api_key_id),
        action=e.action,
        target_type=e.target_type,
        target_id=e.target_id,
        website_id=e.website_id,
        changes=dict(e.changes or {}),
        ip=e.ip,
    )


@router.get("", response_model=AuditPage)
async def list_audit(
    website_id: str | None = Query(None, max_length=40),
    action: str | None = Query(
        None, max_length=64, description="An action code, or a prefix like `website.*`."
    ),
    before: str | None = Query(
        None, max_length=64, description="next_before of the previous page, or an ISO time."
    ),
    limit: int = Query(50, description=f"1 to {service.MAX_LIMIT}."),
    auth: Auth = Depends(agent_auth),
) -> AuditPage:
    """Owners only. Administrative actions, newest first."""
    async with auth.ctx.uow() as uow:
        rows = await service.entries(
            uow, auth.actor, website_id=website_id, action=action, before=before, limit=limit
        )
    return AuditPage(
        entries=[_out(e) for e in rows],
        next_before=rows[-1].id if len(rows) == limit else None,
    )
