"""REST API: DRF, token auth, throttling and the OpenAPI schema."""

from __future__ import annotations

from .env import env_str

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ingestion.auth.BearerTokenAuthentication",
        "ingestion.auth.SessionTenantAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ingestion.auth.HasScope"],
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
    # one name for the alert severities (alert, its peak, its conditions, the list filter)
    "ENUM_NAME_OVERRIDES": {"Severity": "assessment.models.Severity"},
}

# The ingest endpoint takes up to 10 MB (docs/CONTRACTS.md); Django's own cap sits just above.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024 + 1
