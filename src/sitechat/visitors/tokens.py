"""Signed visitor credentials.

- The *visitor key* is long-lived and kept in the host page's localStorage: it proves "I
  am visitor v of website w" on the next page load, days later.
- The *token* is short-lived and bound to the host page's origin: it opens the visitor
  WebSocket. Both are HMAC-signed with the server's secret key (itsdangerous).
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer


@dataclass(frozen=True, slots=True)
class VisitorClaims:
    website_id: str
    visitor_id: str
    origin: str


class VisitorSigner:
    def __init__(self, secret_key: str, token_ttl: int) -> None:
        self._keys = URLSafeSerializer(secret_key, salt="sitechat.visitor-key")
        self._tokens = URLSafeTimedSerializer(secret_key, salt="sitechat.visitor-token")
        self.token_ttl = token_ttl

    def make_key(self, website_id: str, visitor_id: str) -> str:
        return str(self._keys.dumps({"w": website_id, "v": visitor_id}))

    def read_key(self, key: str | None, website_id: str) -> str | None:
        """The visitor id in a valid key for this website, else None (a new visitor)."""
        if not key or len(key) > 512:
            return None
        try:
            data = self._keys.loads(key)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("w") != website_id:
            return None
        vid = data.get("v")
        return vid if isinstance(vid, str) else None

    def make_token(self, website_id: str, visitor_id: str, origin: str) -> str:
        return str(self._tokens.dumps({"w": website_id, "v": visitor_id, "o": origin}))

    def read_token(self, token: str | None) -> VisitorClaims | None:
        if not token or len(token) > 1024:
            return None
        try:
            data = self._tokens.loads(token, max_age=self.token_ttl)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(data, dict):
            return None
        w, v, o = data.get("w"), data.get("v"), data.get("o")
        if not (isinstance(w, str) and isinstance(v, str) and isinstance(o, str)):
            return None
        return VisitorClaims(website_id=w, visitor_id=v, origin=o)
