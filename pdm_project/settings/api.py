"""REST API: DRF, token auth, throttling and the OpenAPI schema."""

from __future__ import annotations

from .env import env_int, env_str

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ingestion.auth.BearerTokenAuthentication",
        "ingestion.auth.SessionTenantAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ingestion.auth.HasScope"],
    # JSON in, JSON out: the API takes no form or multipart bodies (415 for them), so the
    # OpenAPI document advertises only application/json.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["ingestion.throttling.TokenRateThrottle"],
    # Per token (or dashboard user); DRF's format: <count>/<s|min|hour|day>.
    "DEFAULT_THROTTLE_RATES": {"token": env_str("API_TOKEN_RATE", "120/s")},
    "EXCEPTION_HANDLER": "ingestion.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Predictive maintenance platform API",
    "DESCRIPTION": "Sensor ingest, asset registry and time-series reads. Meaning of every field: docs/CONTRACTS.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The framework's error answers (401, 403, 404, 406, 413, 415, 429, 503) on every operation
    # and the links between operations (ingestion/api_schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ingestion.api_schema.document_common_responses",
        "ingestion.api_schema.add_links",
    ],
    # one name for the alert severities (alert, its peak, its conditions, the list filter)
    "ENUM_NAME_OVERRIDES": {"Severity": "assessment.models.Severity"},
}

# The ingest endpoint takes up to 10 MB (docs/CONTRACTS.md); Django's own cap sits just above.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024 + 1

# Reports (docs/CONTRACTS.md §16.4): stored files expire after this many days; a request of at most
# REPORTS_SYNC_MAX_ASSET_DAYS (assets x days) is built in the request, a larger one by a worker.
REPORTS_EXPIRE_DAYS = env_int("PDM_REPORTS_EXPIRE_DAYS", 30, minimum=1)
REPORTS_SYNC_MAX_ASSET_DAYS = env_int("PDM_REPORTS_SYNC_MAX_ASSET_DAYS", 62, minimum=0)
