"""Admin for the registry: search, filters, and the models' own validation on every form."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from . import services
from .models import ApiToken, Asset, Site, SpoolEntry, Tenant, TenantMember, TokenScope


class TenantMemberInline(admin.TabularInline):
    model = TenantMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [TenantMemberInline]


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    """The registry's asset page. Apps above extend it with their per-asset rows (assessment adds
    the threshold overrides inline) by registering a subclass in its place."""

    list_display = [
        "asset_id",
        "name",
        "tenant",
        "asset_type",
        "phase",
        "rated_power_kw",
        "iso_group",
        "foundation",
        "location",
        "active",
    ]
    list_filter = ["tenant", "asset_type", "phase", "iso_group", "foundation", "active"]
    search_fields = ["asset_id", "name", "location"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "asset_id",
                    "tenant",
                    "name",
                    "asset_type",
                    "location",
                    "supply_site",
                    "commissioned_at",
                    "active",
                ]
            },
        ),
        (
            "Ratings",
            {"fields": ["phase", "rated_voltage_v", "rated_current_a", "rated_power_kw", "rated_rpm"]},
        ),
        ("ISO 10816-3", {"fields": ["iso_group", "foundation"]}),
        (
            "Bearing geometry (optional, all four or none)",
            {
                "fields": [
                    "bearing_n_balls",
                    "bearing_ball_diameter_mm",
                    "bearing_pitch_diameter_mm",
                    "bearing_contact_angle_deg",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Asset | None = None):
        # Stored series are keyed by asset_id; renaming would orphan them.
        return ["asset_id"] if obj is not None else []


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    """Sites' local time, shifts, emission factor and contract demand; tariffs are edited under
    Analytics > Tariff versions. The model's clean() names the field and rule of a bad value."""

    list_display = ["code", "name", "tenant", "timezone", "contract_demand_kva", "grid_factor_t_per_mwh"]
    list_filter = ["tenant", "timezone"]
    search_fields = ["code", "name"]
    fields = [
        "tenant",
        "code",
        "name",
        "timezone",
        "grid_factor_t_per_mwh",
        "contract_demand_kva",
        "idle_below_load_pct",
        "shifts",
        "weekly_off_days",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Site | None = None):
        # The code is the assets' supply_site: renaming it would detach them.
        return ["tenant", "code"] if obj is not None else []


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiToken
        fields = ["tenant", "name", "scopes"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ["name", "tenant", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["tenant", "revoked_at"]
    search_fields = ["name", "prefix", "tenant__name"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None):
        if obj is None:
            return ["tenant", "name", "scopes"]
        return ["tenant", "name", "scopes", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None):
        if obj is None:
            return []
        return ["tenant", "prefix", "scopes", "created_at", "last_used_at"]

    def get_changeform_initial_data(self, request: HttpRequest):
        return {"scopes": [TokenScope.INGEST]}

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        row, token = services.api_token_create(tenant=obj.tenant, name=obj.name, scopes=obj.scopes)
        obj.pk = row.pk
        obj.prefix, obj.digest = row.prefix, row.digest
        messages.warning(request, f"New token (shown once, copy it now): {token}")

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset) -> None:
        for token in queryset:
            services.api_token_revoke(token=token)
        self.message_user(request, f"{queryset.count()} token(s) revoked.")


@admin.register(SpoolEntry)
class SpoolEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "tenant", "n_events", "created_at", "attempts", "last_error"]
    list_filter = ["tenant"]
    readonly_fields = ["tenant", "payload", "n_events", "created_at", "attempts", "last_error"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
