"""Where a visit came from: the landing URL's campaign tags and the referrer.

``classify`` puts each visit in one class, by the first rule that applies (the table is
in docs/tracking.md, "Traffic sources"): paid, email, social (by UTM medium), organic
search, social, email (by referrer), referral (UTM tags or another site), direct.

The search engines, social networks and webmail hosts are curated below as data: no
maintained, pinnable package ships such lists (docs/tracking.md says where these come
from). Hosts match exactly or as a subdomain, on label boundaries; a ``name.*`` entry
matches ``name`` under any public suffix (``google.*`` is google.com, google.co.uk, …),
judged with the Public Suffix List, so ``google.evil.com`` and ``notgoogle.com`` do not
match. An entry written ``=host`` matches that host only, not its subdomains (so
``docs.google.com`` is a referral while ``www.google.com`` is a search).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from publicsuffixlist import PublicSuffixList

SourceClass = Literal["organic", "paid", "social", "email", "referral", "direct"]

MAX_URL_CHARS = 2048
MAX_VALUE_CHARS = 200
# How much of a landing URL is read for its tags: a bound on the work a hostile URL costs.
_MAX_PARSE_CHARS = 8192

UTM_KEYS = ("source", "medium", "campaign", "term", "content")
# Ad click ids in the order that names the source when utm_source is absent.
CLICK_IDS: dict[str, str] = {
    "gclid": "Google",
    "gbraid": "Google",
    "wbraid": "Google",
    "msclkid": "Bing",
    "ttclid": "TikTok",
    "li_fat_id": "LinkedIn",
    "twclid": "X",
    "fbclid": "Facebook",
}
# fbclid is not here: Facebook and Instagram append it to every outbound link, paid or not.
PAID_CLICK_IDS = frozenset({"gclid", "gbraid", "wbraid", "msclkid", "ttclid", "li_fat_id", "twclid"})

PAID_MEDIUMS = frozenset(
    {
        "cpc",
        "ppc",
        "cpm",
        "cpv",
        "cpa",
        "paid",
        "paidsearch",
        "paid_search",
        "paid-search",
        "paid search",
        "paid_social",
        "paidsocial",
        "paid-social",
        "paid social",
        "display",
        "banner",
        "retargeting",
        "affiliate",
        "affiliates",
    }
)
EMAIL_MEDIUMS = frozenset({"email", "e-mail", "e_mail", "e mail", "mail", "newsletter"})
SOCIAL_MEDIUMS = frozenset(
    {
        "social",
        "social-network",
        "social_network",
        "social network",
        "social-media",
        "social_media",
        "social media",
        "sm",
    }
)
ORGANIC_MEDIUMS = frozenset({"organic"})

# Curated 2026-11 from Matomo's searchengine-and-social-list and Snowplow's referer-parser
# referers.yaml, trimmed to sites with traffic today; see docs/tracking.md.
SEARCH_ENGINES: dict[str, tuple[str, ...]] = {
    "Google": (
        "=google.*",
        "=www.google.*",
        "=m.google.*",
        "=news.google.*",
        "=images.google.*",
        "=encrypted.google.*",
        "=scholar.google.*",
        "=com.google.android.googlequicksearchbox",
    ),
    "Bing": ("bing.com",),
    "Yahoo": ("search.yahoo.*",),
    "DuckDuckGo": ("duckduckgo.com",),
    "Baidu": ("baidu.com",),
    "Yandex": ("=yandex.*", "=www.yandex.*", "ya.ru"),
    "Ecosia": ("ecosia.org",),
    "Qwant": ("qwant.com",),
    "Startpage": ("startpage.com",),
    "Brave": ("search.brave.com",),
    "Naver": ("search.naver.com",),
    "Seznam": ("=seznam.cz", "=www.seznam.cz", "search.seznam.cz"),
    "Ask": ("ask.com",),
    "AOL": ("search.aol.com",),
    "Sogou": ("sogou.com",),
    "360 Search": ("so.com",),
    "Daum": ("search.daum.net",),
    "Kagi": ("kagi.com",),
    "Mojeek": ("mojeek.com",),
    "Coc Coc": ("coccoc.com",),
    "Petal Search": ("petalsearch.com",),
    "Mail.ru": ("go.mail.ru",),
    "Swisscows": ("swisscows.com",),
    "MetaGer": ("metager.org", "metager.de"),
    "Lilo": ("search.lilo.org",),
    "Yep": ("yep.com",),
}
SOCIAL_NETWORKS: dict[str, tuple[str, ...]] = {
    "Facebook": ("facebook.com", "fb.com", "fb.me", "fb.watch", "messenger.com", "=com.facebook.katana"),
    "Instagram": ("instagram.com", "=com.instagram.android"),
    "Threads": ("threads.net", "threads.com"),
    "X": ("x.com", "twitter.com", "t.co", "=com.twitter.android"),
    "LinkedIn": ("linkedin.com", "lnkd.in", "=com.linkedin.android"),
    "Reddit": ("reddit.com", "redd.it", "=com.reddit.frontpage"),
    "Pinterest": ("pinterest.*", "pin.it"),
    "YouTube": ("youtube.com", "youtu.be", "=com.google.android.youtube"),
    "TikTok": ("tiktok.com",),
    "Quora": ("quora.com",),
    "Bluesky": ("bsky.app",),
    "Hacker News": ("news.ycombinator.com",),
    "VK": ("vk.com", "vk.ru"),
    "Odnoklassniki": ("ok.ru",),
    "Weibo": ("weibo.com", "weibo.cn", "t.cn"),
    "Tumblr": ("tumblr.com",),
    "Snapchat": ("snapchat.com",),
    "Telegram": ("t.me", "web.telegram.org", "=org.telegram.messenger"),
    "WhatsApp": ("whatsapp.com", "wa.me", "=com.whatsapp"),
    "Discord": ("discord.com",),
    "Slack": ("app.slack.com", "=com.slack"),
    "XING": ("xing.com",),
}
WEBMAIL: dict[str, tuple[str, ...]] = {
    "Gmail": ("mail.google.com", "inbox.google.com", "=com.google.android.gm"),
    "Outlook.com": (
        "outlook.live.com",
        "mail.live.com",
        "outlook.office.com",
        "outlook.office365.com",
        "outlook.cloud.microsoft",
        "=com.microsoft.office.outlook",
    ),
    "Yahoo Mail": ("mail.yahoo.*", "=com.yahoo.mobile.client.android.mail"),
    "AOL Mail": ("mail.aol.com",),
    "Proton Mail": ("mail.proton.me", "mail.protonmail.com"),
    "Zoho Mail": ("mail.zoho.*",),
    "Yandex Mail": ("mail.yandex.*",),
    "Mail.ru": ("e.mail.ru", "touch.mail.ru"),
    "GMX": ("deref-gmx.*",),
    "Mail.com": ("deref-mail.com",),
    "Web.de": ("deref-web.de", "3c.web.de"),
    "T-Online": ("email.t-online.de",),
    "Fastmail": ("fastmail.com",),
    "Tuta": ("app.tuta.com", "mail.tutanota.com"),
    "QQ Mail": ("mail.qq.com", "exmail.qq.com"),
    "163 Mail": ("mail.163.com",),
    "126 Mail": ("mail.126.com",),
    "Naver Mail": ("mail.naver.com",),
    "Seznam Mail": ("email.seznam.cz",),
    "Orange Mail": ("messagerie.orange.fr",),
}


class _HostTable:
    """Host -> name, for entries written ``domain``, ``=host``, ``stem.*`` or ``=stem.*``."""

    def __init__(self, entries: Mapping[str, Iterable[str]], psl: PublicSuffixList) -> None:
        self._psl = psl
        self._suffix: dict[str, str] = {}
        self._exact: dict[str, str] = {}
        self._stem_suffix: dict[str, str] = {}
        self._stem_exact: dict[str, str] = {}
        for name, patterns in entries.items():
            for raw in patterns:
                exact = raw.startswith("=")
                pattern = raw.lstrip("=").lower()
                if pattern.endswith(".*"):
                    (self._stem_exact if exact else self._stem_suffix)[pattern[:-2]] = name
                else:
                    (self._exact if exact else self._suffix)[pattern] = name

    def match(self, host: str) -> str | None:
        if host in self._exact:
            return self._exact[host]
        found = _by_suffix(host, self._suffix)
        if found is not None:
            return found
        if not (self._stem_exact or self._stem_suffix):
            return None
        # "www.google.co.uk" -> stem "www.google" under the public suffix "co.uk".
        try:
            public = self._psl.publicsuffix(host, accept_unknown=False)
        except Exception:  # an odd (IDN) label the list cannot encode: no match
            return None
        if not public or public == host:
            return None
        stem = host[: -len(public) - 1]
        if stem in self._stem_exact:
            return self._stem_exact[stem]
        return _by_suffix(stem, self._stem_suffix)


def _by_suffix(host: str, table: Mapping[str, str]) -> str | None:
    """The entry for ``host`` or the nearest parent domain of it ("l.facebook.com" ->
    "facebook.com"), comparing whole labels only."""
    candidate = host
    while True:
        if candidate in table:
            return table[candidate]
        dot = candidate.find(".")
        if dot < 0:
            return None
        candidate = candidate[dot + 1 :]


_psl = PublicSuffixList(only_icann=True)
_search = _HostTable(SEARCH_ENGINES, _psl)
_social = _HostTable(SOCIAL_NETWORKS, _psl)
_webmail = _HostTable(WEBMAIL, _psl)


@dataclass(frozen=True, slots=True)
class Traffic:
    source_class: SourceClass
    source: str | None
    referrer: str | None
    landing_page: str | None
    utm: dict[str, str] = field(default_factory=dict)
    click_ids: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "source_class": self.source_class,
            "source": self.source,
            "referrer": self.referrer,
            "landing_page": self.landing_page,
            "utm": dict(self.utm),
            "click_ids": dict(self.click_ids),
        }

    def campaign(self) -> str | None:
        """A key that differs between campaigns: a digest of utm_source, utm_medium,
        utm_campaign (case-insensitive) and the click ids; None when the landing URL has
        none of them. An ad click id is unique per click, so every ad click is a new
        campaign, as in Google Analytics."""
        parts = [
            f"utm_{k}={self.utm[k].strip().lower()}"
            for k in ("source", "medium", "campaign")
            if k in self.utm
        ]
        parts += [f"{k}={self.click_ids[k]}" for k in CLICK_IDS if k in self.click_ids]
        if not parts:
            return None
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _trim(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value[:limit] if value else None


def _host(url: str | None, bare_needs_dot: bool = True) -> str | None:
    """The URL's host, lowercased, without port or trailing dot; None when there is none."""
    if not url:
        return None
    text = url.strip()[:_MAX_PARSE_CHARS]
    bare = "://" not in text
    if bare:
        # A bare "example.com/page" (some clients send one): read it as a host.
        text = "//" + text.lstrip("/")
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    if not host or ".." in host or not all(c.isalnum() or c in "-_.:" for c in host):
        return None
    if bare and bare_needs_dot and "." not in host:
        return None
    return host


