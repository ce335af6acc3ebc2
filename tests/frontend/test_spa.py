"""The dashboard's shell: served at / and at every client-side route, never instead of the API,
the admin or static files; a clear page when the app has not been built."""

from __future__ import annotations

import os

import pytest
from django.test import Client

INDEX = b'<!doctype html><html><head><script type="module" src="/static/assets/index-AbCd1234.js"></script></head><body><div id="root"></div></body></html>'


@pytest.fixture
def built(settings, tmp_path):
    (tmp_path / "index.html").write_bytes(INDEX)
    settings.FRONTEND_DIST_DIR = tmp_path
    return tmp_path


@pytest.mark.parametrize("path", ["/", "/fleet", "/assets/MTR-001", "/incidents/3f1c", "/energy?site=main"])
def test_app_routes_serve_the_index_with_csp_and_a_csrf_cookie(db, built, path):
    resp = Client().get(path)
    assert resp.status_code == 200
    assert resp.content == INDEX
    assert resp["Content-Type"] == "text/html; charset=utf-8"
    assert resp["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in resp["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in resp["Content-Security-Policy"]
    assert resp.cookies["csrftoken"].value


def test_a_rebuilt_index_is_served_without_a_restart(db, built):
    assert Client().get("/").content == INDEX
    (built / "index.html").write_bytes(b"<!doctype html><title>v2</title>")
    os.utime(built / "index.html", (1, 1))  # a different mtime, as a new build has
    assert Client().get("/fleet").content == b"<!doctype html><title>v2</title>"


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/v1/nothing-here", 404), ("/api/v1/fleet/health", 401), ("/static/assets/missing.js", 404)],
)
def test_api_and_static_paths_are_never_answered_by_the_app(db, built, path, status):
    resp = Client().get(path)
    assert resp.status_code == status
    assert resp.content != INDEX


def test_admin_is_still_the_django_admin(db, built):
    resp = Client().get("/admin/")
    assert resp.status_code == 302 and resp["Location"].startswith("/admin/login/")


def test_only_safe_methods(db, built):
    assert Client().post("/fleet").status_code == 405


def test_not_built_says_how_to_build_and_links_the_api(db, settings, tmp_path):
    settings.FRONTEND_DIST_DIR = tmp_path / "missing"
    resp = Client().get("/")
    assert resp.status_code == 503
    text = resp.content.decode()
    assert "make frontend" in text and 'href="/api/docs/"' in text and 'href="/admin/"' in text
