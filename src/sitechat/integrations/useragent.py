"""What browser, system and kind of device a User-Agent string names.

Browser, OS and their versions come from ``ua-parser`` (uap-core's maintained rules, run
by the Rust matcher of the ``regex`` extra). uap-core says nothing about the *kind* of
device, so ``type`` is derived here; the rules are in docs/tracking.md, "Devices".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

import ua_parser

DeviceType = Literal["desktop", "mobile", "tablet", "bot", "other"]

MAX_UA_CHARS = 1024

# uap-core family names we show differently.
_OS_NAMES = {"Mac OS X": "macOS"}

# The markers below are matched against the lowercased string, as plain substrings first:
# one case-insensitive regular expression with all the alternatives and word boundaries
# took longer than uap-core's whole parse.

# uap-core marks most crawlers with the device family "Spider"; these catch the rest.
# "HeadlessChrome" is deliberately not here: it is a real browser engine (our own browser
# tests run it) and reads as a desktop Chrome-family browser.
_BOT_WORDS = ("crawler", "spider", "scraper", "slurp", "facebookexternalhit", "mediapartners", "lighthouse")
# "bot" as a word or before a version ("Googlebot/2.1"), not inside a model name ("CUBOT P40").
_BOT_RE = re.compile(r"\bbot\b|bot[/;-]")
# Programs, not people: HTTP libraries and command-line clients, at the start of the string.
_HTTP_CLIENTS = re.compile(
    r"(?:curl|wget|python-requests|python-urllib|python-httpx|aiohttp|go-http-client|java/|"
    r"okhttp|libwww-perl|apache-httpclient|axios|node-fetch|undici|scrapy|httpie|postmanruntime)"
)
# Televisions, consoles and headsets: browsers, but neither desktops nor handhelds.
_OTHER_WORDS = (
    "smart-tv",
    "smarttv",
    "googletv",
    "android tv",
    "hbbtv",
    "web0s",
    "netcast",
    "tizen",
    "crkey",
    "playstation",
    "xbox",
    "nintendo",
    "oculusbrowser",
)
# " TV " as a word, Fire TV models ("AFTMM"), Meta Quest ("Quest 3").
_OTHER_RE = re.compile(r"\btv\b|\baft[a-z]|quest \d")
_TABLET_WORDS = ("ipad", "kindle", "silk/", "playbook")
# "Tablet" (not Windows' old "Tablet PC"), Kindle Fire models ("KFTRWI").
_TABLET_RE = re.compile(r"tablet(?! pc)|\bkf[a-z]{2,4}\b")
_MOBILE_WORDS = ("iphone", "ipod", "windows phone", "mobi", "blackberry", "bb10", "opera mini")
# (Chrome OS says "X11; CrOS"; a bare "cros" would also match "Microsoft".)
_DESKTOP_WORDS = ("windows nt", "macintosh", "mac os x", "x11", "linux x86_64", "linux i686")
_DESKTOP_OS = frozenset(
    {"Windows", "Mac OS X", "Linux", "Ubuntu", "Fedora", "Debian", "Chrome OS", "FreeBSD"}
)


@dataclass(frozen=True, slots=True)
class Device:
    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    type: DeviceType

    def as_dict(self) -> dict[str, str | None]:
        return {
            "browser": self.browser,
            "browser_version": self.browser_version,
            "os": self.os,
            "os_version": self.os_version,
            "type": self.type,
        }

    @property
    def label(self) -> str:
        """A short summary for lists: ``"Chrome 120 on macOS 10.15"``, ``"Googlebot 2 (bot)"``."""
        browser = None
        if self.browser:
            major = self.browser_version.split(".")[0] if self.browser_version else ""
            browser = f"{self.browser} {major}".strip()
        system = f"{self.os} {self.os_version or ''}".strip() if self.os else None
        if browser and system:
            text = f"{browser} on {system}"
        else:
            text = browser or system or "Unknown"
        if self.type == "bot":
            text += " (bot)"
        return text


UNKNOWN = Device(browser=None, browser_version=None, os=None, os_version=None, type="other")


def _make_parser() -> ua_parser.Parser:
    # No cache inside ua-parser: parse_user_agent has its own, in front of it.
    if ua_parser.RegexResolver is not None:
        return ua_parser.Parser(ua_parser.RegexResolver(ua_parser.load_lazy_builtins()))
    return ua_parser.Parser(ua_parser.BasicResolver(ua_parser.load_builtins()))


_parser = _make_parser()


def _version(*parts: str | None) -> str | None:
    """``major.minor`` (or ``major`` alone) from uap-core's version fields."""
    major = parts[0]
    if not major or not major.isdigit():
        return major or None
    minor = parts[1] if len(parts) > 1 else None
    return f"{major}.{minor}" if minor and minor.isdigit() else major


def _device_type(ua: str, os_family: str | None, device_family: str | None) -> DeviceType:
    low = ua.lower()
    if (
        device_family == "Spider"
        or _HTTP_CLIENTS.match(low)
        or any(w in low for w in _BOT_WORDS)
        or ("bot" in low and _BOT_RE.search(low))
    ):
        return "bot"
    if any(w in low for w in _OTHER_WORDS) or (
        ("tv" in low or "aft" in low or "quest" in low) and _OTHER_RE.search(low)
    ):
        return "other"
    if (
        device_family == "iPad"
        or any(w in low for w in _TABLET_WORDS)
        or (("tablet" in low or "kf" in low) and _TABLET_RE.search(low))
    ):
        return "tablet"
    if any(w in low for w in _MOBILE_WORDS):
        return "mobile"
    if os_family == "Android" or "android" in low:
        # Android phones say "Mobile"; Android without it is a tablet (Google's own rule).
        return "tablet"
    if os_family in _DESKTOP_OS or any(w in low for w in _DESKTOP_WORDS):
        return "desktop"
    return "other"


@functools.lru_cache(maxsize=4096)
def _parse(ua: str) -> Device:
    result = _parser.parse(ua)
    agent, system, device = result.user_agent, result.os, result.device
    browser = agent.family if agent and agent.family != "Other" else None
    if browser and ("/" in browser or ":" in browser):
        # Some crawler rules capture part of a URL ("com/bot"): not a name to show.
        browser = None
    os_family = system.family if system and system.family != "Other" else None
    return Device(
        browser=browser,
        browser_version=_version(agent.major, agent.minor) if agent and browser else None,
        os=_OS_NAMES.get(os_family, os_family) if os_family else None,
        os_version=_version(system.major, system.minor) if system and os_family else None,
        type=_device_type(ua, os_family, device.family if device else None),
    )


def parse_user_agent(ua: str | None) -> Device:
    """The device a User-Agent string describes. Never raises; unknown fields are None.

    Only the first 1024 characters are read. Results are cached (bounded), so a string
    seen before costs a dictionary lookup.
    """
    if not ua or not isinstance(ua, str):
        return UNKNOWN
    ua = ua.strip()[:MAX_UA_CHARS]
    if not ua:
        return UNKNOWN
    try:
        return _parse(ua)
    except Exception:
        # A rule-engine failure on a hostile string must not break a page view.
        return UNKNOWN
