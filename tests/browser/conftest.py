"""Headless Chromium from Debian (no browser download), driven by Playwright.

The host page is served from a different origin (http://localhost:PORT) than the sitechat
server (http://127.0.0.1:PORT), as on a real website.
"""

from __future__ import annotations

import http.server
import os
import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.support.servers import free_port

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        "/usr/lib/chromium/chromium",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Playwright's async API, so browser tests share pytest-asyncio's event loop."""
    path = chromium_path()
    if path is None:
        msg = "Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH)"
        if CI:
            pytest.fail("CI=true: " + msg, pytrace=False)
        pytest.skip(msg)
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=path, args=ARGS, headless=True)
        yield b
        await b.close()


class HostSite:
    """A static 'customer website' on its own origin, with pages the test writes.

    A page may carry its own response headers (e.g. a Content-Security-Policy) and extra
    markup for its <head>."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        self.headers: dict[str, dict[str, str]] = {}
        site = self

        class Handler(_QuietHandler):
            def end_headers(self) -> None:
                for name, value in site.headers.get(self.path.split("?")[0], {}).items():
                    self.send_header(name, value)
                super().end_headers()

        handler = lambda *a, **kw: Handler(*a, directory=str(root), **kw)  # noqa: E731
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def page(
        self,
        name: str,
        body: str,
        title: str = "Acme",
        *,
        head: str = "",
        headers: dict[str, str] | None = None,
    ) -> str:
        meta = f"<meta charset='utf-8'><title>{title}</title>{head}"
        (self.root / name).write_text(f"<!doctype html><html><head>{meta}</head><body>{body}</body></html>")
        self.headers["/" + name] = dict(headers or {})
        return f"{self.origin}/{name}"

    def file(self, name: str, data: bytes) -> str:
        """Any other file (an image, a script) served by the site."""
        (self.root / name).write_bytes(data)
        return f"{self.origin}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def host_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostSite]:
    site = HostSite(tmp_path_factory.mktemp("host-site"))
    yield site
    site.close()
