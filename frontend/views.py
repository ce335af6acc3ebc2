"""Serves the dashboard's index.html at / and at every client-side route of the app."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

# The built app loads only its own files; the API is same-origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>PdM dashboard not built</title></head>
<body><h1>The dashboard has not been built</h1>
<p>Run <code>make frontend</code> (or <code>npm ci &amp;&amp; npm run build</code> in <code>frontend/</code>),
then <code>python manage.py collectstatic</code>.</p>
<p>The API works meanwhile: <a href="/api/docs/">API docs</a> · <a href="/admin/">admin</a>.</p></body></html>"""

_cache: dict[Path, tuple[float, bytes]] = {}


def _index_html() -> bytes | None:
    path = Path(settings.FRONTEND_DIST_DIR) / "index.html"
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    cached = _cache.get(path)
    if cached is None or cached[0] != mtime:
        cached = _cache[path] = (mtime, path.read_bytes())
    return cached[1]


@require_safe
@ensure_csrf_cookie
def spa_index(request: HttpRequest, path: str = "") -> HttpResponse:
    """The app's shell; the app itself reads the path (Fleet, Asset, Incidents, ...)."""
    html = _index_html()
    if html is None:
        return HttpResponse(NOT_BUILT, status=503, content_type="text/html; charset=utf-8")
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
