"""The error answers every API operation can give, added to the OpenAPI document in one place.

A drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): each view
documents its own outcomes (200, 201, 400 of its validation, 404 of a missing object, 409 of
an illegal transition, 422 of the ingest contract); what the framework answers for any view is
derived here from the view itself, so a new endpoint is documented the same way without
repeating it (docs/CONTRACTS.md §1.4):

* 401 and 403 when the view authenticates (a missing or wrong credential, a missing scope or
  role, a CSRF failure of a session); the anonymous login documents its own 403 (CSRF);
* 404 when the path holds a parameter (the object, or a value the route refuses);
* 400, 413 and 415 when the operation takes a body (malformed JSON, over 10 MB, not
  `application/json`);
* 406 for an Accept header JSON does not satisfy;
* 429 with `Retry-After` when the view is throttled;
* 503 with `Retry-After` when the SQL database or the time-series store is unreachable.

Every one of them is the problem document (component ErrorBody) served as application/json.

`add_links` (a second hook) adds the OpenAPI links a client (and schemathesis's stateful phase)
follows from an answer to the next request: a created or listed asset to its reads and update,
a listed or read alert to its acknowledgement and resolution.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA_NAME = "ErrorBody"
_RETRY_AFTER = {
    "description": "seconds to wait before sending the request again",
    "schema": {"type": "integer", "minimum": 0},
}
_COMMON = {
    400: "the request is malformed: the body is not valid JSON, or a value breaks a rule named in `errors`",
    401: "no credential, or a bearer token that is unknown, revoked or expired",
    403: "the credential lacks the scope or role this operation needs, or the session's CSRF check failed",
    404: "no such object in the caller's tenant, or a path value the route does not accept",
    406: "the Accept header asks for something other than application/json",
    413: "the body is larger than the limit (10 MB)",
    415: "the body is not application/json",
    429: "too many requests from this token or client: wait `Retry-After` seconds",
    503: "the SQL database or the time-series store is unreachable: retry after `Retry-After` seconds",
}


def _error_response(description: str, *, retry_after: bool | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}},
    }
    if retry_after is not None:
        response["headers"] = {"Retry-After": {**_RETRY_AFTER, "required": retry_after}}
    return response


def _view_classes(generator) -> dict[tuple[str, str], type]:
    """(path, METHOD) -> the view class, as the generator enumerated them."""
    views: dict[tuple[str, str], type] = {}
    for path, _regex, method, callback in generator.endpoints or []:
        view_cls = getattr(callback, "cls", None)
        if view_cls is not None:
            views[(path, method.upper())] = view_cls
    return views


def _throttled(view_cls: type | None) -> bool:
    if view_cls is None:
        return True
    return bool(view_cls().get_throttles())


def _authenticated(view_cls: type | None) -> bool:
    if view_cls is None:
        return True
    return bool(view_cls().get_authenticators())


def document_common_responses(result: dict, generator, request, public) -> dict:
    """Add the framework's error answers and the ErrorBody schema to every /api/ operation."""
    views = _view_classes(generator)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            view_cls = views.get((path, method.upper()))
            if operation.pop("x-body-required", False) and "requestBody" in operation:
                operation["requestBody"]["required"] = True  # extend_schema has no flag for it
            responses: dict[str, Any] = operation["responses"]
            codes: dict[int, bool | None] = {406: None, 503: False}
            if _authenticated(view_cls):
                codes.update({401: None, 403: None})
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                codes[404] = None
            if "requestBody" in operation:
                codes.update({400: None, 413: None, 415: None})
            if _throttled(view_cls):
                codes[429] = True
            for code, retry_after in sorted(codes.items()):
                documented = responses.get(str(code))
                if documented is None:
                    responses[str(code)] = _error_response(_COMMON[code], retry_after=retry_after)
                elif retry_after is not None and "content" in documented:
                    documented.setdefault("headers", {}).setdefault(
                        "Retry-After", {**_RETRY_AFTER, "required": retry_after}
                    )
            operation["responses"] = dict(sorted(responses.items()))
    return result


# (path, METHOD, status) -> {link name: (target path, target METHOD, {parameter: runtime expression})}
_ASSET_READS = {
    "GetAsset": ("/api/v1/assets/{asset_id}", "GET"),
    "UpdateAsset": ("/api/v1/assets/{asset_id}", "PATCH"),
    "GetAssetHealth": ("/api/v1/assets/{asset_id}/health", "GET"),
    "GetAssetHealthHistory": ("/api/v1/assets/{asset_id}/health/history", "GET"),
    "GetAssetSignals": ("/api/v1/assets/{asset_id}/signals", "GET"),
    "GetAssetLatest": ("/api/v1/assets/{asset_id}/latest", "GET"),
}
_ALERT_ACTIONS = {
    "GetAlert": ("/api/v1/alerts/{alert_id}", "GET"),
    "AcknowledgeAlert": ("/api/v1/alerts/{alert_id}/acknowledge", "POST"),
    "ResolveAlert": ("/api/v1/alerts/{alert_id}/resolve", "POST"),
}


def _links(targets: dict[str, tuple[str, str]], parameter: str, expression: str) -> dict:
    return {name: (path, method, {parameter: expression}) for name, (path, method) in targets.items()}


LINKS: dict[tuple[str, str, str], dict[str, tuple[str, str, dict[str, str]]]] = {
    ("/api/v1/assets", "POST", "201"): _links(_ASSET_READS, "asset_id", "$response.body#/asset_id"),
    ("/api/v1/assets", "GET", "200"): _links(_ASSET_READS, "asset_id", "$response.body#/0/asset_id"),
    ("/api/v1/assets/{asset_id}", "PATCH", "200"): _links(
        _ASSET_READS, "asset_id", "$response.body#/asset_id"
    ),
    ("/api/v1/alerts", "GET", "200"): _links(_ALERT_ACTIONS, "alert_id", "$response.body#/results/0/id"),
    ("/api/v1/alerts/{alert_id}", "GET", "200"): _links(_ALERT_ACTIONS, "alert_id", "$response.body#/id"),
    ("/api/v1/alerts/{alert_id}/acknowledge", "POST", "200"): _links(
        _ALERT_ACTIONS, "alert_id", "$response.body#/id"
    ),
}


def add_links(result: dict, generator, request, public) -> dict:
    """OpenAPI links between the operations (by operationId); a link whose either end is not in
    the document is left out."""
    paths = result.get("paths", {})
    for (path, method, status), links in LINKS.items():
        response = paths.get(path, {}).get(method.lower(), {}).get("responses", {}).get(status)
        if response is None:
            continue
        for name, (target_path, target_method, parameters) in links.items():
            target = paths.get(target_path, {}).get(target_method.lower())
            if target is None or "operationId" not in target:
                continue
            response.setdefault("links", {})[name] = {
                "operationId": target["operationId"],
                "parameters": parameters,
            }
    return result
