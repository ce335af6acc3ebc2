"""Bearer-token authentication and scope permissions for the REST API.

`request.user` is an ApiPrincipal carrying the tenant and scopes, so every view scopes
its queries by `request.user.tenant` and nothing reaches across tenants. Dashboard users
logged in by session get a principal from their TenantMember row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from . import selectors
from .models import ApiToken, Tenant, TokenScope


@dataclass(frozen=True)
class ApiPrincipal:
    tenant: Tenant
    scopes: frozenset[str]
    token_id: int | None = None
    username: str = ""
    is_authenticated: bool = field(default=True)

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def pk(self) -> str:
        # Throttling keys on this: one bucket per token (or per dashboard user).
        return f"token:{self.token_id}" if self.token_id else f"user:{self.username}"

    def __str__(self) -> str:
        return self.pk


def bearer_token(header: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; "" when the token is missing,
    None for no header or another scheme."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme != BearerTokenAuthentication.keyword:
        return None
    return token.strip()


def token_principal(token: str) -> tuple[ApiPrincipal, ApiToken] | None:
    """The principal (and row) of a valid, unrevoked token, else None."""
    api_token = selectors.api_token_authenticate(token=token) if token else None
    if api_token is None:
        return None
    principal = ApiPrincipal(
        tenant=api_token.tenant, scopes=frozenset(api_token.scopes), token_id=api_token.pk
    )
    return principal, api_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request):
        token = bearer_token(authentication.get_authorization_header(request).decode("latin-1"))
        if token is None:
            return None
        if not token:
            raise exceptions.AuthenticationFailed("Authorization header has no token after 'Bearer'.")
        found = token_principal(token)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        return found

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class SessionTenantAuthentication(authentication.SessionAuthentication):
    """Dashboard sessions: a logged-in user of a tenant reads (and, if tenant admin, manages)."""

    def authenticate(self, request: Request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, auth = result
        member = getattr(user, "tenant_member", None)
        if member is None:
            raise exceptions.PermissionDenied("This login is not a member of any tenant.")
        scopes = {TokenScope.READ}
        if member.is_tenant_admin:
            scopes.add(TokenScope.ADMIN)
        return ApiPrincipal(
            tenant=member.tenant, scopes=frozenset(scopes), username=user.get_username()
        ), auth


def principal_has_scope(principal: ApiPrincipal, needed: str) -> bool:
    """Whether the principal holds `needed` (admin implies read)."""
    held = principal.scopes
    return needed in held or (needed == TokenScope.READ and TokenScope.ADMIN in held)


def request_principal(request: Request) -> ApiPrincipal:
    """The principal the API's authentication attached to `request.user`.

    Views behind `HasScope` only ever see an ApiPrincipal; a request that reaches one
    without it (anonymous, or an authentication class that is not the project's) is
    answered 401 rather than read as another tenant's.
    """
    principal = request.user
    if not isinstance(principal, ApiPrincipal):
        raise exceptions.NotAuthenticated()
    return principal


def request_tenant(request: Request) -> Tenant:
    """The tenant every query of this request is scoped by."""
    return request_principal(request).tenant


class HasScope(permissions.BasePermission):
    """Grants access when the principal holds the view's `required_scope` (admin implies read)."""

    message = "This token lacks the scope this endpoint needs."

    def has_permission(self, request: Request, view) -> bool:
        principal = request.user
        if not isinstance(principal, ApiPrincipal):
            return False
        needed = getattr(view, "required_scope", TokenScope.READ)
        if request.method not in permissions.SAFE_METHODS:
            needed = getattr(view, "required_write_scope", needed)
        self.message = f"This token lacks the '{needed}' scope this endpoint needs."
        return principal_has_scope(principal, needed)
