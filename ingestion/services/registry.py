"""Writes to the asset registry and tokens. Each function validates fully or changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import ApiToken, Asset, Site, Tenant
from ..tokens import token_generate

ASSET_WRITABLE_FIELDS = (
    "asset_id",
    "name",
    "asset_type",
    "phase",
    "rated_voltage_v",
    "rated_current_a",
    "rated_power_kw",
    "rated_rpm",
    "iso_group",
    "foundation",
    "bearing_n_balls",
    "bearing_ball_diameter_mm",
    "bearing_pitch_diameter_mm",
    "bearing_contact_angle_deg",
    "location",
    "supply_site",
    "commissioned_at",
    "active",
)


def tenant_get_or_create(*, name: str, create: bool) -> Tenant:
    """The named tenant; created only when asked, so a typo does not silently make a new one."""
    tenant = Tenant.objects.filter(name=name).first()
    if tenant is not None:
        return tenant
    if not create:
        raise ValidationError({"tenant": f"no tenant named {name!r} (pass --create-tenant to create it)"})
    tenant = Tenant(name=name)
    tenant.full_clean()
    tenant.save()
    return tenant


def api_token_create(*, tenant: Tenant, name: str, scopes: Iterable[str]) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is never stored or shown again."""
    scope_list = sorted(set(scopes))
    token, prefix, digest = token_generate()
    row = ApiToken(tenant=tenant, name=name, prefix=prefix, digest=digest, scopes=scope_list)
    row.full_clean(exclude=["prefix", "digest"])
    row.save()
    return row, token


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def _asset_apply(asset: Asset, data: Mapping[str, Any]) -> Asset:
    unknown = sorted(set(data) - set(ASSET_WRITABLE_FIELDS))
    if unknown:
        raise ValidationError({unknown[0]: f"unknown field(s): {', '.join(unknown)}"})
    for key, value in data.items():
        setattr(asset, key, value)
    asset.full_clean()
    return asset


def asset_create(*, tenant: Tenant, data: Mapping[str, Any]) -> Asset:
    asset = _asset_apply(Asset(tenant=tenant), data)
    asset.save()
    return asset


def asset_update(*, asset: Asset, data: Mapping[str, Any]) -> Asset:
    if "asset_id" in data and data["asset_id"] != asset.asset_id:
        raise ValidationError({"asset_id": "asset_id cannot change: stored time series are keyed by it"})
    _asset_apply(asset, data)
    asset.save()
    return asset


SITE_WRITABLE_FIELDS = (
    "name",
    "timezone",
    "grid_factor_t_per_mwh",
    "contract_demand_kva",
    "idle_below_load_pct",
    "shifts",
    "weekly_off_days",
)


def site_save(*, site: Site, data: Mapping[str, Any] | None = None) -> Site:
    """Validate and store a site (a new row for a code only assets named so far, or an update);
    an invalid value raises ValidationError naming the field and rule, and nothing changes."""
    unknown = sorted(set(data or {}) - set(SITE_WRITABLE_FIELDS))
    if unknown:
        raise ValidationError({unknown[0]: f"unknown field(s): {', '.join(unknown)}"})
    for key, value in (data or {}).items():
        setattr(site, key, value)
    site.full_clean()
    site.save()
    return site


def manifest_asset_fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Map one generator manifest entry (docs/generator.md) to Asset fields."""
    known = {
        "asset_id",
        "name",
        "asset_type",
        "phase",
        "rated_voltage_v",
        "rated_current_a",
        "rated_power_kw",
        "rated_rpm",
        "iso_group",
        "foundation",
        "bearing",
        "location",
        "supply_site",
        "commissioned_at",
    }
    unknown = sorted(set(entry) - known)
    if unknown:
        raise ValidationError({unknown[0]: f"unknown manifest key(s): {', '.join(unknown)}"})
    data = {k: v for k, v in entry.items() if k != "bearing"}
    bearing = entry.get("bearing")
    if bearing:
        data.update(
            bearing_n_balls=bearing.get("n_balls"),
            bearing_ball_diameter_mm=bearing.get("ball_diameter_mm"),
            bearing_pitch_diameter_mm=bearing.get("pitch_diameter_mm"),
            bearing_contact_angle_deg=bearing.get("contact_angle_deg"),
        )
    return data


@transaction.atomic
def fleet_register(*, tenant: Tenant, entries: list[Mapping[str, Any]]) -> tuple[int, int]:
    """Create or update every manifest asset in one transaction; returns (created, updated).

    An entry that fails validation raises ValidationError naming its index and field, and
    the transaction leaves the registry as it was.
    """
    created = updated = 0
    for index, entry in enumerate(entries):
        try:
            data = manifest_asset_fields(entry)
            existing = Asset.objects.filter(asset_id=data.get("asset_id")).first()
            if existing is None:
                asset_create(tenant=tenant, data=data)
                created += 1
            elif existing.tenant_id != tenant.pk:
                raise ValidationError({"asset_id": f"{existing.asset_id} belongs to another tenant"})
            else:
                asset_update(asset=existing, data=data)
                updated += 1
        except ValidationError as exc:
            raise ValidationError(
                {f"assets[{index}].{k}": v for k, v in exc.message_dict.items()}
                if hasattr(exc, "error_dict")
                else {f"assets[{index}]": exc.messages}
            ) from None
    return created, updated
