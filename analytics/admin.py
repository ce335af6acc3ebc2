"""Admin for baselines: inspect versions, retrain over a chosen window, activate a version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import render

from . import baseline_versions
from .baseline import BaselineError
from .energy import admin as energy_admin  # noqa: F401 - registers the energy admin pages
from .forecast import admin as forecast_admin  # noqa: F401 - registers the forecast versions
from .models import AnalyticsState, Baseline, BaselineSource


class RetrainForm(forms.Form):
    window_start = forms.DateTimeField(help_text="UTC, e.g. 2026-01-05 00:00")
    window_end = forms.DateTimeField(help_text="UTC, exclusive")

    def clean(self):
        data = super().clean()
        if data is None:  # Form.clean() returns cleaned_data; the stubs allow a subclass's None
            return None
        start, end = data.get("window_start"), data.get("window_end")
        if start and end:
            start, end = start.astimezone(UTC), end.astimezone(UTC)
            if start >= end:
                raise forms.ValidationError({"window_end": "window_end must be after window_start."})
            if end - start < timedelta(hours=1):
                raise forms.ValidationError({"window_end": "the window must span at least one hour."})
            if end > datetime.now(UTC) + timedelta(minutes=5):
                raise forms.ValidationError({"window_end": "window_end lies in the future."})
            data.update(window_start=start, window_end=end)
        return data


@admin.register(Baseline)
class BaselineAdmin(admin.ModelAdmin):
    list_display = [
        "asset",
        "version",
        "status",
        "active",
        "source",
        "window_start",
        "window_end",
        "row_count",
        "false_anomaly_rate",
        "validation_passed",
        "created_at",
    ]
    list_filter = ["status", "active", "source", "validation_passed", "asset__tenant"]
    search_fields = ["asset__asset_id", "asset__name"]
    actions = ["retrain_over_window", "activate_version"]
    exclude = ["model_blob"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Retrain the selected assets' baselines over a chosen window")
    def retrain_over_window(self, request: HttpRequest, queryset):
        if "apply" in request.POST:
            form = RetrainForm(request.POST)
            if form.is_valid():
                assets = {b.asset for b in queryset.select_related("asset")}
                for asset in sorted(assets, key=lambda a: a.asset_id):
                    row = baseline_versions.baseline_train(
                        asset=asset,
                        window_start=form.cleaned_data["window_start"],
                        window_end=form.cleaned_data["window_end"],
                        source=BaselineSource.ADMIN,
                        created_by=request.user.get_username(),
                    )
                    level = messages.SUCCESS if row.active else messages.WARNING
                    self.message_user(
                        request, f"{asset.asset_id}: v{row.version} {row.status}: {row.message}", level
                    )
                return HttpResponseRedirect(request.get_full_path())
        else:
            form = RetrainForm()
        return render(
            request,
            "admin/analytics/retrain.html",
            {"form": form, "queryset": queryset, "action": "retrain_over_window", "opts": self.model._meta},
        )

    @admin.action(description="Activate the selected version (even if its validation failed)")
    def activate_version(self, request: HttpRequest, queryset):
        for row in queryset:
            try:
                baseline_versions.baseline_activate(
                    baseline=row, by=request.user.get_username(), forced=not row.validation_passed
                )
            except BaselineError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"{row.asset.asset_id}: v{row.version} is active.")


@admin.register(AnalyticsState)
class AnalyticsStateAdmin(admin.ModelAdmin):
    list_display = ["asset", "pending_from", "inflight_from", "queued", "runs", "last_run_at", "last_error"]
    search_fields = ["asset__asset_id"]
    readonly_fields = [f.name for f in AnalyticsState._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
