"""The worked example of docs/CONTRACTS.md §18.10 and the hand-computed cases, as data.

Expected numbers are written out by hand (fractions in comments), never computed by the code
under test. The series is placed on the 15th of a site-local month; tests that go through
ingest use a recent month (ingest refuses events older than the raw retention).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")
REL = 1e-9

TARIFF = {
    "effective_from": "2020-01-01",
    "name": "worked example (KSEB-like slabs, illustrative rates)",
    "billing_basis": "kvah",
    "energy_rate": 8.0,
    "tod_slots": [
        {"name": "peak", "start": "18:00", "end": "22:00", "multiplier": 1.5},
        {"name": "night", "start": "22:00", "end": "06:00", "multiplier": 0.75},
    ],
    "pf_reference": 0.95,
    "pf_incentive_pct_per_step": 0.5,
    "pf_penalty_pct_per_step": 0.5,
    "pf_penalty_threshold": 0.90,
    "pf_steep_penalty_pct_per_step": 1.0,
    "demand_rate_per_kva": 350.0,
    "demand_min_share": 0.75,
    "fixed_monthly": 2000.0,
}
CONTRACT_DEMAND_KVA = 40.0
ASSET = {
    "asset_type": "motor",
    "phase": "single",
    "rated_voltage_v": 230.0,
    "rated_current_a": 100.0,
    "rated_power_kw": 20.0,
    "rated_rpm": 1450.0,
    "iso_group": 2,
    "foundation": "rigid",
}

# (minutes after 17:00 IST, current A): 250 V, PF 0.8 -> S = 250 x I / 1000 kVA
SERIES = [(m, 80.0 if 50 <= m <= 80 else 40.0) for m in range(0, 121, 10)]

# blocks 17:00, 17:30, 18:00, 18:30 IST: kVAh 5, 15/2, 55/6, 5; kWh = 0.8 x, kvarh = 0.6 x
BLOCK_KVAH = (5.0, 7.5, 55 / 6, 5.0)
TOTAL_KVAH = 80 / 3
TOTAL_KWH = 64 / 3
TOTAL_KVARH = 16.0
MAX_DEMAND_KVA = 55 / 3  # the 18:00 IST block
LOAD_FACTOR = 40 / 55  # (80/3 kVAh / 2 h) / (55/3 kVA)
CO2_T = 64 / 3 * 0.727 / 1000
ENERGY_CHARGE = 640 / 3  # 8 x 80/3
TOD_CHARGE = 170 / 3  # 8 x 0.5 x (55/6 + 5)
PF_ADJUSTMENT = 33.75  # 12.5 % of 270
SITE_DEMAND_CHARGE = 10_500.0  # 350 x max(55/3, 0.75 x 40)
ASSET_DEMAND_CHARGE = 350 * 55 / 3  # metered alone: its own maximum demand
FIXED_CHARGE = 2000.0
SITE_MONTH_TOTAL = 12_803.75


def example_day(today: date | None = None) -> date:
    """The 15th of the previous site-local month (inside ingest's 90-day retention)."""
    today = today or datetime.now(IST).date()
    first = today.replace(day=1)
    previous = first - timedelta(days=1)
    return previous.replace(day=15)


def local(day: date, minutes_after_17: int) -> datetime:
    return datetime(day.year, day.month, day.day, 17, tzinfo=IST) + timedelta(minutes=minutes_after_17)


def month_bounds(day: date) -> tuple[datetime, datetime]:
    """[00:00 IST of the 1st, 00:00 IST of the next 1st) of the day's month, in UTC."""
    first = datetime(day.year, day.month, 1, tzinfo=IST)
    nxt = datetime(day.year + (day.month == 12), day.month % 12 + 1, 1, tzinfo=IST)
    return first.astimezone(UTC), nxt.astimezone(UTC)


def event(asset_id: str, moment: datetime, current_a: float, pf: float = 0.8) -> dict:
    return {
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{asset_id}/{moment.isoformat()}")),
        "asset_id": asset_id,
        "timestamp": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "voltage_v": 250.0,
        "current_a": current_a,
        "power_factor": pf,
        "frequency_hz": 50.0,
        "temperature_c": 60.0,
        "vibration_rms_mm_s": 1.0,
    }


def example_events(asset_id: str, day: date) -> list[dict]:
    return [event(asset_id, local(day, m), amps) for m, amps in SERIES]


def stretch(
    asset_id: str, start: datetime, minutes: int, current_a: float = 40.0, pf: float = 0.8
) -> list[dict]:
    """Events every 10 min over [start, start + minutes] inclusive."""
    return [event(asset_id, start + timedelta(minutes=m), current_a, pf) for m in range(0, minutes + 1, 10)]
