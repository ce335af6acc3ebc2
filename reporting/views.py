"""Thin views of the reports API (docs/CONTRACTS.md §16.4): request, list, status, download."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ingestion.api_errors import ERROR_RESPONSE, error_response
from ingestion.auth import Capability, request_principal
from ingestion.models import TokenScope
from ingestion.timeseries import TimeSeriesUnavailable

from . import selectors, services
from .models import Report, ReportStatus
from .serializers import ReportRequestSerializer, ReportSerializer

FILE_RESPONSE = OpenApiResponse(
    OpenApiTypes.BINARY, description="the PDF (application/pdf) or Excel file, as an attachment"
)


def _file(report: Report) -> HttpResponse:
    response = HttpResponse(
        services.report_content(report=report), content_type=services.CONTENT_TYPES[report.format]
    )
    response["Content-Disposition"] = f'attachment; filename="{services.report_filename(report=report)}"'
    response["X-Report-Id"] = str(report.pk)
    return response


def _report_or_404(request: Request, report_id: str) -> Report | Response:
    report = selectors.report_get(tenant=request_principal(request).tenant, report_id=report_id)
    if report is None:
        return error_response(404, f"no report {report_id!r} in this tenant")
    return report


class ReportListView(APIView):
    required_scope = TokenScope.READ
    required_capability = Capability.REPORTS

    @extend_schema(
        responses={200: ReportSerializer(many=True), 401: ERROR_RESPONSE, 403: ERROR_RESPONSE},
        operation_id="reports_list",
        summary="The tenant's stored reports, newest first (until they expire)",
    )
    def get(self, request: Request) -> Response:
        reports = selectors.report_list(tenant=request_principal(request).tenant).select_related("tenant")
        return Response(ReportSerializer(reports, many=True).data)

    @extend_schema(
        request=ReportRequestSerializer,
        responses={
            200: FILE_RESPONSE,
            202: ReportSerializer,
            400: ERROR_RESPONSE,
            401: ERROR_RESPONSE,
            403: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            500: ERROR_RESPONSE,
            503: ERROR_RESPONSE,
        },
        operation_id="reports_create",
        summary="Generate a PDF or Excel report: the file at once when small, else 202 and a report to poll",
    )
    def post(self, request: Request) -> Response | HttpResponse:
        body = ReportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        params = body.validated_data
        principal = request_principal(request)
        try:
            report = services.report_request(
                tenant=principal.tenant,
                scope=params["scope"],
                scope_id=params.get("id"),
                period_start=params["start"],
                period_end=params["end"],
                fmt=params["format"],
                requested_by=str(principal.username or principal.pk),
            )
        except services.ReportInvalid as exc:
            return error_response(400, str(exc), [{"field": exc.field, "message": str(exc)}])
        except services.ReportScopeNotFound as exc:
            return error_response(404, str(exc))
        except TimeSeriesUnavailable as exc:
            return error_response(503, f"time-series store unreachable: {exc}", headers={"Retry-After": "30"})
        if report.status == ReportStatus.READY:
            return _file(report)
        if report.status == ReportStatus.FAILED:
            return error_response(
                500,
                f"the report could not be built: {report.error}",
                [{"field": "id", "message": str(report.pk)}],
            )
        data = ReportSerializer(report).data
        return Response(data, status=202, headers={"Location": data["status_url"]})


class ReportDetailView(APIView):
    required_scope = TokenScope.READ
    required_capability = Capability.REPORTS

    @extend_schema(
        responses={200: ReportSerializer, 401: ERROR_RESPONSE, 403: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        operation_id="reports_retrieve",
        summary="A report's status: queued, running, ready (download_url set) or failed (error)",
    )
    def get(self, request: Request, report_id: str) -> Response:
        found = _report_or_404(request, report_id)
        if isinstance(found, Response):
            return found
        return Response(ReportSerializer(found).data)


class ReportDownloadView(APIView):
    required_scope = TokenScope.READ
    required_capability = Capability.REPORTS

    @extend_schema(
        responses={
            200: FILE_RESPONSE,
            401: ERROR_RESPONSE,
            403: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            409: ERROR_RESPONSE,
        },
        operation_id="reports_download",
        summary="The report's file (409 while it is not ready)",
    )
    def get(self, request: Request, report_id: str) -> Response | HttpResponse:
        found = _report_or_404(request, report_id)
        if isinstance(found, Response):
            return found
        if found.status != ReportStatus.READY:
            return error_response(
                409,
                f"the report is {found.status}, not ready",
                [{"field": "status", "message": found.status}],
            )
        try:
            return _file(found)
        except FileNotFoundError:
            return error_response(404, "the report's file is gone (expired or deleted)")
