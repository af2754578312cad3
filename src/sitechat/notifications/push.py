"""Web Push (RFC 8030) with VAPID (RFC 8292), through pywebpush.

The VAPID key pair is made once and kept like the secret key: ``SITECHAT_VAPID_PRIVATE_KEY``
(PEM or base64url of the raw 32-byte key) when set, else ``data_dir/vapid_private.pem``
(created on first start). Every node must use the same key: browsers subscribed with its
public half refuse pushes signed by another.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush_async

from sitechat.config import Settings

log = logging.getLogger(__name__)

PUSH_TIMEOUT = 10.0
# Known browser push services; a subscription elsewhere is refused (the server would
# otherwise POST wherever a client pointed it).
DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com",
    "*.push.services.mozilla.com",
    "*.notify.windows.com",
    "*.push.apple.com",
)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _load_private(text: str) -> ec.EllipticCurvePrivateKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("the VAPID key must be a P-256 (prime256v1) EC key")
        return key
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != 32:
        raise ValueError("the VAPID key must be PEM or the base64url of 32 raw bytes")
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


@dataclass(frozen=True)
class VapidKeys:
    private: ec.EllipticCurvePrivateKey

    @property
    def public_key(self) -> str:
        """The applicationServerKey a browser subscribes with."""
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return _b64url(raw)

    def vapid(self) -> Vapid02:
        return Vapid02(private_key=self.private)


def load_or_create_keys(settings: Settings) -> VapidKeys:
    if settings.vapid_private_key:
        return VapidKeys(_load_private(settings.vapid_private_key))
    path: Path = settings.data_dir / "vapid_private.pem"
    if path.exists():
        return VapidKeys(_load_private(path.read_text()))
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Two nodes starting at once on one data_dir: the first file wins, the other reads it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return VapidKeys(_load_private(path.read_text()))
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return VapidKeys(key)


def host_allowed(endpoint: str, settings: Settings) -> bool:
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        return False
    if parts.scheme != "https" and not (settings.push_allow_http and parts.scheme == "http"):
        return False
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        return False
    patterns = [p.strip().lower() for p in settings.push_hosts.split(",") if p.strip()] or list(
        DEFAULT_PUSH_HOSTS
    )
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and host != pattern[2:]:
                return True
        elif host == pattern:
            return True
    return False


Outcome = Literal["sent", "gone", "failed"]


@dataclass(frozen=True, slots=True)
class Target:
    endpoint: str
    p256dh: str
    auth: str


class Pusher:
    def __init__(self, settings: Settings) -> None:
        self.keys = load_or_create_keys(settings)
        self._subject = settings.vapid_subject or f"mailto:{settings.smtp_from or 'admin@localhost'}"
        if not self._subject.startswith(("mailto:", "https://")):
            self._subject = "mailto:" + self._subject
        self._vapid = self.keys.vapid()

    async def send(self, target: Target, payload: dict[str, object], ttl: int = 3600) -> Outcome:
        """One push. "gone": the push service says the subscription no longer exists
        (404/410): the caller deletes it."""
        info: dict[str, str | bytes | dict[str, str | bytes]] = {
            "endpoint": target.endpoint,
            "keys": {"p256dh": target.p256dh, "auth": target.auth},
        }
        try:
            await webpush_async(
                info,
                data=json.dumps(payload, separators=(",", ":")),
                vapid_private_key=self._vapid,
                vapid_claims={"sub": self._subject},
                ttl=ttl,
                timeout=aiohttp.ClientTimeout(total=PUSH_TIMEOUT),
                headers={"Urgency": "high"},
            )
        except WebPushException as exc:
            status = exc.status_code
            if status in (404, 410):
                return "gone"
            log.warning("web push to %s failed: HTTP %s", urlsplit(target.endpoint).hostname, status)
            return "failed"
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            log.warning("web push to %s failed: %s", urlsplit(target.endpoint).hostname, type(exc).__name__)
            return "failed"
        return "sent"
