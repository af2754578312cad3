"""One error family with stable, machine-readable codes.

HTTP answers ``{"error": code, "detail": ...}``; WebSockets send the same code in an
``error`` frame. Codes are part of the public API: never rename one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar


class SitechatError(Exception):
    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    default_detail: ClassVar[str] = "Something went wrong."

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        fields: list[dict[str, str]] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.headers = headers or {}
        # Which inputs were wrong, as [{"field": "email", "message": ...}]: forms show them.
        self.fields = fields
        super().__init__(self.detail)


class BadRequest(SitechatError):
    code = "bad_request"
    status = 400
    default_detail = "The request is malformed."


class BadJSON(BadRequest):
    code = "bad_json"
    default_detail = "The body is not valid JSON."


class ValidationFailed(SitechatError):
    code = "validation_error"
    status = 422
    default_detail = "Some fields are invalid."


class ProfileRequired(ValidationFailed):
    code = "profile_required"
    default_detail = "The website asks for these details before a conversation starts."


class MessageTooLong(ValidationFailed):
    code = "message_too_long"


class PushEndpointRefused(ValidationFailed):
    """A Web Push subscription whose endpoint is not a known push service (docs/notifications.md)."""

    code = "push_endpoint_not_allowed"
    default_detail = "The subscription's endpoint is not a push service this server sends to."


class Unauthorized(SitechatError):
    code = "unauthorized"
    status = 401
    default_detail = "Sign in first."


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    default_detail = "Wrong email or password."


class Forbidden(SitechatError):
    code = "forbidden"
    status = 403
    default_detail = "You may not do that."


class CSRFFailed(Forbidden):
    code = "csrf_failed"
    default_detail = "Missing or wrong X-CSRF-Token header."


class InsufficientScope(Forbidden):
    """An API key without the scope a route or frame needs (docs/security.md)."""

    code = "insufficient_scope"
    default_detail = "This API key lacks the scope this needs."


class OfflineFormDisabled(Forbidden):
    code = "offline_form_disabled"
    default_detail = "This website does not take offline messages; start a conversation instead."


class OriginNotAllowed(Forbidden):
    code = "origin_not_allowed"
    default_detail = "This website does not allow chat from that origin."


class IdentityInvalid(Forbidden):
    """A ``user_hash`` that does not prove the ``user_id`` (or cannot be checked)."""

    code = "identity_invalid"
    default_detail = "user_hash is not HMAC-SHA256(identity secret, user_id)."


class VerificationRequired(Forbidden):
    """The website accepts only verified ``identify`` calls."""

    code = "verification_required"
    default_detail = "This website requires identify calls to carry user_id and user_hash."


class NotFound(SitechatError):
    code = "not_found"
    status = 404
    default_detail = "Not found."


class WebsiteNotFound(NotFound):
    code = "website_not_found"
    default_detail = "No such website."


class Conflict(SitechatError):
    code = "conflict"
    status = 409
    default_detail = "That conflicts with existing data."


class IdentitySecretUnreadable(Conflict):
    code = "identity_secret_unreadable"
    default_detail = (
        "The website's identity secret cannot be decrypted with this server's secret key "
        "(was SITECHAT_SECRET_KEY changed?). Create a new one."
    )


class TeamUnavailable(Conflict):
    code = "team_unavailable"
    default_detail = "Nobody in that team can take the conversation now (online, on this website, with room)."


class CannedNotFound(NotFound):
    code = "canned_not_found"
    default_detail = "No such canned response."


class ShortcutTaken(Conflict):
    code = "shortcut_taken"
    default_detail = "Another canned response already uses this shortcut."


class LastOwner(Conflict):
    code = "last_owner"
    default_detail = "There must always be an active owner: make someone else owner first."


class InviteInvalid(NotFound):
    code = "invite_invalid"
    default_detail = "This invitation link is not valid (already used, or replaced by a newer one)."


class InviteExpired(SitechatError):
    code = "invite_expired"
    status = 410
    default_detail = "This invitation link has expired; ask for a new one."


class RateLimited(SitechatError):
    code = "rate_limited"
    status = 429
    default_detail = "Too many requests; slow down."

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


def field_errors(
    errors: Iterable[Mapping[str, Any]], *, skip: int = 0, prefix: str = ""
) -> list[dict[str, str]]:
    """pydantic errors as ``[{"field": "a.b", "message": ...}]``, one entry per field.

    ``skip`` drops leading location parts (FastAPI's "body", a frame's type tag); the
    "[key]" part pydantic adds when a dict *key* is wrong is dropped too.
    """
    out: dict[str, str] = {}
    for e in errors:
        parts = [str(p) for p in list(e["loc"])[skip:] if p != "[key]"]
        out.setdefault(prefix + ".".join(parts) if parts else prefix.rstrip(".") or "body", str(e["msg"]))
        if len(out) == 20:
            break
    return [{"field": f, "message": m} for f, m in out.items()]


def invalid(
    fields: list[dict[str, str]], code: type[ValidationFailed] = ValidationFailed
) -> ValidationFailed:
    return code("; ".join(f"{f['field']}: {f['message']}" for f in fields), fields=fields)
