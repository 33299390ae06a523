"""What the caller's key (if any) allows: lets a client (the page) ask for a key before sending a file."""

from __future__ import annotations

from fastapi import APIRouter, Request

from search_api.http.deps import ServicesDep
from search_api.http.response_models import AuthStatus, KeyRef
from search_api.http.security import write_refusal

router = APIRouter(prefix="/api", tags=["auth"])


@router.get(
    "/auth",
    response_model=AuthStatus,
    summary="Whether the key sent (Authorization: Bearer) is valid and may upload, delete, re-index",
)
async def auth_status(request: Request, services: ServicesDep) -> AuthStatus:
    caller = getattr(request.state, "caller", None)
    refusal = await write_refusal(request)
    return AuthStatus(
        key=KeyRef(id=caller.key_id, prefix=caller.key_prefix) if caller and caller.key_id else None,
        key_sent=bool(caller and caller.presented),
        can_write=refusal is None,
        write_status=200 if refusal is None else refusal.status_code,
        reason=None if refusal is None else refusal.detail,
        reads_need_key=bool(services.settings.require_key_for_reads),
    )
