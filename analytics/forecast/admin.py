"""Admin of the load forecast: every version of every scope, read-only (a version is a record of
one training; CONTRACTS §19.1). A new version comes from the daily task or the action below."""

from __future__ import annotations

from functools import partial

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import ForecastModel
from .tasks import forecast_train_task


@admin.register(ForecastModel)
class ForecastModelAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "tenant",
        "scope",
        "scope_id",
        "version",
        "status",
        "training_end",
        "created_at",
    )
    list_filter = ("status", "scope", "tenant")
    search_fields = ("scope_id", "refusal_reason")
    exclude = ("model_blob",)
    actions = ["train_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ForecastModel | None = None) -> bool:
        return False

    @admin.action(
        description="Train these scopes again now (a new version when there is a new measured hour)"
    )
    def train_now(self, request: HttpRequest, queryset: QuerySet[ForecastModel]) -> None:
        scopes = {(row.tenant_id, row.scope, row.scope_id) for row in queryset}
        for tenant_id, scope, scope_id in scopes:
            transaction.on_commit(partial(forecast_train_task.delay, tenant_id, scope, scope_id))
        self.message_user(request, f"{len(scopes)} training(s) queued.")
