"""Report-schedule API: list/create, read/change/delete one, and its deliveries (CONTRACTS §16.5).

Only principals with the `schedules` capability (manager and admin roles, admin tokens) reach
these views, reads included: recipients' addresses are not for every reader.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ingestion.api_errors import ERROR_RESPONSE
from ingestion.auth import Capability, request_principal, request_tenant
from ingestion.models import TokenScope

from . import selectors, services
from .models import ReportSchedule
from .serializers import DeliverySerializer, ScheduleSerializer, ScheduleWriteSerializer


def _schedule_or_404(request: Request, schedule_id: int) -> ReportSchedule:
    schedule = selectors.schedule_get(tenant=request_tenant(request), schedule_id=schedule_id)
    if schedule is None:
        raise NotFound(f"no report schedule {schedule_id} in this tenant")
    return schedule


class _ScheduleView(APIView):
    required_scope = TokenScope.READ
    required_capability = Capability.SCHEDULES


class ScheduleListView(_ScheduleView):
    @extend_schema(
        responses={200: ScheduleSerializer(many=True), 403: ERROR_RESPONSE},
        operation_id="report_schedules_list",
        summary="The tenant's report schedules",
    )
    def get(self, request: Request) -> Response:
        schedules = selectors.schedule_list(tenant=request_tenant(request))
        return Response(ScheduleSerializer(schedules, many=True).data)

    @extend_schema(
        request=ScheduleWriteSerializer,
        responses={201: ScheduleSerializer, 400: ERROR_RESPONSE, 403: ERROR_RESPONSE},
        operation_id="report_schedules_create",
        summary="Create a report schedule (and its periodic task)",
    )
    def post(self, request: Request) -> Response:
        tenant = request_tenant(request)
        body = ScheduleWriteSerializer(data=request.data, context={"tenant": tenant})
        body.is_valid(raise_exception=True)
        principal = request_principal(request)
        schedule = ReportSchedule(
            tenant=tenant,
            created_by=principal.username or f"token:{principal.token_id}",
            **body.validated_data,
        )
        services.schedule_save(schedule=schedule)
        return Response(ScheduleSerializer(schedule).data, status=201)


class ScheduleDetailView(_ScheduleView):
    @extend_schema(
        responses={200: ScheduleSerializer, 403: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        operation_id="report_schedules_retrieve",
        summary="One report schedule",
    )
    def get(self, request: Request, schedule_id: int) -> Response:
        return Response(ScheduleSerializer(_schedule_or_404(request, schedule_id)).data)

    @extend_schema(
        request=ScheduleWriteSerializer(partial=True),
        responses={200: ScheduleSerializer, 400: ERROR_RESPONSE, 403: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        operation_id="report_schedules_partial_update",
        summary="Change a report schedule (any subset of fields)",
    )
    def patch(self, request: Request, schedule_id: int) -> Response:
        schedule = _schedule_or_404(request, schedule_id)
        body = ScheduleWriteSerializer(
            schedule, data=request.data, partial=True, context={"tenant": schedule.tenant}
        )
        body.is_valid(raise_exception=True)
        for name, value in body.validated_data.items():
            setattr(schedule, name, value)
        services.schedule_save(schedule=schedule)
        return Response(ScheduleSerializer(schedule).data)

    @extend_schema(
        responses={204: OpenApiResponse(description="deleted"), 403: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        operation_id="report_schedules_destroy",
        summary="Delete a report schedule, its periodic task and its delivery records",
    )
    def delete(self, request: Request, schedule_id: int) -> Response:
        services.schedule_delete(schedule=_schedule_or_404(request, schedule_id))
        return Response(status=204)


class ScheduleDeliveriesView(_ScheduleView):
    @extend_schema(
        responses={200: DeliverySerializer(many=True), 403: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        operation_id="report_schedules_deliveries",
        summary="The deliveries of a report schedule, newest period first",
    )
    def get(self, request: Request, schedule_id: int) -> Response:
        schedule = _schedule_or_404(request, schedule_id)
        return Response(DeliverySerializer(selectors.delivery_list(schedule=schedule), many=True).data)
