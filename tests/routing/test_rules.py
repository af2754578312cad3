"""Skill rules on their own: what each kind of rule matches, and that the first match wins."""

from __future__ import annotations

import pytest

from sitechat.routing.rules import VisitorContext, skill_for, tags_of
from sitechat.websites.settings import RoutingRule


def rule(match: str, value: str, skill: str = "s", key: str | None = None) -> RoutingRule:
    return RoutingRule(match=match, value=value, skill=skill, key=key)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "languages", "hit"),
    [
        ("fr", ["fr-CA", "en"], True),
        ("fr", ["FR"], True),
        ("fr-ca", ["fr-CA"], True),
        ("fr-CA", ["fr-FR"], False),
        ("fr", ["en-US", "fr"], False),  # only the preferred language counts
        ("fr", ["fry"], False),
        ("fr", [], False),
    ],
)
def test_language(value: str, languages: list[str], hit: bool) -> None:
    assert (skill_for([rule("language", value)], VisitorContext(languages=languages)) == "s") is hit


@pytest.mark.parametrize(
    ("value", "page", "hit"),
    [
        ("/billing", "https://shop.example.com/billing/invoices", True),
        ("/BILLING", "https://shop.example.com/billing", True),
        ("*/billing/*", "https://shop.example.com/billing/7", True),
        ("*/billing/*", "https://shop.example.com/billing", False),  # a glob matches the whole URL
        ("https://shop.example.com/p?", "https://shop.example.com/p1", True),
        ("/billing", "https://shop.example.com/shoes", False),
        ("/billing", None, False),
    ],
)
def test_page(value: str, page: str | None, hit: bool) -> None:
    assert (skill_for([rule("page", value)], VisitorContext(page=page)) == "s") is hit


def test_prechat_answers_and_tags() -> None:
    ctx = VisitorContext(answers={"plan": "Enterprise ", "accept": True, "seats": 500, "email": None})
    assert skill_for([rule("prechat", "enterprise", key="plan")], ctx) == "s"
    assert skill_for([rule("prechat", "true", key="accept")], ctx) == "s"
    assert skill_for([rule("prechat", "500", key="seats")], ctx) == "s"
    assert skill_for([rule("prechat", "free", key="plan")], ctx) is None
    assert skill_for([rule("prechat", "none", key="email")], ctx) is None
    assert tags_of({"tags": "VIP, beta ,"}) == ["vip", "beta"]
    assert tags_of({"tags": ["vip", 3]}) == ["vip", "3"]
    assert tags_of({"tags": {"vip": True}}) == [] and tags_of({}) == []
    assert skill_for([rule("tag", "Beta")], VisitorContext(tags=tags_of({"tags": "vip,beta"}))) == "s"


def test_first_matching_rule_wins() -> None:
    rules = [rule("tag", "vip", "sales"), rule("language", "fr", "fr"), rule("page", "/", "web")]
    ctx = VisitorContext(languages=["fr"], page="https://x.example/", tags=["vip"])
    assert skill_for(rules, ctx) == "sales"
    assert skill_for(rules, VisitorContext(languages=["fr"], page="https://x.example/")) == "fr"
    assert skill_for(rules, VisitorContext()) is None
