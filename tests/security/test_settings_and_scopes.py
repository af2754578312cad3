"""Rate settings are validated at start-up; every route needs a definite scope."""

from __future__ import annotations

import pytest

from sitechat.agents.scopes import SCOPES, grantable, required_scope
from sitechat.config import SettingsError, load_settings
from tests.security.test_isolation_matrix import ROUTES


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("rate_api_key", "lots"),
        ("rate_ip", "0/minute"),
        ("rate_domain", "100/minute;1000/hour"),
        ("rate_ip", "10/fortnight"),
        ("rate_api_key", "-5/second"),
    ],
)
def test_a_wrong_rate_stops_start_up_naming_the_setting(name: str, value: str, tmp_path) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(data_dir=tmp_path, **{name: value})
    assert f"SITECHAT_{name.upper()}" in str(err.value) and "rate" in str(err.value)


def test_rate_defaults_and_overrides(tmp_path) -> None:
    s = load_settings(data_dir=tmp_path, rate_api_key="5 per second")
    assert (s.rate_api_key, s.rate_ip, s.rate_domain) == ("5 per second", "1200/minute", "12000/minute")


def test_every_agent_route_needs_a_known_scope_and_reads_need_no_admin() -> None:
    for method, path in ROUTES:
        scope = required_scope(method, path)
        assert scope is None or scope in SCOPES, (method, path)
        if method == "GET" and scope is not None and path != "/api/v1/websites/{website_id}/identity-secret":
            assert not scope.endswith(":admin") or scope == "keys:admin", (method, path, scope)
    assert required_scope("POST", "/api/v1/visitors/identify") == "visitors:write"
    assert required_scope("PUT", "/api/v1/agents/me/status") == "conversations:write"
    assert required_scope("PATCH", "/api/v1/agents/{agent_id}") == "agents:admin"
    assert required_scope("GET", "/api/v1/websites/{website_id}/identity-secret") == "websites:admin"
    # A route nobody has given a scope yet is closed to narrow keys.
    assert required_scope("GET", "/api/v1/something-new") == "websites:admin"
    assert required_scope("GET", "/api/v1/agentsX") == "websites:admin"


def test_agents_cannot_hold_admin_scopes_and_website_keys_no_installation_ones() -> None:
    assert "websites:admin" not in grantable("agent") and "conversations:write" in grantable("agent")
    assert grantable("owner") == frozenset(SCOPES)
    assert "agents:admin" not in grantable("admin", tied_to_websites=True)
    assert "websites:admin" in grantable("admin", tied_to_websites=True)
