"""Factories for registry rows; tokens come back with their one-time secret."""

from __future__ import annotations

import factory

from ingestion import services
from ingestion.models import Asset, Tenant


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tenant-{n}")


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    asset_id = factory.Sequence(lambda n: f"M-{n:04d}")
    tenant = factory.SubFactory(TenantFactory)
    name = factory.LazyAttribute(lambda o: f"Motor {o.asset_id}")
    asset_type = "motor"
    phase = "three"
    rated_voltage_v = 415.0
    rated_current_a = 28.0
    rated_power_kw = 15.0
    rated_rpm = 1480.0
    iso_group = 2
    foundation = "rigid"
    location = "Bay 1"


def token_for(tenant: Tenant, *scopes: str) -> str:
    """A new token of the tenant with the given scopes (default ingest+read); returns the secret."""
    _, secret = services.api_token_create(tenant=tenant, name="test", scopes=scopes or ("ingest", "read"))
    return secret
