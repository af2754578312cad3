"""User agents: real browser, app and crawler strings, each with the full Device expected.

Browser and OS names are uap-core's (ua-parser), with "Mac OS X" shown as "macOS"; the
device type is ours (docs/tracking.md, "Devices").
"""

from __future__ import annotations

import random
import string
import time

import pytest

from sitechat.integrations.useragent import Device, parse_user_agent

D = Device

CORPUS: list[tuple[str, str, Device]] = [
    # --- desktop browsers -------------------------------------------------------------
    (
        "chrome-windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        D("Chrome", "131.0", "Windows", "10", "desktop"),
    ),
    (
        "edge-windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
        D("Edge", "131.0", "Windows", "10", "desktop"),
    ),
    (
        "firefox-windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        D("Firefox", "133.0", "Windows", "10", "desktop"),
    ),
    (
        "chrome-windows7",
        "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/109.0.0.0 Safari/537.36",
        D("Chrome", "109.0", "Windows", "7", "desktop"),
    ),
    (
        "chrome-macos",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        # Every current browser on macOS says 10_15_7, whatever the real version.
        D("Chrome", "131.0", "macOS", "10.15", "desktop"),
    ),
    (
        "safari-macos",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.2 Safari/605.1.15",
        D("Safari", "18.2", "macOS", "10.15", "desktop"),
    ),
    (
        "safari-macos14",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.2 Safari/605.1.15",
        D("Safari", "17.2", "macOS", "14.2", "desktop"),
    ),
    (
        "firefox-macos",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
        D("Firefox", "133.0", "macOS", "10.15", "desktop"),
    ),
    (
        "edge-macos",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
        D("Edge", "131.0", "macOS", "10.15", "desktop"),
    ),
    (
        "chrome-linux",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        D("Chrome", "131.0", "Linux", None, "desktop"),
    ),
    (
        "firefox-ubuntu",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        D("Firefox", "133.0", "Ubuntu", None, "desktop"),
    ),
    (
        "firefox-esr-linux",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        D("Firefox", "128.0", "Linux", None, "desktop"),
    ),
    (
        "chromium-linux-arm",
        "Mozilla/5.0 (X11; Linux aarch64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chromium/131.0.6778.85 Chrome/131.0.6778.85 Safari/537.36",
        D("Chromium", "131.0", "Linux", None, "desktop"),
    ),
    (
        "chrome-chromeos",
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        D("Chrome", "131.0", "Chrome OS", "14541.0", "desktop"),
    ),
    (
        # Debian's Chromium 156 in headless mode, as our Playwright browser tests run it.
        "headless-chromium",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/156.0.0.0 Safari/537.36",
        D("HeadlessChrome", "156.0", "Linux", None, "desktop"),
    ),
    (
        "opera-windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 OPR/116.0.0.0",
        D("Opera", "116.0", "Windows", "10", "desktop"),
    ),
    (
        "yandex-windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.0.0 YaBrowser/24.12.0.0 Safari/537.36",
        D("Yandex Browser", "24.12", "Windows", "10", "desktop"),
    ),
    (
        "vivaldi-windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Vivaldi/7.0.3495.23",
        D("Vivaldi", "7.0", "Windows", "10", "desktop"),
    ),
    (
        "ie10-windows8",
        "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)",
        D("IE", "10.0", "Windows", "8", "desktop"),
    ),
    # --- phones -----------------------------------------------------------------------
    (
        "iphone-safari",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.2 Mobile/15E148 Safari/604.1",
        D("Mobile Safari", "18.2", "iOS", "18.2", "mobile"),
    ),
    (
        "iphone-chrome",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
        D("Chrome Mobile iOS", "131.0", "iOS", "17.1", "mobile"),
    ),
    (
        "iphone-firefox",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
        D("Firefox iOS", "133.0", "iOS", "17.1", "mobile"),
    ),
    (
        "iphone-facebook-app",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/22B83 [FBAN/FBIOS;FBAV/489.0.0.50.109;FBBV/664082585;FBDV/iPhone15,2;FBMD/iPhone;"
        "FBSN/iOS;FBSV/18.1;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/80]",
        D("Facebook", "489.0", "iOS", "18.1", "mobile"),
    ),
    (
        "ipod",
        "Mozilla/5.0 (iPod touch; CPU iPhone OS 15_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/15.6 Mobile/15E148 Safari/604.1",
        D("Mobile Safari", "15.6", "iOS", "15.8", "mobile"),
    ),
    (
        # Chrome's reduced UA: the model is always "K" and the Android version frozen at 10.
        "android-chrome-reduced",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36",
        D("Chrome Mobile", "131.0", "Android", "10", "mobile"),
    ),
    (
        "android-chrome-pixel",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.6778.104 Mobile Safari/537.36",
        D("Chrome Mobile", "131.0", "Android", "14", "mobile"),
    ),
    (
        "samsung-internet",
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
        D("Samsung Internet", "27.0", "Android", "14", "mobile"),
    ),
    (
        "firefox-android",
        "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
        D("Firefox Mobile", "133.0", "Android", "14", "mobile"),
    ),
    (
        "opera-android",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.0.0 Mobile Safari/537.36 OPR/86.0.0.0",
        D("Opera Mobile", "86.0", "Android", "10", "mobile"),
    ),
    (
        "duckduckgo-android",
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.6778.135 Mobile DuckDuckGo/5 Safari/537.36",
        D("DuckDuckGo Mobile", "5", "Android", "14", "mobile"),
    ),
    (
        "instagram-android-app",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.6778.81 Mobile Safari/537.36 Instagram 360.0.0.30.109 Android",
        D("Instagram", "360.0", "Android", "14", "mobile"),
    ),
    (
        # A "Cubot" phone: "bot" inside a model name is not a crawler.
        "android-cubot",
        "Mozilla/5.0 (Linux; Android 10; CUBOT P40) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36",
        D("Chrome Mobile", "131.0", "Android", "10", "mobile"),
    ),
    (
        "windows-phone",
        "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.14977",
        D("Edge Mobile", "15.14977", "Windows Phone", "10.0", "mobile"),
    ),
    # --- tablets ----------------------------------------------------------------------
    (
        "ipad-safari",
        "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Mobile/15E148 Safari/604.1",
        D("Mobile Safari", "17.1", "iOS", "17.1", "tablet"),
    ),
    (
        # iPadOS Safari asks for desktop sites by default and then sends a Mac's string:
        # it cannot be told from a Mac, so it reads as macOS desktop.
        "ipad-desktop-mode",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Safari/605.1.15",
        D("Safari", "17.1", "macOS", "10.15", "desktop"),
    ),
    (
        "android-tablet-chrome",
        "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        D("Chrome", "131.0", "Android", "13", "tablet"),
    ),
    (
        "android-tablet-samsung-internet",
        "Mozilla/5.0 (Linux; Android 14; SM-X910) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/27.0 Chrome/125.0.0.0 Safari/537.36",
        D("Samsung Internet", "27.0", "Android", "14", "tablet"),
    ),
    (
        "firefox-android-tablet",
        "Mozilla/5.0 (Android 14; Tablet; rv:133.0) Gecko/133.0 Firefox/133.0",
        D("Firefox Mobile", "133.0", "Android", "14", "tablet"),
    ),
    (
        "kindle-fire-silk",
        "Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Silk/131.3.1 like Chrome/131.0.6778.135 Safari/537.36",
        D("Amazon Silk", "131.3", "Android", "11", "tablet"),
    ),
    # --- televisions, consoles, headsets ----------------------------------------------
    (
        "samsung-tv",
        "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36",
        D("Samsung Internet", "4.0", "Tizen", "6.0", "other"),
    ),
    (
        "playstation-5",
        "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/13.0 Safari/605.1.15",
        D("Safari", "13.0", None, None, "other"),
    ),
    (
        "xbox",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edge/44.18363.8131",
        D("Edge", "44.18363", "Windows", "10", "other"),
    ),
    (
        "android-tv",
        "Mozilla/5.0 (Linux; Android 9; SHIELD Android TV Build/PPR1.180610.011; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.135 Mobile Safari/537.36",
        D("Chrome Mobile WebView", "131.0", "Android", "9", "other"),
    ),
    # --- crawlers and programs --------------------------------------------------------
    (
        "googlebot",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        D("Googlebot", "2.1", None, None, "bot"),
    ),
    (
        "googlebot-smartphone",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        D("Googlebot", "2.1", "Android", "6.0", "bot"),
    ),
    (
        "bingbot",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
        "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
        D("bingbot", "2.0", None, None, "bot"),
    ),
    (
        "yandexbot",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        D("YandexBot", "3.0", None, None, "bot"),
    ),
    (
        "facebook-crawler",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        D("FacebookBot", "1.1", None, None, "bot"),
    ),
    (
        "ahrefsbot",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        D("AhrefsBot", "7.0", None, None, "bot"),
    ),
    (
        "gptbot",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2; +https://openai.com/gptbot",
        D("GPTBot", "1.2", None, None, "bot"),
    ),
    (
        # uap-core's rule captures "com/bot" as the family: not shown as a browser.
        "chatgpt-user",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; "
        "+https://openai.com/bot",
        D(None, None, None, None, "bot"),
    ),
    (
        "slack-unfurler",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        D("Slackbot-LinkExpanding", "1.0", None, None, "bot"),
    ),
    (
        "linkedin-preview",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        D("LinkedInBot", "1.0", None, None, "bot"),
    ),
    (
        "whatsapp-preview",
        "WhatsApp/2.23.20.0",
        D("WhatsApp", "2.23", None, None, "bot"),
    ),
    ("curl", "curl/8.5.0", D("curl", "8.5", None, None, "bot")),
    ("wget", "Wget/1.21.4", D("Wget", "1.21", None, None, "bot")),
    ("python-requests", "python-requests/2.32.3", D("Python Requests", "2.32", None, None, "bot")),
    ("go-http-client", "Go-http-client/2.0", D("Go-http-client", "2.0", None, None, "bot")),
    # --- nothing to go on -------------------------------------------------------------
    ("empty", "", D(None, None, None, None, "other")),
    ("garbage", "hello world", D(None, None, None, None, "other")),
    ("binary-garbage", "\x00\x01\x02\xff\ufffd%00", D(None, None, None, None, "other")),
]


@pytest.mark.parametrize(
    ("ua", "expected"), [(ua, exp) for _, ua, exp in CORPUS], ids=[n for n, _, _ in CORPUS]
)
def test_corpus(ua: str, expected: Device) -> None:
    assert parse_user_agent(ua) == expected


def test_the_corpus_is_large_and_covers_every_type() -> None:
    assert len(CORPUS) >= 30
    assert {d.type for _, _, d in CORPUS} == {"desktop", "mobile", "tablet", "bot", "other"}


def test_none_and_blank_are_unknown() -> None:
    unknown = Device(None, None, None, None, "other")
    assert parse_user_agent(None) == unknown
    assert parse_user_agent("   ") == unknown


def test_as_dict_has_every_field() -> None:
    d = parse_user_agent(CORPUS[0][1])
    assert d.as_dict() == {
        "browser": "Chrome",
        "browser_version": "131.0",
        "os": "Windows",
        "os_version": "10",
        "type": "desktop",
    }


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("chrome-macos", "Chrome 131 on macOS 10.15"),
        ("iphone-safari", "Mobile Safari 18 on iOS 18.2"),
        ("chrome-linux", "Chrome 131 on Linux"),
        ("playstation-5", "Safari 13"),
        ("googlebot", "Googlebot 2 (bot)"),
        ("chatgpt-user", "Unknown (bot)"),
        ("garbage", "Unknown"),
    ],
)
def test_label(name: str, label: str) -> None:
    ua = next(ua for n, ua, _ in CORPUS if n == name)
    assert parse_user_agent(ua).label == label


