"""Skill rules: which skill a conversation needs, from what is known of its visitor."""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from sitechat.websites.settings import RoutingRule


@dataclass(frozen=True, slots=True)
class VisitorContext:
    # The browser's languages, preferred first (BCP 47 tags).
    languages: list[str] = field(default_factory=list)
    # The URL of the page the visitor is on (the latest page view).
    page: str | None = None
    # Pre-chat answers: name, email, phone, company and the custom fields.
    answers: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)


def _language(rule: str, languages: list[str]) -> bool:
    """The preferred language only: "fr" matches fr and fr-CA, "fr-ca" only fr-CA."""
    if not languages:
        return False
    lang, want = languages[0].lower(), rule.lower()
    return lang == want or lang.startswith(want + "-")


def _page(rule: str, url: str | None) -> bool:
    if not url:
        return False
    url, rule = url.lower(), rule.lower()
    if "*" in rule or "?" in rule:
        return fnmatchcase(url, rule)
    return rule in url


def _answer(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower()


def tags_of(custom_data: dict[str, Any]) -> list[str]:
    """The visitor's tags: custom data ``tags``, a list or a comma-separated string."""
    raw = custom_data.get("tags")
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list):
        return []
    return [str(t).strip().lower() for t in raw if str(t).strip()]


def matches(rule: RoutingRule, ctx: VisitorContext) -> bool:
    if rule.match == "language":
        return _language(rule.value, ctx.languages)
    if rule.match == "page":
        return _page(rule.value, ctx.page)
    if rule.match == "prechat":
        value = ctx.answers.get(rule.key or "")
        return value is not None and _answer(value) == rule.value.strip().lower()
    return rule.value.strip().lower() in ctx.tags


def skill_for(rules: list[RoutingRule], ctx: VisitorContext) -> str | None:
    """The skill of the first rule that matches, if any."""
    for rule in rules:
        if matches(rule, ctx):
            return rule.skill
    return None
