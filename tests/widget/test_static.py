"""How the built widget is delivered: a stable loader URL with a short cache, content-hashed
bundles cached for good, brotli/gzip by Accept-Encoding, ETags, CORS for host pages."""

from __future__ import annotations

import json
import re

import httpx

from sitechat.paths import STATIC_DIR


def _manifest() -> dict[str, str]:
    return dict(json.loads((STATIC_DIR / "manifest.json").read_text()))


async def test_loader_has_a_stable_url_and_a_short_cache(server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        # Raw bytes: httpx decodes brotli itself when the brotli package is installed.
        async with http.stream("GET", "/widget/loader.js", headers={"Accept-Encoding": "br, gzip"}) as r:
            raw = b"".join([chunk async for chunk in r.aiter_raw()])
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/javascript")
        assert r.headers["content-encoding"] == "br"
        assert r.headers["cache-control"] == "max-age=300, public"
        assert r.headers["access-control-allow-origin"] == "*"
        assert "accept-encoding" in r.headers["vary"].lower()
        assert raw == (STATIC_DIR / "widget" / "loader.js.br").read_bytes()
        etag = r.headers["etag"]

        plain = await http.get("/widget/loader.js", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.content == (STATIC_DIR / "widget" / "loader.js").read_bytes()
        gz = await http.get("/widget/loader.js", headers={"Accept-Encoding": "gzip"})
        assert gz.headers["content-encoding"] == "gzip" and gz.content == plain.content  # httpx un-gzips

        again = await http.get("/widget/loader.js", headers={"If-None-Match": etag, "Accept-Encoding": "br"})
        assert again.status_code == 304 and again.content == b""


async def test_hashed_bundles_are_immutable_and_the_pages_point_at_them(server, owner) -> None:
    manifest = _manifest()
    assert {"widget/launcher.js", "widget/panel.js", "widget/panel.css", "console/console.js"} <= set(
        manifest
    )
    async with httpx.AsyncClient(base_url=server.url) as http:
        for logical, built in manifest.items():
            assert re.search(r"-[A-Z0-9]{8}\.(js|css)$", built), built
            r = await http.get("/static/" + built, headers={"Accept-Encoding": "br"})
            assert r.status_code == 200, built
            assert r.headers["cache-control"] == "max-age=315360000, public, immutable"
            assert r.headers["content-encoding"] == "br"
            kind = "text/css" if logical.endswith(".css") else "text/javascript"
            assert r.headers["content-type"].startswith(kind)
            assert r.headers["x-content-type-options"] == "nosniff"

        r = await http.get("/widget/panel", params={"website_id": "nope"})
        assert r.status_code == 404
        site = await owner.create_website()
        r = await http.get("/widget/panel", params={"website_id": site["id"]})
        assert f'src="/static/{manifest["widget/panel.js"]}"' in r.text
        assert f'href="/static/{manifest["widget/panel.css"]}"' in r.text
        assert "script-src 'self'" in r.headers["content-security-policy"]
        r = await http.get("/console")
        assert f'src="/static/{manifest["console/console.js"]}"' in r.text
        assert f'href="/static/{manifest["console/console.css"]}"' in r.text

        missing = await http.get("/static/widget/panel-AAAAAAAA.js")
        assert missing.status_code == 404
        traversal = await http.get("/static/../pyproject.toml")
        assert traversal.status_code == 404


async def test_the_type_declarations_ship_with_the_server(server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        r = await http.get("/widget/sitechat.d.ts")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        assert "WebsiteChat" in r.text and "identify" in r.text
        assert r.text == (STATIC_DIR.parents[2] / "widget" / "sitechat.d.ts").read_text()


async def test_a_rebuild_is_served_without_a_restart(server) -> None:
    """The build rewrites manifest.json last; the server re-indexes when it changes."""
    manifest_path = STATIC_DIR / "manifest.json"
    extra = STATIC_DIR / "widget" / "panel-ZZZZZZZZ.js"
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/static/widget/panel-ZZZZZZZZ.js")).status_code == 404
        try:
            extra.write_text("/* a newer build */")
            manifest_path.touch()
            r = await http.get("/static/widget/panel-ZZZZZZZZ.js")
            assert r.status_code == 200 and r.text == "/* a newer build */"
            assert "immutable" in r.headers["cache-control"]
        finally:
            extra.unlink(missing_ok=True)
            manifest_path.touch()
        assert (await http.get("/static/widget/panel-ZZZZZZZZ.js")).status_code == 404
