"""Identity verification: the website's secret, and the check of a visitor's ``user_hash``.

A website that knows who its logged-in user is proves it to us with
``user_hash = hex(HMAC-SHA256(identity secret, user_id))``, computed on its own server
(docs/identification.md). The secret is kept encrypted in the database (AES-GCM, with a
key derived from the server's ``SITECHAT_SECRET_KEY``), so a database dump alone does not
let anyone impersonate a site's users.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_HEX_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_VERSION = "v1:"
_NONCE_BYTES = 12  # 96 bits: the size AES-GCM is specified for
_HKDF_INFO = b"sitechat identity-secret"


class SecretUnreadable(ValueError):
    """The stored secret cannot be decrypted: tampered with, or the server key changed."""


def new_secret() -> str:
    """A fresh identity secret: 256 random bits, URL-safe text the website keeps on its server."""
    return secrets.token_urlsafe(32)


def user_hash(secret: str, user_id: str) -> str:
    """What the website computes: lowercase hex HMAC-SHA256(secret, user_id), both UTF-8."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify(secret: str, user_id: str, user_hash_given: str) -> bool:
    """True only for the exact HMAC of ``user_id`` (hex, either case). Anything that is not
    64 hex digits is refused before comparing; the comparison takes constant time."""
    if not secret or not _HEX_SHA256.match(user_hash_given):
        return False
    return hmac.compare_digest(user_hash(secret, user_id), user_hash_given.lower())


@lru_cache(maxsize=4)
def _key(server_key: str) -> AESGCM:
    # A key of its own for this purpose: the server key also signs visitor tokens.
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        server_key.encode()
    )
    return AESGCM(derived)


def encrypt(server_key: str, website_id: str, secret: str) -> str:
    """``v1:`` + base64(nonce ‖ ciphertext ‖ tag). The website id is authenticated with it,
    so a stored secret copied onto another website's row does not decrypt."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = _key(server_key).encrypt(nonce, secret.encode(), website_id.encode())
    return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(server_key: str, website_id: str, stored: str) -> str:
    """The secret, or SecretUnreadable: never a guess, never a partial value."""
    if not stored.startswith(_VERSION):
        raise SecretUnreadable("unknown format")
    try:
        raw = base64.urlsafe_b64decode(stored[len(_VERSION) :].encode())
    except (binascii.Error, ValueError):
        raise SecretUnreadable("not base64") from None
    if len(raw) <= _NONCE_BYTES + 16:
        raise SecretUnreadable("too short")
    try:
        plain = _key(server_key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], website_id.encode())
    except InvalidTag:
        raise SecretUnreadable("authentication failed") from None
    try:
        return plain.decode()
    except UnicodeDecodeError:
        raise SecretUnreadable("not text") from None
