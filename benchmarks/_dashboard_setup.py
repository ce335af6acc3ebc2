"""Data of benchmarks/dashboard.py, run inside Django (`manage.py shell -c`): a tenant with 500
machines, an admin login, one assessment per machine, and in InfluxDB the one machine whose page
is measured: 30 days of one-minute events with six signals and five-minute health points.

Arguments come from the environment: BENCH_END (RFC 3339, end of the data), BENCH_ASSETS,
BENCH_PASSWORD (the login's, made up per run)."""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta

from assessment.models import Assessment
from ingestion.models import Asset
from ingestion.services import member_create, tenant_get_or_create
from ingestion.timeseries import Point, get_store

END = datetime.fromisoformat(os.environ["BENCH_END"].replace("Z", "+00:00"))
N_ASSETS = int(os.environ.get("BENCH_ASSETS", "500"))
DAYS = 30
rng = random.Random(2026)

tenant = tenant_get_or_create(name="bench", create=True)
member_create(tenant=tenant, username="bench-admin", password=os.environ["BENCH_PASSWORD"], role="admin")
types = ["motor", "pump", "fan", "compressor"]
assets = [
    Asset(
        asset_id=f"B-{i:04d}",
        tenant=tenant,
        name=f"{types[i % 4].title()} {i}",
        asset_type=types[i % 4],
        phase="three",
        rated_voltage_v=415.0,
        rated_current_a=28.0,
        rated_power_kw=15.0,
        rated_rpm=1480.0,
        iso_group=2,
        foundation="rigid",
        location=f"Line {'ABCDEFGH'[i % 8]}",
        supply_site=f"site-{i % 3}",
    )
    for i in range(N_ASSETS)
]
Asset.objects.bulk_create(assets, batch_size=500)
levels = [("Low", 0, 90), ("Medium", 1, 70), ("High", 2, 50), ("Critical", 3, 30)]
rows = []
for a in Asset.objects.filter(tenant=tenant):
    level, code, health = levels[min(3, int(rng.expovariate(2.0)))]
    rows.append(
        Assessment(
            asset=a,
            as_of=END - timedelta(minutes=5),
            evaluated_at=END,
            health_score=health + rng.randint(0, 9),
            risk_level=level,
            risk_code=code,
            rul_days=None if code == 0 else round(rng.uniform(2, 120), 1),
            rul_low_days=None,
            rul_high_days=None,
            rul_reason="no_trend" if code == 0 else None,
            explanation=f"Risk is {level} because health is {health}/100.",
            # as the pipeline records them: the newest event assessed and its staleness limit
            inputs={
                "newest_event_time": (END - timedelta(minutes=1 if a.asset_id == "B-0000" else 2))
                .isoformat()
                .replace("+00:00", "Z"),
                "stale_after_s": 900.0,
            },
        )
    )
Assessment.objects.bulk_create(rows, batch_size=500)

store = get_store()
t0 = END - timedelta(days=DAYS)
minute = timedelta(minutes=1)
target = "B-0000"
batch: list[Point] = []
for k in range(DAYS * 1440):
    t = t0 + k * minute
    day = (k % 1440) / 1440
    batch.append(
        Point(
            "events",
            target,
            t,
            {
                "voltage_v": 415.0 + rng.gauss(0, 3),
                "current_a": 20.0 + 4 * (0.5 < day < 0.9) + rng.gauss(0, 0.5),
                "power_factor": 0.86 + rng.gauss(0, 0.01),
                "frequency_hz": 50.0 + rng.gauss(0, 0.03),
                "temperature_c": 55.0 + 5 * day + rng.gauss(0, 0.4),
                "vibration_rms_mm_s": 1.2 + k / (DAYS * 1440) + abs(rng.gauss(0, 0.1)),
            },
        )
    )
    if len(batch) >= 10000:
        store.write(batch)
        batch = []
for k in range(DAYS * 288):
    t = t0 + k * timedelta(minutes=5)
    batch.append(
        Point(
            "health",
            target,
            t,
            {"health_score": 90 - k // 300, "anomaly_score": rng.uniform(0, 0.4), "risk_code": 0},
        )
    )
store.write(batch)
# the other machines: one recent event each (their last data time)
store.write(
    Point("events", f"B-{i:04d}", END - timedelta(minutes=2), {"voltage_v": 415.0})
    for i in range(1, N_ASSETS)
)
print(f"bench data: {N_ASSETS} assets, {DAYS * 1440} events and {DAYS * 288} health points of {target}")
