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
    output; every other request goes on to the application. Files are indexed when the
    app starts, so a rebuild needs a restart (``make run`` does both)."""

    def __init__(self, app: Any) -> None:
        super().__init__(
            app,
            root=STATIC_DIR,
            prefix="static/",
            # The loader's URL is in every installed snippet and never changes: a short
            # cache lets a release reach sites within minutes. Hashed names are cached for good.
            max_age=300,
            immutable_file_test=HASHED,
            allow_all_origins=True,
            add_headers_function=_headers,
        )
        loader = STATIC_DIR / "widget"
        if loader.is_dir():
            self.add_files(str(loader), prefix="widget/")
