"""Settings, read from the environment with the prefix ``SITECHAT_``.

A wrong setting stops start-up with a message naming the setting (see ``load_settings``).
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SITECHAT_", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"), description="Where the SQLite file, the secret key and uploads live."
    )
    database_url: str = Field(default="", description="SQLAlchemy URL; default: SQLite file in data_dir.")
    redis_url: str | None = Field(
        default=None, description="Redis URL; enables cross-node fanout, presence and shared rate limits."
    )
    secret_key: str = Field(
        default="", description="Signs visitor tokens; generated once into data_dir when unset."
    )
    public_url: str = Field(default="", description="URL the server is reached at; default http://HOST:PORT.")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "info"

    admin_email: str | None = None
    admin_password: str | None = None

    max_message_chars: int = Field(default=5000, ge=1, le=100_000)
    max_frame_bytes: int = Field(default=64 * 1024, ge=1024)
    ws_send_queue: int = Field(
        default=256, ge=8, description="Frames buffered per connection before it is closed as too slow."
    )
    heartbeat_interval: float = Field(default=25.0, gt=0)
    heartbeat_timeout: float = Field(default=60.0, gt=0)
    hello_timeout: float = Field(default=10.0, gt=0)
    visitor_token_ttl: int = Field(default=3600, ge=60)
    session_ttl: int = Field(default=14 * 24 * 3600, ge=300)
    cookie_secure: bool | None = Field(
        default=None, description="Secure cookies; default: on when public_url is https."
    )

    rate_login: str = "10/minute"
    rate_ws_frames: str = "30/second"
    rate_messages: str = "60/minute"
    rate_widget_config: str = "60/minute"
    # WebsiteChat.track(...) batches, per website and address.
    rate_widget_events: str = "120/minute"
    # Every request made with one API key (REST calls and agent socket openings).
    rate_api_key: str = "1200/minute"
    # Widget traffic (config, events, visitor socket openings) from one address, all
    # websites together: generous, as a whole office may share one address …
    rate_ip: str = "1200/minute"
    # … and to one website from one host page domain (the Origin's host).
    rate_domain: str = "12000/minute"

    db_pool_size: int = Field(default=10, ge=1)
    geoip_db: str | None = Field(
        default=None,
        description="A MaxMind .mmdb (City or Country); default: the bundled country data.",
    )
    ip_truncate: bool = Field(
        default=False,
        description="Store visitors' addresses truncated (IPv4 /24, IPv6 /48); GeoIP sees the full one.",
    )
    live_visitor_ttl: float = Field(
        default=60.0,
        ge=5,
        description="Seconds a tab stays in the live visitor list after its last ping (sent every 20 s).",
    )
    visit_memory_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="Seconds a node trusts its memory of a visitor's visit before reading it again "
        "(0: always read). Lower is more exact across nodes; higher is cheaper page views.",
    )
    anonymous_retention_days: int = Field(
        default=30,
        ge=1,
        description="Visitors who never chatted nor said who they are are deleted after these idle days.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed.",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for email (offline messages, invites); unset: no email."
    )
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = Field(
        default=True, description="STARTTLS after connecting (off for port 25 relays)."
    )
    smtp_tls: bool = Field(default=False, description="TLS from the first byte (port 465).")
    smtp_from: str | None = Field(default=None, description="From address; needed when smtp_host is set.")
    invite_ttl: int = Field(
        default=7 * 24 * 3600, ge=300, description="Seconds an agent invite link stays valid."
    )
    # Notifications (docs/notifications.md).
    vapid_private_key: str | None = Field(
        default=None,
        description="Web Push VAPID private key (PEM or base64url raw); made once into data_dir when unset.",
    )
    vapid_subject: str | None = Field(
        default=None, description="VAPID contact (mailto: or https:); default mailto:SITECHAT_SMTP_FROM."
    )
    push_hosts: str = Field(
        default="",
        description="Comma-separated push service hosts subscriptions may point at (*.x.com wildcards); "
        "default: the browsers' own services.",
    )
    push_allow_http: bool = Field(default=False, description="Accept http:// push endpoints (tests only).")
    notify_sweep_interval: float = Field(
        default=30.0, gt=0, description="Seconds between checks for conversations left unanswered (email)."
    )
    # Set when public_url was derived from host and port (so --port can move it).
    public_url_derived: bool = Field(default=False, exclude=True)

    @field_validator("geoip_db")
    @classmethod
    def _check_geoip_db(cls, v: str | None) -> str | None:
        if not v:
            return None
        path = Path(v)
        if not path.is_file() or not os.access(path, os.R_OK):
            raise ValueError(f"{v} is not a readable file (a MaxMind .mmdb such as GeoLite2-City.mmdb)")
        return v

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, v: str) -> str:
        if not v:
            return v
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL such as https://chat.example.com")
        return v.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, v: str) -> str:
        if v and not (v.startswith("sqlite+aiosqlite://") or v.startswith("postgresql+asyncpg://")):
            if v.startswith(("postgres://", "postgresql://")):
                return "postgresql+asyncpg://" + v.split("://", 1)[1]
            if v.startswith("sqlite://"):
                return "sqlite+aiosqlite://" + v.split("://", 1)[1]
            raise ValueError("must be a postgresql:// or sqlite:// URL")
        return v

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if not v.startswith(("redis://", "rediss://")):
            raise ValueError("must be a redis:// or rediss:// URL")
        return v

    @field_validator(
        "rate_login",
        "rate_ws_frames",
        "rate_messages",
        "rate_widget_config",
        "rate_widget_events",
        "rate_api_key",
        "rate_ip",
        "rate_domain",
    )
    @classmethod
    def _check_rate(cls, v: str) -> str:
        from limits import parse

        try:
            item = parse(v)
        except ValueError:
            raise ValueError("must be a rate such as 10/minute or 30/second") from None
        # parse() reads only the first of "10/minute;100/hour": refuse rather than ignore the rest.
        if item.amount < 1 or any(sep in v for sep in ";,|"):
            raise ValueError("must be one rate of at least 1, such as 10/minute or 30/second")
        return v

    @field_validator("smtp_host", "smtp_username", "smtp_password", "smtp_from")
    @classmethod
    def _blank_is_unset(cls, v: str | None) -> str | None:
        return v.strip() or None if v is not None else None

    @model_validator(mode="after")
    def _check_smtp(self) -> Settings:
        if self.smtp_host is None:
            return self
        sender = self.smtp_from or ""
        local, _, domain = sender.partition("@")
        if not local or "." not in domain or any(c.isspace() or c in "<>,;\r\n" for c in sender):
            raise ValueError(
                "SITECHAT_SMTP_FROM must be a plain address such as chat@example.com when SMTP is set"
            )
        if self.smtp_tls and self.smtp_starttls:
            raise ValueError("SITECHAT_SMTP_TLS and SITECHAT_SMTP_STARTTLS exclude each other")
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("SITECHAT_SMTP_USERNAME and SITECHAT_SMTP_PASSWORD go together")
        return self

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, v: str) -> str:
        if v.lower() not in ("critical", "error", "warning", "info", "debug"):
            raise ValueError("must be one of critical, error, warning, info, debug")
        return v.lower()

    @property
    def public_origin(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def ws_base(self) -> str:
        parts = urlsplit(self.public_url)
        return ("wss" if parts.scheme == "https" else "ws") + "://" + parts.netloc

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def finalize(self) -> Settings:
        """Fill the defaults that depend on other settings (URLs, SQLite path, secret key)."""
        if not self.public_url:
            self.public_url = f"http://{self.host}:{self.port}"
            self.public_url_derived = True
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{(self.data_dir / 'sitechat.db').resolve()}"
        if not self.secret_key:
            key_file = self.data_dir / "secret_key"
            if key_file.exists():
                self.secret_key = key_file.read_text().strip()
            else:
                self.secret_key = secrets.token_urlsafe(48)
                key_file.touch(mode=0o600)
                key_file.write_text(self.secret_key)
        if len(self.secret_key) < 32:
            raise SettingsError("SITECHAT_SECRET_KEY: must be at least 32 characters")
        return self


class SettingsError(Exception):
    """A setting is wrong; the message names it."""


def unknown_settings(environ: Mapping[str, str]) -> list[str]:
    """SITECHAT_* variables that name no setting: most likely typos, which pydantic would
    otherwise ignore without a word."""
    known = {"SITECHAT_" + name.upper() for name in Settings.model_fields}
    return sorted(
        k
        for k in environ
        if k.startswith("SITECHAT_") and k not in known and not k.startswith("SITECHAT_TEST_")
    )


def load_settings(**overrides: object) -> Settings:
    for name in unknown_settings(os.environ):
        print(f"sitechat: warning: {name} is not a setting and is ignored (a typo?)", file=sys.stderr)
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "SITECHAT_" + "_".join(str(p) for p in err["loc"]).upper()
            lines.append(f"{name}: {err['msg']}")
        raise SettingsError("; ".join(lines)) from None
    return settings.finalize()
