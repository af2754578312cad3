"""HTML shells: the agent console and the demo host page."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sitechat import assets
from sitechat.http import get_ctx
from sitechat.paths import STATIC_DIR
from sitechat.websites import service as websites

router = APIRouter(include_in_schema=False)

CONSOLE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sitechat console</title>
<link rel="stylesheet" href="{css}">
</head><body><div id="app"></div>
<script src="{js}"></script>
</body></html>
"""

DEMO_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Widgets — sitechat demo</title>
</head><body>
<h1>Acme Widgets</h1>
<p>This page stands in for a customer's website. The chat button in the corner is the
sitechat widget, installed with the snippet below. Open <a href="/console">the console</a>
in another window, sign in, and talk to yourself.</p>
<pre>{snippet_escaped}</pre>
{snippet}
</body></html>
"""


def _console_headers(ws_base: str) -> dict[str, str]:
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
        f"connect-src 'self' {ws_base}; media-src 'self' data:; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-cache",
    }


@router.get("/")
async def index() -> RedirectResponse:
    return RedirectResponse("/console")


@router.get("/console")
async def console(request: Request) -> HTMLResponse:
    page = CONSOLE_HTML.format(
        css=html.escape(assets.url("console/console.css")), js=html.escape(assets.url("console/console.js"))
    )
    return HTMLResponse(page, headers=_console_headers(get_ctx(request).settings.ws_base))


@router.get("/console/sw.js")
async def console_worker() -> Response:
    """The console's service worker (web push). Served here rather than under /static/ so
    its scope can be /console (Service-Worker-Allowed), and never cached for long: a
    browser checks it for updates on each visit."""
    path = STATIC_DIR / "console" / "sw.js"
    if not path.is_file():
        return Response("// not built yet (npm run build)\n", status_code=404, media_type="text/javascript")
    return Response(
        path.read_bytes(),
        media_type="text/javascript",
        headers={
            "Service-Worker-Allowed": "/console",
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/demo")
async def demo(request: Request) -> HTMLResponse:
    import html

    ctx = get_ctx(request)
    async with ctx.uow() as uow:
        site = await websites.first_created(uow)
    if site is None:
        return HTMLResponse(
            "<p>No website yet: run <code>sitechat website create</code>.</p>", status_code=404
        )
    snippet = websites.install_snippet(ctx.settings.public_url, site.id)
    return HTMLResponse(DEMO_HTML.format(snippet=snippet, snippet_escaped=html.escape(snippet)))
