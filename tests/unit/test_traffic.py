"""Traffic sources: the rule table of docs/tracking.md, case by case."""

from __future__ import annotations

import os
import random
import string
import subprocess
import sys

import pytest

from sitechat.visitors.traffic import (
    SEARCH_ENGINES,
    SOCIAL_NETWORKS,
    WEBMAIL,
    SourceClass,
    Traffic,
    classify,
)

LANDING = "https://shop.example.com/pricing"

# (id, landing URL, referrer, own hosts, expected class, expected source)
CASES: list[tuple[str, str | None, str | None, tuple[str, ...] | str, SourceClass, str | None]] = [
    # --- direct ---------------------------------------------------------------------------
    ("no-referrer", LANDING, None, (), "direct", None),
    ("empty-referrer", LANDING, "   ", (), "direct", None),
    ("nothing-at-all", None, None, (), "direct", None),
    ("same-host-referrer", LANDING, "https://shop.example.com/", (), "direct", None),
    ("www-variant-is-same-site", "https://example.com/", "https://www.example.com/blog", (), "direct", None),
    (
        "listed-own-host",
        LANDING,
        "https://checkout.example.com/done",
        ("checkout.example.com",),
        "direct",
        None,
    ),
    (
        "own-host-given-as-url",
        LANDING,
        "https://help.example.com/",
        ("https://help.example.com:8443",),
        "direct",
        None,
    ),
    (
        "own-host-localhost",
        "http://127.0.0.1:8000/",
        "http://localhost:3000/a",
        ("localhost",),
        "direct",
        None,
    ),
    ("own-hosts-as-one-string", LANDING, "https://help.example.com/", "help.example.com", "direct", None),
    (
        "unlisted-subdomain-is-referral",
        LANDING,
        "https://blog.example.com/",
        (),
        "referral",
        "blog.example.com",
    ),
    ("garbage-referrer", LANDING, "not a url", (), "direct", None),
    ("javascript-referrer", LANDING, "javascript:alert(1)", (), "direct", None),
    ("broken-ipv6-referrer", LANDING, "http://[::1", (), "direct", None),
    # --- paid -------------------------------------------------------------------------------
    ("gclid-from-google", f"{LANDING}?gclid=Cj0KCQ", "https://www.google.com/", (), "paid", "Google"),
    ("gclid-no-referrer", f"{LANDING}?gclid=Cj0KCQ", None, (), "paid", "Google"),
    ("gbraid", f"{LANDING}?gbraid=0AAAAA", None, (), "paid", "Google"),
    ("wbraid", f"{LANDING}?wbraid=ClkKCQ", None, (), "paid", "Google"),
    ("msclkid", f"{LANDING}?msclkid=3f2a", "https://www.bing.com/", (), "paid", "Bing"),
    ("ttclid", f"{LANDING}?ttclid=E.C.P", None, (), "paid", "TikTok"),
    ("li_fat_id", f"{LANDING}?li_fat_id=5a1b", None, (), "paid", "LinkedIn"),
    ("twclid", f"{LANDING}?twclid=2-abc", None, (), "paid", "X"),
    (
        "utm-cpc",
        f"{LANDING}?utm_source=google&utm_medium=cpc&utm_campaign=spring",
        None,
        (),
        "paid",
        "google",
    ),
    (
        "utm-cpc-names-source-over-click-id",
        f"{LANDING}?utm_source=adwords&utm_medium=cpc&gclid=x",
        None,
        (),
        "paid",
        "adwords",
    ),
    (
        "utm-cpc-no-source-uses-referrer",
        f"{LANDING}?utm_medium=CPC",
        "https://www.bing.com/",
        (),
        "paid",
        "Bing",
    ),
    (
        "paid-social-with-fbclid",
        f"{LANDING}?utm_source=facebook&utm_medium=paid_social&fbclid=IwAR",
        "https://l.facebook.com/",
        (),
        "paid",
        "facebook",
    ),
    ("paid-medium-no-source-fbclid", f"{LANDING}?utm_medium=paid&fbclid=IwAR", None, (), "paid", "Facebook"),
    ("display", f"{LANDING}?utm_source=dv360&utm_medium=display", None, (), "paid", "dv360"),
    ("affiliate", f"{LANDING}?utm_source=partnerx&utm_medium=affiliate", None, (), "paid", "partnerx"),
    ("paid-prefix", f"{LANDING}?utm_source=reddit&utm_medium=paid-promoted", None, (), "paid", "reddit"),
    # --- email (by UTM) ---------------------------------------------------------------------
    ("utm-email", f"{LANDING}?utm_source=Newsletter&utm_medium=email", None, (), "email", "Newsletter"),
    (
        "utm-keys-any-case",
        f"{LANDING}?UTM_SOURCE=Newsletter&Utm_Medium=E-Mail",
        None,
        (),
        "email",
        "Newsletter",
    ),
    (
        "utm-newsletter-from-gmail",
        f"{LANDING}?utm_medium=newsletter",
        "https://mail.google.com/",
        (),
        "email",
        "Gmail",
    ),
    (
        "utm-email-beats-search-referrer",
        f"{LANDING}?utm_source=digest&utm_medium=email",
        "https://www.google.com/",
        (),
        "email",
        "digest",
    ),
    # --- social (by UTM) --------------------------------------------------------------------
    ("utm-social", f"{LANDING}?utm_source=mastodon&utm_medium=social", None, (), "social", "mastodon"),
    ("utm-social-media", f"{LANDING}?utm_medium=social-media", "https://t.co/abc", (), "social", "X"),
    ("utm-sm", f"{LANDING}?utm_source=ig&utm_medium=sm", None, (), "social", "ig"),
    # --- organic ----------------------------------------------------------------------------
    ("utm-organic", f"{LANDING}?utm_source=gmb&utm_medium=organic", None, (), "organic", "gmb"),
    ("google-com", LANDING, "https://www.google.com/", (), "organic", "Google"),
    ("google-co-uk", LANDING, "https://www.google.co.uk/", (), "organic", "Google"),
    ("google-bare-de", LANDING, "https://google.de/", (), "organic", "Google"),
    ("google-com-br", LANDING, "https://www.google.com.br/", (), "organic", "Google"),
    (
        "google-upper-case-trailing-dot",
        LANDING,
        "HTTPS://WWW.GOOGLE.COM./search?q=x",
        (),
        "organic",
        "Google",
    ),
    ("google-bare-host", LANDING, "www.google.com", (), "organic", "Google"),
    (
        "google-app",
        LANDING,
        "android-app://com.google.android.googlequicksearchbox/",
        (),
        "organic",
        "Google",
    ),
    ("bing", LANDING, "https://www.bing.com/search?q=chat", (), "organic", "Bing"),
    ("duckduckgo", LANDING, "https://duckduckgo.com/", (), "organic", "DuckDuckGo"),
    ("yahoo-uk", LANDING, "https://uk.search.yahoo.com/", (), "organic", "Yahoo"),
    ("yahoo-japan", LANDING, "https://search.yahoo.co.jp/", (), "organic", "Yahoo"),
    ("yandex", LANDING, "https://yandex.ru/", (), "organic", "Yandex"),
    ("baidu", LANDING, "https://m.baidu.com/", (), "organic", "Baidu"),
    ("ecosia", LANDING, "https://www.ecosia.org/", (), "organic", "Ecosia"),
    ("brave", LANDING, "https://search.brave.com/", (), "organic", "Brave"),
    ("seznam", LANDING, "https://search.seznam.cz/", (), "organic", "Seznam"),
    (
        "search-beats-utm-source-alone",
        f"{LANDING}?utm_source=foo",
        "https://www.google.com/",
        (),
        "organic",
        "Google",
    ),
    # --- look-alike hosts are referrals -----------------------------------------------------
    ("google-evil-com", LANDING, "https://google.evil.com/", (), "referral", "google.evil.com"),
    ("notgoogle-com", LANDING, "https://notgoogle.com/", (), "referral", "notgoogle.com"),
    (
        "google-com-under-other-domain",
        LANDING,
        "https://www.google.com.evil.net/",
        (),
        "referral",
        "google.com.evil.net",
    ),
    ("google-on-blogspot", LANDING, "https://google.blogspot.com/", (), "referral", "google.blogspot.com"),
    ("google-unknown-tld", LANDING, "https://google/", (), "referral", "google"),
    ("docs-google", LANDING, "https://docs.google.com/document/d/1", (), "referral", "docs.google.com"),
    ("brave-com-is-not-search", LANDING, "https://brave.com/", (), "referral", "brave.com"),
    ("evilfacebook", LANDING, "https://evilfacebook.com/", (), "referral", "evilfacebook.com"),
    (
        "facebook-under-other-domain",
        LANDING,
        "https://facebook.com.evil.io/",
        (),
        "referral",
        "facebook.com.evil.io",
    ),
    (
        "gmail-under-other-domain",
        LANDING,
        "https://mail.google.com.evil.com/",
        (),
        "referral",
        "mail.google.com.evil.com",
    ),
    # --- social -----------------------------------------------------------------------------
    ("facebook-l", LANDING, "https://l.facebook.com/", (), "social", "Facebook"),
    ("facebook-m", LANDING, "https://m.facebook.com/story.php", (), "social", "Facebook"),
    ("fbclid-alone-is-social", f"{LANDING}?fbclid=IwAR0x", None, (), "social", "Facebook"),
    (
        "fbclid-from-instagram",
        f"{LANDING}?fbclid=IwAR0x",
        "https://l.instagram.com/",
        (),
        "social",
        "Instagram",
    ),
    ("t-co", LANDING, "https://t.co/xyz", (), "social", "X"),
    ("x-com", LANDING, "https://x.com/someone/status/1", (), "social", "X"),
    ("linkedin", LANDING, "https://www.linkedin.com/", (), "social", "LinkedIn"),
    ("lnkd-in", LANDING, "https://lnkd.in/abc", (), "social", "LinkedIn"),
    ("reddit", LANDING, "https://out.reddit.com/t3_x", (), "social", "Reddit"),
    ("pinterest-co-uk", LANDING, "https://www.pinterest.co.uk/", (), "social", "Pinterest"),
    ("youtube", LANDING, "https://www.youtube.com/", (), "social", "YouTube"),
    ("threads", LANDING, "https://l.threads.net/", (), "social", "Threads"),
    ("bluesky", LANDING, "https://bsky.app/profile/x", (), "social", "Bluesky"),
    ("hacker-news", LANDING, "https://news.ycombinator.com/item?id=1", (), "social", "Hacker News"),
    ("ycombinator-is-not-hn", LANDING, "https://www.ycombinator.com/", (), "referral", "ycombinator.com"),
    (
        "mastodon-instance-is-referral",
        LANDING,
        "https://mastodon.social/@x",
        (),
        "referral",
        "mastodon.social",
    ),
    # --- email (by referrer) ----------------------------------------------------------------
    ("gmail", LANDING, "https://mail.google.com/", (), "email", "Gmail"),
    ("gmail-app", LANDING, "android-app://com.google.android.gm/", (), "email", "Gmail"),
    ("outlook", LANDING, "https://outlook.live.com/", (), "email", "Outlook.com"),
    ("yahoo-mail", LANDING, "https://mail.yahoo.com/", (), "email", "Yahoo Mail"),
    ("yandex-mail", LANDING, "https://mail.yandex.ru/", (), "email", "Yandex Mail"),
    ("generic-webmail", LANDING, "https://webmail.example-isp.net/", (), "email", "webmail.example-isp.net"),
    # --- referral ---------------------------------------------------------------------------
    ("utm-source-only", f"{LANDING}?utm_source=partner-site", None, (), "referral", "partner-site"),
    ("utm-unknown-medium", f"{LANDING}?utm_source=podcast&utm_medium=audio", None, (), "referral", "podcast"),
    (
        "utm-beats-own-host",
        f"{LANDING}?utm_source=banner-home",
        "https://shop.example.com/",
        (),
        "referral",
        "banner-home",
    ),
    ("other-site", LANDING, "https://www.partner.org/links", (), "referral", "partner.org"),
    ("port-and-case", LANDING, "HTTPS://WWW.Partner.ORG:8443/x", (), "referral", "partner.org"),
    ("ip-address", LANDING, "http://203.0.113.5/", (), "referral", "203.0.113.5"),
    ("chatgpt", LANDING, "https://chatgpt.com/", (), "referral", "chatgpt.com"),
    (
        "gemini-is-not-google-search",
        LANDING,
        "https://gemini.google.com/app",
        (),
        "referral",
        "gemini.google.com",
    ),
    ("garbage-landing", "http://[::1", "https://www.partner.org/", (), "referral", "partner.org"),
]


