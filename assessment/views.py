"""Thin HTTP views of the assessment app: parse, call one selector or service, render."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ingestion.api_errors import ERROR_RESPONSE, asset_or_404, error_response
from ingestion.auth import ApiPrincipal, Capability, request_principal, request_tenant
from ingestion.models import TokenScope

from . import selectors, services
from .models import Alert
from .serializers import (
    AcknowledgeSerializer,
    AlertDetailSerializer,
    AlertListQuerySerializer,
    AlertPageSerializer,
    AlertSerializer,
    AssetHealthSerializer,
    FleetHealthSerializer,
    HealthHistoryQuerySerializer,
    HealthHistorySerializer,
    ResolveSerializer,
)


def _actor(principal: ApiPrincipal) -> str:
    return principal.username or f"token:{principal.token_id}"


class AssetHealthView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        responses={200: AssetHealthSerializer, 404: ERROR_RESPONSE, 503: ERROR_RESPONSE},
        operation_id="asset_health_retrieve",
        summary="Latest health, risk and RUL of one asset (stale evaluated now)",
    )
    def get(self, request: Request, asset_id: str) -> Response:
        data = selectors.asset_health(asset=asset_or_404(request, asset_id))
        return Response(AssetHealthSerializer(data).data)


class AssetHealthHistoryView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        parameters=[HealthHistoryQuerySerializer],
        responses={
            200: HealthHistorySerializer,
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            503: ERROR_RESPONSE,
        },
        operation_id="asset_health_history",
        summary="Health history of one asset, raw or downsampled (UTC)",
    )
    def get(self, request: Request, asset_id: str) -> Response:
        asset = asset_or_404(request, asset_id)
        query = HealthHistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = selectors.health_history(asset=asset, **query.validated_data)
        return Response(HealthHistorySerializer(data).data)


class AlertListView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        parameters=[AlertListQuerySerializer],
        responses={200: AlertPageSerializer, 400: ERROR_RESPONSE},
        operation_id="alerts_list",
        summary="Alerts of the tenant, newest first",
    )
    def get(self, request: Request) -> Response:
        query = AlertListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        limit, offset = params.pop("limit"), params.pop("offset")
        qs = selectors.alert_list(tenant=request_tenant(request), **params)
        page = list(qs[offset : offset + limit])
        return Response(
            {
                "count": qs.count(),
                "limit": limit,
                "offset": offset,
                "results": AlertSerializer(page, many=True).data,
            }
        )


def _alert_or_404(request: Request, alert_id) -> Alert:
    alert = selectors.alert_get(tenant=request_tenant(request), alert_id=alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id} in this tenant")
    return alert


class AlertDetailView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        responses={200: AlertDetailSerializer, 404: ERROR_RESPONSE},
        operation_id="alerts_retrieve",
        summary="One alert with its audit trail",
    )
    def get(self, request: Request, alert_id) -> Response:
        return Response(AlertDetailSerializer(_alert_or_404(request, alert_id)).data)


class AlertAcknowledgeView(APIView):
    # Operators acknowledge: the read scope is enough, but not the manager role (§17.1).
    required_scope = TokenScope.READ
    required_capability = Capability.INCIDENTS

    @extend_schema(
        request=AcknowledgeSerializer,
        responses={200: AlertDetailSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE, 409: ERROR_RESPONSE},
        operation_id="alerts_acknowledge",
        summary="Acknowledge an open alert",
    )
    def post(self, request: Request, alert_id) -> Response:
        body = AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.alert_acknowledge(
                alert_id=alert_id,
                tenant=request_tenant(request),
                actor=_actor(request_principal(request)),
                comment=body.validated_data["comment"],
            )
        except Alert.DoesNotExist:
            raise NotFound(f"no alert {alert_id} in this tenant") from None
        except services.IllegalTransition as exc:
            return error_response(409, str(exc), [{"field": "state", "message": str(exc)}])
        return Response(AlertDetailSerializer(_alert_or_404(request, alert_id)).data)


class AlertResolveView(APIView):
    required_scope = TokenScope.READ
    required_capability = Capability.INCIDENTS

    @extend_schema(
        request=ResolveSerializer,
        responses={200: AlertDetailSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE, 409: ERROR_RESPONSE},
        operation_id="alerts_resolve",
        summary="Resolve an open or acknowledged alert (note required)",
    )
    def post(self, request: Request, alert_id) -> Response:
        body = ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.alert_resolve(
                alert_id=alert_id,
                tenant=request_tenant(request),
                actor=_actor(request_principal(request)),
                note=body.validated_data["note"],
            )
        except Alert.DoesNotExist:
            raise NotFound(f"no alert {alert_id} in this tenant") from None
        except ValueError as exc:
            return error_response(400, str(exc), [{"field": "note", "message": str(exc)}])
        except services.IllegalTransition as exc:
            return error_response(409, str(exc), [{"field": "state", "message": str(exc)}])
        return Response(AlertDetailSerializer(_alert_or_404(request, alert_id)).data)


class FleetHealthView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        responses={
            200: FleetHealthSerializer,
            503: ERROR_RESPONSE,
            401: OpenApiResponse(description="no token"),
        },
        operation_id="fleet_health_retrieve",
        summary="Latest health of every active asset and counts per risk level",
    )
    def get(self, request: Request) -> Response:
        data = selectors.fleet_health(tenant=request_tenant(request))
        return Response(FleetHealthSerializer(data).data)
