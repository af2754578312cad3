"""Domain allowlists: exact hosts and ``*.example.com`` wildcards, matched on the host only."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST_RE = re.compile(rf"^(\*\.)?{_LABEL}(\.{_LABEL})*$")
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def normalize_domain(value: str) -> str:
    """Lower-case a host or wildcard; raise ValueError when it is not one.

    A scheme, port or path is refused rather than stripped, so an owner never thinks
    ``https://shop.example.com/path`` restricts more than the host.
    """
    d = value.strip().lower().rstrip(".")
    if not d or "/" in d or ":" in d or " " in d:
        raise ValueError(f"{value!r} is not a host name (give e.g. example.com or *.example.com)")
    if _IPV4_RE.match(d):
        if all(0 <= int(p) <= 255 for p in d.split(".")):
            return d
        raise ValueError(f"{value!r} is not a valid IPv4 address")
    if d.count("*") > 1 or ("*" in d and not d.startswith("*.")) or not _HOST_RE.match(d):
        raise ValueError(f"{value!r} is not a host name (give e.g. example.com or *.example.com)")
    if d.startswith("*.") and "." not in d[2:]:
        raise ValueError(f"{value!r} is too broad: a wildcard needs a registered domain under it")
    return d


def origin_host(origin: str | None) -> str | None:
    if not origin or origin == "null":
        return None
    try:
        parts = urlsplit(origin)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower().rstrip(".")


def host_allowed(host: str | None, allowed: list[str]) -> bool:
    if not host:
        return False
    for pattern in allowed:
        if pattern.startswith("*."):
            # *.example.com matches shop.example.com and a.b.example.com, not example.com.
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def origin_allowed(origin: str | None, allowed: list[str]) -> bool:
    return host_allowed(origin_host(origin), allowed)
