"""Website settings: partial updates, validation that names every bad field, business hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sitechat.errors import ValidationFailed
from sitechat.websites.settings import BusinessHours, WebsiteSettings, merged, settings_of


def test_a_partial_update_keeps_what_it_does_not_name() -> None:
    first = merged(
        None,
        {"appearance": {"color": "#0F766E"}, "prechat": {"enabled": True, "fields": {"name": "required"}}},
    )
    second = merged(
        first.model_dump(mode="json"),
        {
            "appearance": {"position": "left"},
            "prechat": {"fields": {"email": "required"}},
            "business_hours": {"schedule": {"monday": {"close": "18:30"}, "friday": None}},
        },
    )
    assert second.appearance.color == "#0F766E" and second.appearance.position == "left"
    # Nested objects merge key by key: setting email does not reset name.
    assert second.prechat.enabled is True
    assert (second.prechat.fields.name, second.prechat.fields.email) == ("required", "required")
    monday = second.business_hours.schedule["monday"]
    assert monday is not None and (monday.open, monday.close) == ("09:00", "18:30")
    assert second.business_hours.schedule["friday"] is None  # null closes the day
    assert second.offline.form_enabled is True  # defaults fill the rest


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as err:
        merged(None, {"colours": {}, "offline": "x", "appearance": {"color": "red"}})
    assert {f["field"] for f in err.value.fields or []} == {"colours", "offline", "appearance.color"}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"appearance": {"color": "red"}}, "appearance.color"),
        ({"appearance": {"logo_url": "javascript:alert(1)"}}, "appearance.logo_url"),
        ({"appearance": {"logo_url": "http://example.com/logo.png"}}, "appearance.logo_url"),
        ({"behavior": {"greet_delay_ms": -1}}, "behavior.greet_delay_ms"),
        ({"behavior": {"surprise": True}}, "behavior.surprise"),
        ({"prechat": {"fields": {"email": "mandatory"}}}, "prechat.fields.email"),
        ({"prechat": {"custom_fields": [{"key": "Plan!", "label": "Plan"}]}}, "prechat.custom_fields.0.key"),
        (
            {"prechat": {"custom_fields": [{"key": "plan", "label": "Plan", "type": "select"}]}},
            "prechat.custom_fields.0",
        ),
        (
            {"prechat": {"custom_fields": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]}},
            "prechat.custom_fields",
        ),
        ({"prechat": {"custom_fields": [{"key": "email", "label": "E"}]}}, "prechat.custom_fields"),
        ({"business_hours": {"timezone": "Mars/Olympus"}}, "business_hours.timezone"),
        (
            {"business_hours": {"schedule": {"monday": {"open": "18:00", "close": "09:00"}}}},
            "business_hours.schedule.monday",
        ),
        ({"business_hours": {"schedule": {"funday": None}}}, "business_hours.schedule.funday"),
        ({"business_hours": {"holidays": ["2026-13-01"]}}, "business_hours.holidays.0"),
        ({"offline": {"message": ""}}, "offline.message"),
        ({"colours": {}}, "colours"),
        ({"appearance": "blue"}, "appearance"),
    ],
)
def test_bad_settings_name_the_field(patch: dict, field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        merged(None, patch)
    assert err.value.fields
    assert any(f["field"] == field for f in err.value.fields), err.value.fields


def test_stored_settings_that_no_longer_validate_fall_back_per_section() -> None:
    s = settings_of({"appearance": {"color": "not a colour"}, "offline": {"message": "Gone fishing"}})
    assert s.appearance.color == WebsiteSettings().appearance.color
    assert s.offline.message == "Gone fishing"


def _at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def test_business_hours_in_the_websites_time_zone() -> None:
    hours = BusinessHours.model_validate(
        {
            "enabled": True,
            "timezone": "America/New_York",
            "schedule": {"wednesday": {"open": "09:00", "close": "17:00"}},
            "holidays": ["2026-12-02"],
        }
    )
    # Wednesday 2026-11-25: 13:59 UTC is 08:59 in New York, 14:00 UTC is 09:00.
    assert not hours.open_at(_at(2026, 11, 25, 13, 59))
    assert hours.open_at(_at(2026, 11, 25, 14, 0))
    assert hours.open_at(_at(2026, 11, 25, 21, 59))
    assert not hours.open_at(_at(2026, 11, 25, 22, 0))  # 17:00 local: closed
    assert not hours.open_at(_at(2026, 11, 26, 15))  # Thursday is not in the schedule
    assert not hours.open_at(_at(2026, 12, 2, 15))  # a holiday Wednesday


def test_no_business_hours_means_always_open() -> None:
    assert BusinessHours().open_at(_at(2026, 11, 29, 3))  # a Sunday night


def test_required_prechat_fields() -> None:
    s = merged(
        None,
        {
            "prechat": {
                "enabled": True,
                "fields": {"name": "optional", "email": "required", "phone": "off"},
                "custom_fields": [
                    {"key": "order", "label": "Order number", "required": True},
                    {"key": "plan", "label": "Plan", "type": "select", "options": ["Free", "Pro"]},
                ],
            }
        },
    )
    assert s.prechat.required() == ["email", "custom_data.order"]
    off = merged(s.model_dump(mode="json"), {"prechat": {"enabled": False}})
    assert off.prechat.required() == []
