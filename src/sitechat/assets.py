"""The built front-end files: content-hashed names from the build's manifest, served with
precompressed gzip/brotli variants, ETags and long-lived caching (servestatic)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from servestatic import ServeStaticASGI

from sitechat.paths import STATIC_DIR

# esbuild's "[name]-[hash]" names: the hash is 8 upper-case base32 characters.
HASHED = r"-[A-Z0-9]{8}\.(js|css)$"
_manifest: tuple[float, dict[str, str]] = (-1.0, {})


def manifest(static_dir: Path = STATIC_DIR) -> dict[str, str]:
    """Logical name ("widget/panel.js") -> built name ("widget/panel-AB12CD34.js"), re-read
    when the build rewrites it."""
    global _manifest
    path = static_dir / "manifest.json"
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return {}
    if mtime != _manifest[0]:
        _manifest = (mtime, dict(json.loads(path.read_text())))
    return _manifest[1]


def url(logical: str) -> str:
    """The URL path of a built file; the logical name itself before the first build."""
    return "/static/" + manifest().get(logical, logical)


def _headers(headers: Any, path: str, url: str) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
    # Host pages that set Cross-Origin-Embedder-Policy may still load the widget.
    headers["Cross-Origin-Resource-Policy"] = "cross-origin"


class StaticFiles(ServeStaticASGI):  # type: ignore[misc]
    """Middleware: /static/* and the stable /widget/loader.js are answered from the build
    output; every other request goes on to the application.

    Files are indexed at start and again whenever the build rewrites its manifest (one
    ``stat`` per request), so the pages and the files they name never disagree."""

    def __init__(self, app: Any) -> None:
        super().__init__(
            app,
            prefix="static/",
            # The loader's URL is in every installed snippet and never changes: a short
            # cache lets a release reach sites within minutes. Hashed names are cached for good.
            max_age=300,
            immutable_file_test=HASHED,
            allow_all_origins=True,
            add_headers_function=_headers,
            # sitechat.d.ts: TypeScript declarations, not an MPEG transport stream.
            mimetypes={".ts": "text/plain"},
        )
        self._indexed_at: float | None = None
        self._index()

    def _manifest_mtime(self) -> float:
        try:
            return (STATIC_DIR / "manifest.json").stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def _index(self) -> None:
        self._indexed_at = self._manifest_mtime()
        self.files: dict[str, Any] = {}
        if STATIC_DIR.is_dir():
            self.add_files(str(STATIC_DIR), prefix="static/")
        loader = STATIC_DIR / "widget"
        if loader.is_dir():
            self.add_files(str(loader), prefix="widget/")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self._manifest_mtime() != self._indexed_at:
            self._index()
        await super().__call__(scope, receive, send)