def test_long_strings_are_read_up_to_1024_characters() -> None:
    base = CORPUS[0][1]
    padded = base + " " + "x" * (1024 - len(base) - 1)
    assert len(padded) == 1024
    assert parse_user_agent(padded + "; Googlebot/2.1") == parse_user_agent(padded)
    assert parse_user_agent(padded + "y" * 100_000).browser == "Chrome"


def test_results_are_cached() -> None:
    ua = CORPUS[1][1] + " cache-probe"
    first = parse_user_agent(ua)
    assert parse_user_agent(ua) is first


def test_never_raises_on_random_input() -> None:
    rng = random.Random(1234)
    alphabet = string.printable + "éü中文\x00\ufffd();/"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        d = parse_user_agent(text)
        assert d.type in ("desktop", "mobile", "tablet", "bot", "other")
    assert parse_user_agent(b"curl/8.0".decode()) == Device("curl", "8.0", None, None, "bot")


def test_parsing_uses_the_rust_matcher() -> None:
    # Without ua-parser-rs (the "regex" extra) ua-parser silently falls back to matching in
    # pure Python, ~0.5 ms a string instead of ~45 µs: every page view would pay for it.
    from ua_parser.regex import Resolver as RustResolver

    from sitechat.integrations import useragent

    assert isinstance(useragent._parser.resolver, RustResolver)
    uas = [f"{ua} probe/{i}" for i in range(100) for _, ua, _ in CORPUS[:5]]
    started = time.perf_counter()
    for ua in uas:
        parse_user_agent(ua)
    per_string = (time.perf_counter() - started) / len(uas)
    assert per_string < 0.002, f"{per_string * 1e6:.0f} µs a string"
