"""Per-token request throttling (429 with Retry-After), counted in the shared cache (Redis)."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from .auth import ApiPrincipal


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view) -> str:
        principal = request.user
        ident = principal.pk if isinstance(principal, ApiPrincipal) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