def _same_site_host(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def _own_host(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    host = _host(value, bare_needs_dot=False)  # "localhost" is a fine own host
    return _same_site_host(host) if host else None


def _tags(landing_url: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """The landing URL's UTM tags and ad click ids. Keys are matched case-insensitively;
    the first non-empty value of a key wins."""
    utm: dict[str, str] = {}
    click_ids: dict[str, str] = {}
    if not landing_url:
        return utm, click_ids
    try:
        query = urlsplit(landing_url.strip()[:_MAX_PARSE_CHARS]).query
        pairs = parse_qsl(query, keep_blank_values=False)
    except ValueError:
        return utm, click_ids
    for raw_key, raw_value in pairs:
        key = raw_key.strip().lower()
        value = _trim(raw_value, MAX_VALUE_CHARS)
        if value is None:
            continue
        if key.startswith("utm_") and key[4:] in UTM_KEYS:
            utm.setdefault(key[4:], value)
        elif key in CLICK_IDS:
            click_ids.setdefault(key, value)
    return utm, click_ids


def _generic_webmail(host: str) -> str | None:
    """Many providers serve their webmail on ``webmail.<provider>``: named by its host."""
    return host if host.startswith("webmail.") else None


def _medium_in(medium: str | None, group: frozenset[str]) -> bool:
    return medium is not None and medium.strip().lower() in group


def _is_paid_medium(medium: str | None) -> bool:
    if medium is None:
        return False
    m = medium.strip().lower()
    return m in PAID_MEDIUMS or m.startswith("paid")


def classify(landing_url: str | None, referrer: str | None, own_hosts: Iterable[str] = ()) -> Traffic:
    """The traffic source of a visit that landed on ``landing_url`` from ``referrer``.

    ``own_hosts`` are the website's own hosts (``example.com``; a URL is accepted too): a
    referrer on one of them, or on the landing URL's own host, is navigation inside the
    site, so the visit is direct unless the landing URL carries campaign tags. ``www.``
    is ignored when comparing hosts. Never raises.
    """
    if isinstance(own_hosts, str):
        own_hosts = (own_hosts,)
    utm, click_ids = _tags(landing_url)
    ref = _trim(referrer, MAX_URL_CHARS)
    landing = _trim(landing_url, MAX_URL_CHARS)

    def result(source_class: SourceClass, source: str | None) -> Traffic:
        return Traffic(source_class, source, ref, landing, utm, click_ids)

    ref_host = _host(ref)
    if ref_host is not None:
        own = {h for h in (_own_host(v) for v in own_hosts if isinstance(v, str)) if h}
        landing_host = _host(landing)
        if landing_host:
            own.add(_same_site_host(landing_host))
        if _same_site_host(ref_host) in own:
            ref_host = None

    engine = _search.match(ref_host) if ref_host else None
    network = _social.match(ref_host) if ref_host else None
    mailer = (_webmail.match(ref_host) or _generic_webmail(ref_host)) if ref_host else None
    ref_name = engine or network or mailer or (_same_site_host(ref_host) if ref_host else None)
    utm_source = utm.get("source")
    medium = utm.get("medium")

    paid_ids = [k for k in CLICK_IDS if k in click_ids and k in PAID_CLICK_IDS]
    if paid_ids or _is_paid_medium(medium):
        implied = CLICK_IDS[paid_ids[0]] if paid_ids else ("Facebook" if "fbclid" in click_ids else None)
        return result("paid", utm_source or implied or ref_name)
    if _medium_in(medium, EMAIL_MEDIUMS):
        return result("email", utm_source or ref_name)
    if _medium_in(medium, SOCIAL_MEDIUMS):
        return result("social", utm_source or network or ("Facebook" if "fbclid" in click_ids else ref_name))
    if _medium_in(medium, ORGANIC_MEDIUMS):
        return result("organic", utm_source or ref_name)
    if engine:
        return result("organic", engine)
    if network:
        return result("social", network)
    if mailer:
        return result("email", mailer)
    if "fbclid" in click_ids:
        return result("social", "Facebook")
    if utm_source or medium:
        return result("referral", utm_source or ref_name)
    if ref_host is not None:
        return result("referral", _same_site_host(ref_host))
    return result("direct", None)