@pytest.mark.parametrize(
    ("landing", "referrer", "own", "source_class", "source"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_classify(
    landing: str | None,
    referrer: str | None,
    own: tuple[str, ...] | str,
    source_class: SourceClass,
    source: str | None,
) -> None:
    t = classify(landing, referrer, own)
    assert (t.source_class, t.source) == (source_class, source)


def test_the_table_covers_every_class() -> None:
    assert len(CASES) >= 25
    assert {c[4] for c in CASES} == {"organic", "paid", "social", "email", "referral", "direct"}


def _host_of(pattern: str) -> str:
    return pattern.lstrip("=").replace(".*", ".com")


@pytest.mark.parametrize(
    ("table", "source_class"),
    [(SEARCH_ENGINES, "organic"), (SOCIAL_NETWORKS, "social"), (WEBMAIL, "email")],
    ids=["search", "social", "webmail"],
)
def test_every_listed_host_lands_in_its_own_class(
    table: dict[str, tuple[str, ...]], source_class: SourceClass
) -> None:
    # Also proves the lists do not overlap: a host in two lists would land in one class only.
    for name, patterns in table.items():
        for pattern in patterns:
            host = _host_of(pattern)
            scheme = "android-app" if host.startswith(("com.", "org.")) and "." in host[4:] else "https"
            t = classify(LANDING, f"{scheme}://{host}/")
            assert (t.source_class, t.source) == (source_class, name), host
            if not pattern.startswith("="):
                sub = classify(LANDING, f"https://www.{host}/")
                assert (sub.source_class, sub.source) == (source_class, name), f"www.{host}"


def test_tags_are_read_case_insensitively_and_trimmed() -> None:
    long = "x" * 500
    t = classify(
        "https://example.com/?UTM_Source=News&utm_MEDIUM=email&utm_campaign=spring%20sale"
        f"&utm_term=chat&utm_content={long}&utm_id=123&utm_source=second&GCLID=abc&fbclid=&foo=bar",
        None,
    )
    assert t.utm == {
        "source": "News",
        "medium": "email",
        "campaign": "spring sale",
        "term": "chat",
        "content": "x" * 200,
    }
    assert t.click_ids == {"gclid": "abc"}  # empty fbclid ignored


def test_all_click_ids_are_kept() -> None:
    ids = ["gclid", "gbraid", "wbraid", "fbclid", "msclkid", "ttclid", "li_fat_id", "twclid"]
    t = classify("https://example.com/?" + "&".join(f"{k}=v{i}" for i, k in enumerate(ids)), None)
    assert t.click_ids == {k: f"v{i}" for i, k in enumerate(ids)}
    assert (t.source_class, t.source) == ("paid", "Google")


def test_urls_are_kept_as_given_and_trimmed() -> None:
    long_ref = "https://partner.org/" + "a" * 3000
    long_landing = "https://example.com/" + "b" * 3000
    t = classify(long_landing, long_ref)
    assert t.referrer == long_ref[:2048] and t.landing_page == long_landing[:2048]
    blank = classify("  ", "")
    assert blank.referrer is None and blank.landing_page is None


def test_tags_beyond_the_stored_length_still_count() -> None:
    t = classify("https://example.com/?pad=" + "p" * 3000 + "&utm_source=late&utm_medium=email", None)
    assert (t.source_class, t.source) == ("email", "late")


def test_as_dict() -> None:
    t = classify(f"{LANDING}?utm_source=nl&utm_medium=email", "https://mail.google.com/")
    assert t.as_dict() == {
        "source_class": "email",
        "source": "nl",
        "referrer": "https://mail.google.com/",
        "landing_page": f"{LANDING}?utm_source=nl&utm_medium=email",
        "utm": {"source": "nl", "medium": "email"},
        "click_ids": {},
    }


def test_campaign_key() -> None:
    plain = classify(LANDING, "https://www.google.com/")
    assert plain.campaign() is None
    assert classify(f"{LANDING}?utm_term=x&utm_content=y", None).campaign() is None

    spring = classify(f"{LANDING}?utm_source=nl&utm_medium=email&utm_campaign=spring", None).campaign()
    assert spring is not None and len(spring) == 32 and all(c in "0123456789abcdef" for c in spring)
    # The same campaign whatever the referrer, the page, the letter case or the term/content.
    same = classify(
        "https://shop.example.com/other?UTM_CAMPAIGN=Spring&utm_medium=Email&utm_source=NL&utm_term=z",
        "https://mail.google.com/",
    ).campaign()
    assert same == spring
    autumn = classify(f"{LANDING}?utm_source=nl&utm_medium=email&utm_campaign=autumn", None).campaign()
    assert autumn not in (None, spring)
    # Every ad click has its own click id, so every ad click is a new campaign.
    click1 = classify(f"{LANDING}?gclid=aaa", None).campaign()
    click2 = classify(f"{LANDING}?gclid=bbb", None).campaign()
    assert click1 is not None and click2 is not None and click1 != click2
    assert classify(f"{LANDING}?fbclid=f1", None).campaign() is not None


def test_campaign_key_is_stable_across_processes() -> None:
    # The key is stored and compared by other processes: a digest, not hash().
    url = "https://example.com/?utm_source=nl&utm_medium=email&utm_campaign=spring&gclid=g1"
    code = f"from sitechat.visitors.traffic import classify; print(classify({url!r}, None).campaign())"
    keys = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert keys == {classify(url, None).campaign()}


def test_garbage_never_raises() -> None:
    rng = random.Random(99)
    alphabet = string.printable + "[]%:@/?#éü\x00\ufffd"
    specials = [
        "http://[::1",
        "http://[",
        "://",
        "?",
        "?utm_source",
        "%%%",
        "http://a:b:c@/",
        "\x00",
        "🙂://🙂",
    ]
    for _ in range(500):
        parts = [rng.choice(specials) if rng.random() < 0.3 else "" for _ in range(2)]
        landing = parts[0] + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        referrer = parts[1] + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        t = classify(landing, referrer, [referrer, "", "http://["])
        assert isinstance(t, Traffic)
        assert t.source_class in ("organic", "paid", "social", "email", "referral", "direct")
        t.campaign()
        t.as_dict()
