from __future__ import annotations

from pathlib import Path

import pytest

from sitechat.config import SettingsError, load_settings
from sitechat.websites.domains import host_allowed, normalize_domain, origin_allowed
from sitechat.websites.service import install_snippet


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://example.com", True),
        ("http://example.com:8080", True),
        ("https://shop.example.org", True),
        ("https://a.b.example.org", True),
        ("https://example.org", False),  # a wildcard does not cover the bare domain
        ("https://evil-example.com", False),
        ("https://example.com.evil.net", False),
        ("https://notexample.org", False),
        ("null", False),
        ("", False),
        (None, False),
        ("javascript:alert(1)", False),
        ("https://EXAMPLE.com", True),
    ],
)
def test_origin_matching(origin: str | None, allowed: bool) -> None:
    assert origin_allowed(origin, ["example.com", "*.example.org"]) is allowed


@pytest.mark.parametrize(
    "bad",
    [
        "https://example.com",
        "example.com/path",
        "*.com",
        "ex*ample.com",
        "a..b",
        "",
        "exa mple.com",
        "*.*.example.com",
        "300.1.1.1",
        "example.com:80",
    ],
)
def test_bad_domains_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        normalize_domain(bad)


def test_domains_normalize() -> None:
    assert normalize_domain(" Shop.Example.COM. ") == "shop.example.com"
    assert normalize_domain("*.Example.com") == "*.example.com"
    assert normalize_domain("127.0.0.1") == "127.0.0.1"
    assert host_allowed("127.0.0.1", ["127.0.0.1"])


def test_snippet_is_the_prd_snippet_with_safe_literals() -> None:
    s = install_snippet("https://chat.example.com", "web_abc")
    assert "w[l]=w[l]||[]" in s and "'websiteChat'" in s and '"web_abc"' in s
    assert '"https://chat.example.com/widget/loader.js?id="+i+dl' in s
    nasty = install_snippet("https://x.example.com/</script>", "web_1")
    assert '</script>"' not in nasty.split("<script>", 1)[1].rsplit("</script>", 1)[0]


def test_settings_errors_name_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITECHAT_DATA_DIR", str(tmp_path))
    for name, value in (
        ("SITECHAT_DATABASE_URL", "mysql://x"),
        ("SITECHAT_PORT", "99999"),
        ("SITECHAT_PUBLIC_URL", "chat.example.com"),
        ("SITECHAT_REDIS_URL", "http://localhost"),
        ("SITECHAT_MAX_MESSAGE_CHARS", "0"),
        ("SITECHAT_RATE_LOGIN", "ten per fortnight"),
        ("SITECHAT_REDIS_URL", "unix:///tmp/redis.sock"),
        ("SITECHAT_GEOIP_DB", "/no/such/GeoLite2-City.mmdb"),
        ("SITECHAT_LIVE_VISITOR_TTL", "1"),
        ("SITECHAT_VISIT_MEMORY_SECONDS", "-1"),
        ("SITECHAT_VISIT_MEMORY_SECONDS", "a minute"),
        ("SITECHAT_ANONYMOUS_RETENTION_DAYS", "0"),
    ):
        monkeypatch.setenv(name, value)
        with pytest.raises(SettingsError, match=name):
            load_settings()
        monkeypatch.delenv(name)
    monkeypatch.setenv("SITECHAT_SECRET_KEY", "short")
    with pytest.raises(SettingsError, match="SITECHAT_SECRET_KEY"):
        load_settings()


def test_secret_key_is_generated_once_and_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITECHAT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SITECHAT_SECRET_KEY", raising=False)
    first = load_settings()
    second = load_settings()
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert (
        first.database_url.startswith("sqlite+aiosqlite:///") and first.public_url == "http://127.0.0.1:8000"
    )
    monkeypatch.setenv("SITECHAT_DATABASE_URL", "postgres://u@h/db")
    assert load_settings().database_url == "postgresql+asyncpg://u@h/db"


def test_misspelled_settings_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("SITECHAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SITECHAT_DATABSE_URL", "postgresql://typo")
    load_settings()
    assert "SITECHAT_DATABSE_URL is not a setting" in capsys.readouterr().err
