"""Session login for people (CSRF-protected), logout and who-am-I. API tokens stay for machines."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from ingestion.api_errors import ERROR_RESPONSE
from ingestion.auth import SessionTenantAuthentication, member_principal, request_principal
from ingestion.models import TokenScope
from ingestion.serializers import StrictTypesMixin

from .selectors import session_profile

PROFILE = inline_serializer(
    "SessionProfile",
    {
        "username": serializers.CharField(),
        "display_name": serializers.CharField(),
        "role": serializers.ChoiceField(choices=["operator", "manager", "admin"], allow_null=True),
        "role_label": serializers.CharField(allow_null=True),
        "capabilities": serializers.ListField(child=serializers.CharField()),
        "tenant": serializers.DictField(),
        "sites": serializers.ListField(child=serializers.DictField()),
        "links": serializers.DictField(),
        "live_refresh_s": serializers.IntegerField(),
    },
)


class LoginSerializer(StrictTypesMixin, serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=True)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class LoginRateThrottle(SimpleRateThrottle):
    """Attempts per client address and username, failed or not (guessing passwords is slow)."""

    scope = "login"

    def get_rate(self) -> str:
        return settings.LOGIN_RATE

    def get_cache_key(self, request: Request, view) -> str:
        data = request.data if isinstance(request.data, dict) else {}
        username = str(data.get("username", ""))[:150].strip().lower()
        # hashed: a username may hold any character, a cache key may not
        digest = hashlib.sha256(f"{self.get_ident(request)}\n{username}".encode()).hexdigest()
        return f"throttle_login_{digest}"


def _error(code: int, detail: str, field: str) -> Response:
    return Response({"detail": detail, "errors": [{"field": field, "message": detail}]}, status=code)


@method_decorator(ensure_csrf_cookie, name="dispatch")
class LoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        request=LoginSerializer,
        responses={200: PROFILE, 400: ERROR_RESPONSE, 403: ERROR_RESPONSE, 429: ERROR_RESPONSE},
        summary="Log in a dashboard user (session cookie; send the csrftoken cookie as X-CSRFToken)",
    )
    def post(self, request: Request) -> Response:
        # No authenticator runs for an anonymous request, so DRF would not check CSRF: do it here.
        SessionAuthentication().enforce_csrf(request)
        body = LoginSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = authenticate(request._request, **body.validated_data)
        if user is None:
            return _error(400, "username or password is incorrect", "password")
        member = getattr(user, "tenant_member", None)
        if member is None:
            return _error(403, "this login is not a member of any tenant; ask an administrator", "username")
        login(request._request, user)
        return Response(session_profile(principal=member_principal(member), user=user))


class LogoutView(APIView):
    authentication_classes = [SessionTenantAuthentication]
    required_scope = TokenScope.READ

    @extend_schema(request=None, responses={204: None, 401: ERROR_RESPONSE, 403: ERROR_RESPONSE})
    def post(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(ensure_csrf_cookie, name="dispatch")
class MeView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(responses={200: PROFILE, 401: ERROR_RESPONSE}, summary="The logged-in user or token")
    def get(self, request: Request) -> Response:
        principal = request_principal(request)
        user = request.auth if principal.role else None  # a session's Django user; tokens: None
        return Response(session_profile(principal=principal, user=user))
