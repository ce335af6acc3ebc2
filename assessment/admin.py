"""Admin: per-asset threshold overrides on the asset page, read-only assessments, alerts with
acknowledge/resolve actions (through the services), notification channels with a write-only
secret."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpRequest
from django.template.response import TemplateResponse

from ingestion.admin import AssetAdmin as RegistryAssetAdmin
from ingestion.models import Asset

from . import services
from .models import (
    ACTIVE_STATES,
    Alert,
    AlertCondition,
    AlertTransition,
    Assessment,
    AssetThresholds,
    NotificationAttempt,
    NotificationChannel,
)


class AssetThresholdsInline(admin.StackedInline):
    model = AssetThresholds
    can_delete = True
    extra = 0
    max_num = 1


# The thresholds are a health concept owned here, edited on the registry's asset page: the
# registry's admin (imported above, so it is registered first) is replaced by a subclass that
# adds them inline.
admin.site.unregister(Asset)


@admin.register(Asset)
class AssetAdmin(RegistryAssetAdmin):
    inlines = [*RegistryAssetAdmin.inlines, AssetThresholdsInline]


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["asset", "as_of", "health_score", "risk_level", "rul_days", "stale", "baseline_missing"]
    list_filter = ["risk_level", "stale", "baseline_missing", "asset__tenant"]
    search_fields = ["asset__asset_id", "asset__name"]
    date_hierarchy = "as_of"
    list_select_related = ["asset"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class AlertTransitionInline(admin.TabularInline):
    model = AlertTransition
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "action", "from_state", "to_state", "actor", "event_time", "note")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class AlertConditionInline(admin.TabularInline):
    model = AlertCondition
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "cause",
        "severity",
        "active",
        "first_seen_at",
        "last_seen_at",
        "value",
        "peak_value",
        "unit",
        "occurrences",
        "cleared_at",
    )

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class NotificationAttemptInline(admin.TabularInline):
    model = NotificationAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ("event", "channel", "status", "attempts", "last_error", "sent_at")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ResolveForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}), required=True)


def _actor(request: HttpRequest) -> str:
    return f"admin:{request.user.get_username()}"


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "kind",
        "cause",
        "severity",
        "peak_severity",
        "state",
        "reopen_count",
        "opened_at",
        "last_seen_at",
        "escalated_at",
    ]
    list_filter = ["state", "kind", "cause", "severity", "tenant", "site"]
    search_fields = ["asset__asset_id", "asset__name", "site", "explanation", "note"]
    list_select_related = ["tenant", "asset"]
    inlines = [AlertConditionInline, AlertTransitionInline, NotificationAttemptInline]
    actions = ["acknowledge", "resolve"]
    readonly_fields = [f.name for f in Alert._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Acknowledge selected open alerts")
    def acknowledge(self, request: HttpRequest, queryset) -> None:
        done = skipped = 0
        for alert in queryset.select_related("tenant", "asset"):
            try:
                services.alert_acknowledge(
                    alert_id=alert.pk, tenant=alert.tenant, actor=_actor(request), comment="via admin"
                )
                done += 1
            except services.IllegalTransition:
                skipped += 1
        self.message_user(request, f"{done} acknowledged, {skipped} skipped (not open).", messages.INFO)

    @admin.action(description="Resolve selected alerts (with a note)")
    def resolve(self, request: HttpRequest, queryset):
        form = ResolveForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = skipped = 0
            for alert in queryset.select_related("tenant", "asset"):
                try:
                    services.alert_resolve(
                        alert_id=alert.pk,
                        tenant=alert.tenant,
                        actor=_actor(request),
                        note=form.cleaned_data["note"],
                    )
                    done += 1
                except services.IllegalTransition:
                    skipped += 1
            self.message_user(
                request, f"{done} resolved, {skipped} skipped (already resolved).", messages.INFO
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Resolve alerts",
            "alerts": queryset.filter(state__in=ACTIVE_STATES),
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/assessment/alert/resolve.html", context)


class NotificationChannelForm(forms.ModelForm):
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Webhook HMAC secret. Never shown again; leave empty to keep the current one.",
    )

    class Meta:
        model = NotificationChannel
        fields = ["tenant", "name", "kind", "target", "secret", "active", "min_severity", "escalation_only"]

    def clean_secret(self) -> str:
        value = self.cleaned_data.get("secret") or ""
        if not value and self.instance.pk:
            return self.instance.secret  # keep the stored secret
        return value


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    form = NotificationChannelForm
    list_display = ["tenant", "kind", "target", "min_severity", "escalation_only", "active"]
    list_filter = ["tenant", "kind", "active", "min_severity"]
    search_fields = ["target", "name"]
