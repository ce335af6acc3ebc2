"""Admin of energy: a site's settings with its tariff versions, and rollup recomputation.

Every tariff form runs the model's clean(), which names the field and the rule of a bad value
(overlapping slots, slabs out of order, negative rates: docs/CONTRACTS.md §18.5); a version
that fails is not saved, and the formset saves all versions or none.
"""

from __future__ import annotations

from functools import partial

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from analytics import tasks
from ingestion.models import Asset

from .models import SiteEnergy, Tariff


class TariffInline(admin.StackedInline):
    model = Tariff
    extra = 0
    fieldsets = [
        (
            None,
            {"fields": ["effective_from", "name", "currency", "billing_basis", "energy_rate", "tod_slots"]},
        ),
        (
            "Power-factor slabs",
            {
                "fields": [
                    "pf_reference",
                    "pf_incentive_pct_per_step",
                    "pf_penalty_pct_per_step",
                    "pf_penalty_threshold",
                    "pf_steep_penalty_pct_per_step",
                    "pf_leading_counts",
                ]
            },
        ),
        (
            "Demand and fixed charges",
            {"fields": ["demand_rate_per_kva", "demand_min_share", "fixed_monthly"]},
        ),
    ]


@admin.register(SiteEnergy)
class SiteEnergyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "tenant", "timezone", "contract_demand_kva", "tariff_versions"]
    list_filter = ["tenant"]
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
    inlines = [TariffInline]
    actions = ["recompute_rollups"]

    def get_readonly_fields(self, request: HttpRequest, obj: SiteEnergy | None = None):
        return ["tenant", "code"] if obj is not None else []

    @admin.display(description="tariff versions")
    def tariff_versions(self, obj: SiteEnergy) -> int:
        return obj.tariffs.count()

    @admin.action(description="Recompute the energy rollups of the selected sites' assets")
    def recompute_rollups(self, request: HttpRequest, queryset) -> None:
        """After a change of shifts, weekly off days or the idle share: idle energy and the
        healthy power model depend on them (rollups of hours past raw retention stay)."""
        pks = []
        for site in queryset:
            pks += list(
                Asset.objects.filter(tenant=site.tenant, supply_site=site.code).values_list("pk", flat=True)
            )
        for pk in pks:
            transaction.on_commit(partial(tasks.energy_rollups_rebuild_task.delay, pk))
        self.message_user(request, f"recomputing the energy rollups of {len(pks)} asset(s) in the background")
