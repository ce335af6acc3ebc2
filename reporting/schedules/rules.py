"""What a valid report schedule is, and which time zone and crontab it runs on (CONTRACTS §16.5).

One place for the rules every entry point applies (API serializer, admin form via the model's
`clean`), so each refuses the same input with the same message naming the field.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from celery.schedules import ParseException, crontab
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ingestion import selectors as ingestion_selectors
from ingestion.models import Tenant

from .models import FORMATS_FILES
from .periods import PeriodRule

SCOPES = ("asset", "site", "fleet")
MAX_RECIPIENTS = 50
FLEET_FALLBACK_ZONE = "UTC"
CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
CRON_RANGES = {
    "minute": "0-59",
    "hour": "0-23",
    "day_of_month": "1-31",
    "month_of_year": "1-12",
    "day_of_week": "0-6 (0 = Sunday) or mon-sun",
}


def schedule_timezone(*, tenant: Tenant, scope: str, scope_id: str) -> str:
    """The IANA zone a schedule counts its periods and run time in: the asset's site (its
    `supply_site`), the site, or for the fleet the one zone all the tenant's sites share, else UTC."""
    if scope == "asset":
        asset = ingestion_selectors.asset_get(tenant=tenant, asset_id=scope_id)
        site = ingestion_selectors.site_get(tenant=tenant, code=asset.supply_site) if asset else None
        return site.timezone if site else FLEET_FALLBACK_ZONE
    if scope == "site":
        site = ingestion_selectors.site_get(tenant=tenant, code=scope_id)
        return site.timezone if site else FLEET_FALLBACK_ZONE
    zones = {site.timezone for site in ingestion_selectors.site_list(tenant=tenant)}
    return zones.pop() if len(zones) == 1 else FLEET_FALLBACK_ZONE


def cron_fields(*, period_rule: str, run_at: time, cron: str) -> dict[str, str]:
    """The crontab (local time) a schedule fires on: `cron` when given, else `run_at` daily,
    on Mondays (previous_week) or on the 1st (previous_month)."""
    if cron.strip():
        return dict(zip(CRON_FIELDS, cron.split(), strict=True))
    return {
        "minute": str(run_at.minute),
        "hour": str(run_at.hour),
        "day_of_month": "1" if period_rule == PeriodRule.PREVIOUS_MONTH else "*",
        "month_of_year": "*",
        "day_of_week": "1" if period_rule == PeriodRule.PREVIOUS_WEEK else "*",
    }


def cron_problem(cron: str) -> str | None:
    if not cron.strip():
        return None
    parts = cron.split()
    if len(parts) != len(CRON_FIELDS):
        return f"cron needs 5 fields 'minute hour day-of-month month day-of-week', got {len(parts)}: {cron!r}"
    for name, value in zip(CRON_FIELDS, parts, strict=True):
        try:
            crontab(**{name: value})
        except (ValueError, TypeError, ParseException):
            return (
                f"cron {name.replace('_', '-')} {value!r} is invalid: use *, numbers in {CRON_RANGES[name]}, "
                "ranges a-b, lists a,b and steps */n"
            )
    return None


def recipients_problem(recipients: Any) -> str | None:
    if not isinstance(recipients, list) or not recipients:
        return "recipients must be a non-empty list of e-mail addresses"
    if len(recipients) > MAX_RECIPIENTS:
        return f"at most {MAX_RECIPIENTS} recipients, got {len(recipients)}"
    for i, address in enumerate(recipients):
        try:
            if not isinstance(address, str):
                raise ValidationError("not a string")
            validate_email(address)
        except ValidationError:
            return f"recipients[{i}] {address!r} is not a valid e-mail address"
    return None


def scope_problem(*, tenant: Tenant, scope: str, scope_id: str) -> tuple[str, str] | None:
    """(field, message) when the scope or its id is not one of this tenant's."""
    if scope not in SCOPES:
        return "scope", f"unknown scope {scope!r}; one of {', '.join(SCOPES)}"
    if scope == "fleet":
        return ("scope_id", "scope_id must be empty for the fleet") if scope_id else None
    if not scope_id:
        return "scope_id", f"scope_id is required for scope {scope!r} (the {scope}'s id)"
    if scope == "asset" and ingestion_selectors.asset_get(tenant=tenant, asset_id=scope_id) is None:
        return "scope_id", f"no asset {scope_id!r} in this tenant"
    if scope == "site" and ingestion_selectors.site_get(tenant=tenant, code=scope_id) is None:
        return "scope_id", f"no site {scope_id!r} in this tenant"
    return None


def schedule_problems(
    *,
    tenant: Tenant,
    scope: str,
    scope_id: str,
    period_rule: str,
    formats: str,
    recipients: Any,
    cron: str,
) -> dict[str, str]:
    """Field name -> message for every rule the values break (empty when valid)."""
    problems: dict[str, str] = {}
    found = scope_problem(tenant=tenant, scope=scope, scope_id=scope_id)
    if found:
        problems[found[0]] = found[1]
    if period_rule not in {rule.value for rule in PeriodRule}:
        problems["period_rule"] = f"unknown period rule {period_rule!r}; one of {', '.join(PeriodRule)}"
    if formats not in FORMATS_FILES:
        problems["formats"] = f"unknown formats {formats!r}; one of {', '.join(FORMATS_FILES)}"
    message = recipients_problem(recipients)
    if message:
        problems["recipients"] = message
    message = cron_problem(cron)
    if message:
        problems["cron"] = message
    return problems
