"""Bearer-token and session authentication, scopes and role capabilities for the REST API.

`request.user` is an ApiPrincipal carrying the tenant and scopes, so every view scopes
its queries by `request.user.tenant` and nothing reaches across tenants. Dashboard users
logged in by session get a principal from their TenantMember row: their role gives them
scopes (so every endpoint's `required_scope` applies to people as to tokens) and
capabilities, which views that people and tokens may do differently name in
`required_capability` (docs/CONTRACTS.md §17.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from . import selectors
from .models import ApiToken, MemberRole, Tenant, TokenScope


class Capability(StrEnum):
    """An action a principal may take; each view that needs more than its scope names one."""

    VIEW = "view"  # every read of the tenant's data
    INCIDENTS = "incidents"  # acknowledge and resolve alerts (with a comment or note)
    REPORTS = "reports"  # generate and download reports
    SCHEDULES = "schedules"  # manage report schedules and see their deliveries
    REGISTRY = "registry"  # assets, thresholds, baselines, tokens
    INGEST = "ingest"  # post sensor events


_ALL_BUT_INGEST = frozenset(Capability) - {Capability.INGEST}
SCOPE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    TokenScope.INGEST: frozenset({Capability.INGEST}),
    TokenScope.READ: frozenset({Capability.VIEW, Capability.INCIDENTS, Capability.REPORTS}),
    TokenScope.ADMIN: _ALL_BUT_INGEST,
}
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    MemberRole.OPERATOR: frozenset({Capability.VIEW, Capability.INCIDENTS}),
    MemberRole.MANAGER: frozenset({Capability.VIEW, Capability.REPORTS, Capability.SCHEDULES}),
    MemberRole.ADMIN: _ALL_BUT_INGEST,
}
ROLE_SCOPES: dict[str, frozenset[str]] = {
    MemberRole.OPERATOR: frozenset({TokenScope.READ}),
    MemberRole.MANAGER: frozenset({TokenScope.READ}),
    MemberRole.ADMIN: frozenset({TokenScope.READ, TokenScope.ADMIN}),
}


@dataclass(frozen=True)
class ApiPrincipal:
    tenant: Tenant
    scopes: frozenset[str]
    token_id: int | None = None
    username: str = ""
    role: str | None = None  # dashboard logins only
    is_authenticated: bool = field(default=True)

    @property
    def capabilities(self) -> frozenset[Capability]:
        if self.role is not None:
            return ROLE_CAPABILITIES.get(self.role, frozenset())
        return frozenset().union(*(SCOPE_CAPABILITIES.get(s, frozenset()) for s in self.scopes))

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


def member_principal(member) -> ApiPrincipal:
    """The principal of a dashboard login (a TenantMember): its role gives scopes and capabilities."""
    return ApiPrincipal(
        tenant=member.tenant,
        scopes=ROLE_SCOPES.get(member.role, frozenset()),
        username=member.user.get_username(),
        role=member.role,
    )


class SessionTenantAuthentication(authentication.SessionAuthentication):
    """Dashboard sessions (CSRF-checked on unsafe methods): a logged-in member of a tenant."""

    def authenticate(self, request: Request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, _ = result
        member = getattr(user, "tenant_member", None)
        if member is None:
            raise exceptions.PermissionDenied("This login is not a member of any tenant.")
        return member_principal(member), user  # request.auth: the Django user of the session


def principal_has_scope(principal: ApiPrincipal, needed: str) -> bool:
    """Whether the principal holds `needed` (admin implies read)."""
    held = principal.scopes
    return needed in held or (needed == TokenScope.READ and TokenScope.ADMIN in held)


def principal_can(principal: ApiPrincipal, capability: str) -> bool:
    return capability in principal.capabilities


def _holders(capability: str) -> str:
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if capability in caps]
    return " or ".join(roles)


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
    """Grants access when the principal holds the view's `required_scope` (admin implies read)
    and, when the view names one, its `required_capability`."""

    message = "This token lacks the scope this endpoint needs."

    def has_permission(self, request: Request, view) -> bool:
        principal = request.user
        if not isinstance(principal, ApiPrincipal):
            return False
        needed = getattr(view, "required_scope", TokenScope.READ)
        if request.method not in permissions.SAFE_METHODS:
            needed = getattr(view, "required_write_scope", needed)
        who = f"role '{principal.role}'" if principal.role else "token"
        if not principal_has_scope(principal, needed):
            self.message = f"This {who} lacks the '{needed}' scope this endpoint needs."
            return False
        capability = getattr(view, "required_capability", None)
        if capability is not None and not principal_can(principal, capability):
            self.message = (
                f"The {who} may not do this: it needs the '{capability}' permission "
                f"(roles with it: {_holders(capability)})."
            )
            return False
        return True
