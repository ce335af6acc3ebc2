"""Thin views of the energy API: parse, call one selector or service, render (CONTRACTS §18.9)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ingestion.api_errors import ERROR_RESPONSE, error_response
from ingestion.auth import request_tenant
from ingestion.models import Site, TokenScope
from ingestion.selectors import site_get, site_list
from ingestion.timeseries import TimeSeriesUnavailable

from . import selectors, services
from .serializers import (
    EnergyQuerySerializer,
    EnergySummarySerializer,
    EnergyTodayQuerySerializer,
    EnergyTodaySerializer,
    SiteSerializer,
    SiteTariffSerializer,
    TariffPutSerializer,
)


def _site_or_404(request: Request, code: str) -> Site:
    site = site_get(tenant=request_tenant(request), code=code)
    if site is None:
        # another tenant's site answers exactly like a missing one
        raise NotFound(f"no site {code!r} in this tenant")
    return site


def _site_data(site: Site) -> dict:
    return {
        "code": site.code,
        "name": site.name,
        "timezone": site.timezone,
        "grid_factor_t_per_mwh": site.grid_factor_t_per_mwh,
        "contract_demand_kva": site.contract_demand_kva,
        "idle_below_load_pct": site.idle_below_load_pct,
        "shifts": site.shifts,
        "weekly_off_days": site.weekly_off_days,
        "configured": site.pk is not None,
    }


class EnergyView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        parameters=[EnergyQuerySerializer],
        responses={
            200: EnergySummarySerializer,
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            503: ERROR_RESPONSE,
        },
        operation_id="energy_summary",
        summary="Energy KPIs, cost breakdown and coverage of an asset, a site or the fleet",
    )
    def get(self, request: Request) -> Response:
        query = EnergyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        try:
            data = selectors.energy_summary(
                tenant=request_tenant(request),
                scope=params["scope"],
                scope_id=params.get("id"),
                start=params["start"],
                end=params["end"],
                bucket=params["bucket"],
            )
        except selectors.EnergyQueryError as exc:
            return error_response(400, str(exc), [{"field": exc.field, "message": str(exc)}])
        except selectors.ScopeNotFound as exc:
            return error_response(404, str(exc))
        except TimeSeriesUnavailable as exc:
            return error_response(503, f"time-series store unreachable: {exc}", headers={"Retry-After": "30"})
        return Response(EnergySummarySerializer(data).data)


class EnergyTodayView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        parameters=[EnergyTodayQuerySerializer],
        responses={200: EnergyTodaySerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE, 503: ERROR_RESPONSE},
        operation_id="energy_today",
        summary="Each asset's energy of its site's day so far, for the fleet or one site",
    )
    def get(self, request: Request) -> Response:
        query = EnergyTodayQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            data = selectors.energy_today(
                tenant=request_tenant(request), site_code=query.validated_data.get("site")
            )
        except selectors.ScopeNotFound as exc:
            return error_response(404, str(exc))
        except TimeSeriesUnavailable as exc:
            return error_response(503, f"time-series store unreachable: {exc}", headers={"Retry-After": "30"})
        return Response(EnergyTodaySerializer(data).data)


class SiteListView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        responses={200: SiteSerializer(many=True)},
        operation_id="sites_list",
        summary="The tenant's sites with their local time, shifts and energy settings",
    )
    def get(self, request: Request) -> Response:
        return Response(
            SiteSerializer([_site_data(s) for s in site_list(tenant=request_tenant(request))], many=True).data
        )


class SiteTariffView(APIView):
    required_scope = TokenScope.ADMIN

    def _render(self, site: Site) -> Response:
        data = {
            "site": site.code,
            "timezone": site.timezone,
            "currency": "INR",
            "versions": selectors.tariff_versions(site=site),
        }
        return Response(SiteTariffSerializer(data).data)

    @extend_schema(
        responses={200: SiteTariffSerializer, 404: ERROR_RESPONSE},
        operation_id="site_tariff_retrieve",
        summary="Every version of a site's tariff (admin scope)",
    )
    def get(self, request: Request, code: str) -> Response:
        return self._render(_site_or_404(request, code))

    @extend_schema(
        request=TariffPutSerializer,
        responses={200: SiteTariffSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        operation_id="site_tariff_update",
        summary="Replace every version of a site's tariff (admin scope); all or nothing",
    )
    def put(self, request: Request, code: str) -> Response:
        site = _site_or_404(request, code)
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("versions"), list):
            message = 'the body must be {"versions": [...]}: every version of the tariff'
            return error_response(
                400, message, [{"field": "versions", "rule": "required", "message": message}]
            )
        unknown = sorted(k for k in body if k != "versions")
        if unknown:
            message = f"unknown field(s) {', '.join(unknown)}; the body holds only versions"
            return error_response(
                400, message, [{"field": unknown[0], "rule": "unknown_field", "message": message}]
            )
        try:
            services.tariff_versions_replace(site=site, versions=body["versions"])
        except services.TariffInvalid as exc:
            errors = [{"field": p.field, "rule": p.rule, "message": p.message} for p in exc.problems]
            return error_response(400, "invalid tariff; nothing was changed", errors)
        return self._render(_site_or_404(request, code))
