"""Every error answer under /api/ is the JSON problem document of docs/CONTRACTS.md §1.4.

DRF's views already answer their errors in that shape (ingestion.api_errors). What they never
see is answered by Django itself, in HTML: a path the URL resolver does not match (an unknown
route, or an id its converter refuses such as `/api/v1/alerts/null,null`), the 500 page of an
exception, a refused Host header. An integrator's client parses JSON, so this middleware, the
outermost one, turns such an answer into `{"detail": "..."}` with the same status and headers.
It touches only error answers (status >= 400) that are not JSON already, under API_PREFIX; the
schema and the Swagger page (`/api/schema/`, `/api/docs/`) keep their own media types when
they succeed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/"
API_ROOT = "/api"
#: headers of the HTML answer that describe its body, not the request's outcome
_BODY_HEADERS = ("Content-Type", "Content-Length", "Content-Encoding", "Content-Language")


def problem_detail(status: int, path: str) -> str:
    """The `detail` of an answer Django produced without a view of ours."""
    if status == 404:
        return f"no API endpoint at {path}"
    if status >= 500:
        return "internal server error; the failure is logged"
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return f"HTTP {status}"


def _is_json(response: HttpResponse) -> bool:
    media_type = response.get("Content-Type", "").partition(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or _is_json(response):
            return response
        if not (request.path.startswith(API_PREFIX) or request.path == API_ROOT):
            return response
        body = json.dumps({"detail": problem_detail(response.status_code, request.path)}).encode()
        problem = HttpResponse(body, status=response.status_code, content_type="application/json")
        for name, value in response.items():
            if name not in _BODY_HEADERS:
                problem[name] = value
        problem["Content-Length"] = str(len(body))
        for cookie in response.cookies.values():
            problem.cookies[cookie.key] = cookie
        return problem
