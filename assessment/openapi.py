"""OpenAPI security schemes for the platform's authenticators (drf-spectacular extensions).

They describe ``ingestion.auth``'s bearer token and dashboard session so the schema validates
without warnings; importing this module registers them (done in AssessmentConfig.ready()).
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "ingestion.auth.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "pdm_<prefix>_<secret>",
            "description": "API token of one tenant with scopes ingest/read/admin (docs/CONTRACTS.md §17.1)",
        }


class SessionTenantScheme(OpenApiAuthenticationExtension):
    target_class = "ingestion.auth.SessionTenantAuthentication"
    name = "dashboardSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
