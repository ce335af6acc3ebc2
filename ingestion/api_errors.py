"""One error shape for every API failure: {"detail": ..., "errors": [...]}, never a traceback."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        return response
    errors: list[dict[str, Any]] = []
    if isinstance(data, dict):
        for fld, messages in data.items():
            for message in messages if isinstance(messages, list) else [messages]:
                errors.append({"field": fld, "message": str(message)})
    elif isinstance(data, list):
        errors = [{"field": "$", "message": str(m)} for m in data]
    response.data = {"detail": "invalid request", "errors": errors}
    return response
