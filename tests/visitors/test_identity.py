"""Identity verification primitives: the user_hash check and the secret's encryption at rest."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from sitechat.visitors import identity

SERVER_KEY = "test-secret-key-0123456789abcdefghijklmnop"
SECRET = "s3cr3t-of-the-website"


def reference_hash(secret: str, user_id: str) -> str:
    """What a website's server computes (the docs' Python example)."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def test_a_correct_hash_verifies_in_either_case() -> None:
    good = reference_hash(SECRET, "user-42")
    assert len(good) == 64 and good == good.lower()
    assert identity.verify(SECRET, "user-42", good)
    assert identity.verify(SECRET, "user-42", good.upper())
    # Non-ASCII ids are hashed as UTF-8, as the docs' examples do.
    assert identity.verify(SECRET, "zoë@example.com", reference_hash(SECRET, "zoë@example.com"))


def test_a_forged_hash_is_refused() -> None:
    good = reference_hash(SECRET, "user-42")
    assert not identity.verify(SECRET, "user-43", good)  # another user's id
    assert not identity.verify("another-secret", "user-42", good)  # another website's secret
    flipped = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert not identity.verify(SECRET, "user-42", flipped)
    # A hash of the id with a plain SHA-256 (no key) is not an HMAC.
    assert not identity.verify(SECRET, "user-42", hashlib.sha256(b"user-42").hexdigest())


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "abc",
        "g" * 64,  # not hex
        " " + "a" * 63,
        "a" * 63,
        "a" * 65,
        "0x" + "a" * 62,
        base64.b64encode(bytes(32)).decode(),  # the right bytes, the wrong encoding
        "é" * 64,
    ],
)
def test_anything_but_64_hex_digits_is_refused(garbage: str) -> None:
    assert not identity.verify(SECRET, "user-42", garbage)


def test_an_empty_secret_never_verifies() -> None:
    assert not identity.verify("", "user-42", reference_hash("", "user-42"))


def test_new_secrets_are_long_and_different() -> None:
    a, b = identity.new_secret(), identity.new_secret()
    assert a != b and len(a) >= 43
    assert set(a) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_the_secret_round_trips_encrypted() -> None:
    secret = identity.new_secret()
    stored = identity.encrypt(SERVER_KEY, "web_1", secret)
    assert stored.startswith("v1:") and secret not in stored
    assert len(stored) <= 255  # the column
    assert identity.decrypt(SERVER_KEY, "web_1", stored) == secret
    # A fresh nonce each time: the same secret never looks the same twice.
    assert identity.encrypt(SERVER_KEY, "web_1", secret) != stored


def test_decryption_fails_closed() -> None:
    stored = identity.encrypt(SERVER_KEY, "web_1", SECRET)
    raw = bytearray(base64.urlsafe_b64decode(stored[3:]))
    for i in (0, 12, len(raw) - 1):  # nonce, ciphertext, tag
        tampered = bytearray(raw)
        tampered[i] ^= 1
        with pytest.raises(identity.SecretUnreadable):
            identity.decrypt(SERVER_KEY, "web_1", "v1:" + base64.urlsafe_b64encode(bytes(tampered)).decode())
    with pytest.raises(identity.SecretUnreadable):  # another server key
        identity.decrypt("another-server-key-0123456789abcdefghijkl", "web_1", stored)
    with pytest.raises(identity.SecretUnreadable):  # copied onto another website's row
        identity.decrypt(SERVER_KEY, "web_2", stored)
    for bad in ("", SECRET, "v2:" + stored[3:], "v1:", "v1:!!!!", "v1:" + stored[3:20]):
        with pytest.raises(identity.SecretUnreadable):
            identity.decrypt(SERVER_KEY, "web_1", bad)
