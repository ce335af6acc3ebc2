"""Energy summaries from hourly rollups against the same answer from raw events, on InfluxDB.

    python benchmarks/energy.py [--assets 200] [--days-raw 30] [--repeat 3]

A throwaway influxd (pdm_project.devservices) and a temporary SQLite registry hold a fleet of
``--assets`` machines on one site with the worked-example tariff (docs/CONTRACTS.md §18.10).
Each machine gets a 60-s load profile (three shifts, idle changeovers, a weekly off day, noise)
over the 12 site-local months ending with the last complete one; its hourly rollups
(measurement ``energy``) for the whole year are computed from that profile by the platform's
own integration (``analytics.energy.blocks``) and written, its daily rollups (``energy_daily``)
computed from the stored hours by the platform's own maintenance function, and the last month is
also written as raw events (with their features' ``energy_gap_s``), as the pipeline would have
left them.
Then, in the same run:

* ``fleet_month_s``: ``GET /api/v1/energy?scope=fleet`` for the last month by month, through
  the selector (reads the month's daily rollups of every asset);
* ``raw_fleet_month_s``: the same answer computed from the month's raw events (read events and
  features per asset, integrate, bill) - what the platform would do without rollups;
* ``ratio`` = raw / rollups (claim: >= 20); the two answers are checked equal (1e-9);
* ``asset_year_daily_s``: one asset, the 12 months by day (claim: < 0.2 s), from its daily
  rollups; ``asset_year_daily_from_hours_s``: the same answer from its hourly rollups (the
  same-run reference; checked equal to 1e-9 field by field);
* ``asset_year_read_packed_s`` / ``asset_year_read_fields_s``: that asset's year of rollups read
  from the packed field and from the twenty numeric fields (the same-run reference; checked
  bit-identical), and ``read_speedup``, their ratio.

Timings are the median of ``--repeat`` runs (the raw-event answer, minutes long, runs once). The
last line is one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._bench_django import setup_django  # noqa: E402
from benchmarks._energy_fleet import fleet_registry  # noqa: E402

IST = ZoneInfo("Asia/Kolkata")
STEP_S = 60


def month_start(day: date) -> datetime:
    return datetime(day.year, day.month, 1, tzinfo=IST).astimezone(UTC)


def periods(today: date) -> tuple[datetime, datetime, datetime]:
    """(year start, last month start, last month end): the 12 IST months ending with the last
    complete one."""
    last_end = month_start(today)
    first_of_last = (datetime(today.year, today.month, 1) - timedelta(days=1)).date().replace(day=1)
    y, m = first_of_last.year, first_of_last.month - 11
    while m < 1:
        y, m = y - 1, m + 12
    return month_start(date(y, m, 1)), month_start(first_of_last), last_end


def profile(index: int, t_s: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """(kW, kVA, kvar, current A) of one 15 kW machine: IST shifts 06/14/22 at 80/75/55 % load,
    15-min changeover idling at 12 %, Sunday stopped, a few % of noise."""
    local = t_s + 19_800
    hour = (local % 86_400) / 3600.0
    weekday = ((local // 86_400) + 3) % 7
    load = np.where(hour < 6, 0.55, np.where(hour < 14, 0.80, np.where(hour < 22, 0.75, 0.55)))
    since = np.mod(hour - np.where(hour < 6, -2, np.where(hour < 14, 6, np.where(hour < 22, 14, 22))), 24)
    load = np.where(since < 0.25, 0.12, load) * (0.9 + 0.004 * index)
    load = load * (1 + 0.03 * rng.standard_normal(t_s.size))
    running = weekday != 6
    kw = np.where(running, 15.0 / 0.91 * (0.06 + 0.79 * load) / 0.85, 0.0)
    pf = np.where(running, np.clip(0.85 - 0.25 * (0.8 - load), 0.2, 0.95), 0.0)
    kva = np.where(running, kw / np.where(pf > 0, pf, 1), 0.0)
    kvar = kva * np.sqrt(1 - pf * pf)
    current = np.where(running, kva * 1000 / (np.sqrt(3) * 415), 0.0)
    return kw, kva, kvar, current


def load_fleet(
    n_assets: int, year_start: datetime, raw_start: datetime, end: datetime
) -> tuple[object, list]:
    from analytics.energy.blocks import PACKED_FIELD, QUANTITIES, ROLLUP_FIELDS, IntervalInput, integrate
    from analytics.energy.days import day_edges
    from analytics.energy.rollups import daily_points
    from analytics.energy.services import SiteSettings
    from ingestion.models import Site
    from ingestion.timeseries import PointRows

    store, tenant, assets = fleet_registry(n_assets)
    t0, t1, tr = (int(x.timestamp()) for x in (year_start, end, raw_start))
    t_s = np.arange(t0, t1 + STEP_S, STEP_S, dtype=np.int64)
    first_block = t0 // 1800 - (t0 // 1800) % 2  # rollup points sit on whole UTC hours
    n_blocks = (t1 // 1800 - first_block + 1) // 2 * 2
    raw = t_s >= tr
    calendar = SiteSettings.of(Site.objects.get(tenant=tenant, code="main")).calendar
    edges = day_edges(calendar, t0 // 1800, t1 // 1800)
    started = time.perf_counter()
    for i, asset in enumerate(assets):
        rng = np.random.default_rng(i)
        kw, kva, kvar, current = profile(i, t_s, rng)
        n = t_s.size
        data = IntervalInput(
            t_s * 10**9,
            kw,
            kva,
            kvar,
            np.zeros(n, bool),
            current >= 2.8,
            (current >= 2.8) & (kw < 4.5),
            np.full(n, np.nan),
        )
        blocks = integrate(data, first_block, n_blocks)
        # the hour's twenty floats in ROLLUP_FIELDS order, every hour at once (the same
        # values as hour_fields/hour_packed, built without a dict per hour)
        table = np.stack([blocks.values[q].reshape(-1, 2) for q in QUANTITIES], axis=1).reshape(
            -1, len(ROLLUP_FIELDS)
        )
        packed = [base64.b64encode(row.tobytes()).decode("ascii") for row in table.astype("<f8")]
        hour_us = ((first_block + 2 * np.arange(n_blocks // 2)) * 1800 * 10**6).tolist()
        rows = [
            (asset.asset_id, us, (*values, text, 0))
            for us, values, text in zip(hour_us, table.tolist(), packed, strict=True)
        ]
        store.write_rows(
            PointRows(
                "energy",
                (*ROLLUP_FIELDS, PACKED_FIELD, "baseline_version"),
                (float,) * len(ROLLUP_FIELDS) + (str, int),
                rows,
            )
        )
        # daily rollups by the platform's own maintenance function, from the stored hours
        store.write(daily_points(asset_id=asset.asset_id, edges=edges))
        us = (t_s[raw] * 10**6).tolist()
        ev = list(
            zip(kw[raw].tolist(), kva[raw].tolist(), kvar[raw].tolist(), current[raw].tolist(), strict=True)
        )
        store.write_rows(
            PointRows(
                "events",
                ("power_kw", "apparent_power_kva", "reactive_power_kvar", "current_a"),
                (float,) * 4,
                [(asset.asset_id, u, v) for u, v in zip(us, ev, strict=True)],
            )
        )
        store.write_rows(
            PointRows("features", ("energy_gap_s",), (float,), [(asset.asset_id, u, (0.0,)) for u in us])
        )
        if i % 20 == 0:
            print(
                f"  loaded {i + 1}/{len(assets)} assets ({time.perf_counter() - started:.0f} s)", flush=True
            )
    return tenant, assets


def raw_fleet_month(tenant, assets, lo: datetime, hi: datetime) -> dict:
    """The fleet-month summary computed from raw events and features, without rollups."""
    from analytics.energy.blocks import Blocks, integrate
    from analytics.energy.calendar import block_of
    from analytics.energy.ledger import billing_range, ledger_build
    from analytics.energy.selectors import tariff_versions
    from analytics.energy.services import SiteSettings, interval_input
    from analytics.energy.summary import summarize
    from ingestion.models import Site

    site = Site.objects.get(tenant=tenant, code="main")
    settings = SiteSettings.of(site)
    first, end = block_of(lo), block_of(hi)
    b0, b1 = billing_range(settings.calendar, first, end)
    total = Blocks.zeros(b0, b1 - b0)
    for asset in assets:
        found = interval_input(asset, settings, lo, hi)
        if found is None:
            continue
        blocks = integrate(found[0], b0, b1 - b0)
        for name, values in blocks.values.items():
            total.values[name] += values
    ledger = ledger_build(
        site="main", calendar=settings.calendar, grid_factor_t_per_mwh=settings.grid_factor_t_per_mwh,
        blocks=total, versions=[t.version() for t in tariff_versions(site=site)],
        contract_demand_kva=settings.contract_demand_kva, stand_alone=False,
    )  # fmt: skip
    return summarize(
        ledgers=[ledger],
        calendar=settings.calendar,
        first=first,
        end=end,
        bucket="month",
        n_assets=len(assets),
    )


def same_as_hours(a, b, path: str = "") -> None:
    """The daily-rollup answer equals the hourly one: numbers to 1e-9 relative."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            same_as_hours(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same_as_hours(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-9, (path, a, b)
    else:
        assert a == b, (path, a, b)


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 assets, 1 repeat")
    args = parser.parse_args()
    n_assets, repeat = (20, 1) if args.quick else (args.assets, args.repeat)

    from pdm_project.devservices import InfluxdServer

    year_start, raw_start, end = periods(datetime.now(IST).date())
    with (
        tempfile.TemporaryDirectory(prefix="pdm-energy-bench-") as data_dir,
        InfluxdServer.launch() as server,
    ):
        setup_django(server.url, data_dir)
        from analytics.energy.selectors import energy_summary

        print(
            f"fleet of {n_assets} assets, rollups {year_start:%Y-%m-%d} .. {end:%Y-%m-%d}, raw from {raw_start:%Y-%m-%d}"
        )
        started = time.perf_counter()
        tenant, assets = load_fleet(n_assets, year_start, raw_start, end)
        load_s = time.perf_counter() - started
        print(f"loaded in {load_s:.0f} s")

        fleet_s, from_rollups = timed(
            lambda: energy_summary(
                tenant=tenant, scope="fleet", scope_id=None, start=raw_start, end=end, bucket="month"
            ),
            repeat,
        )
        raw_s, from_raw = timed(lambda: raw_fleet_month(tenant, assets, raw_start, end), 1)
        a, b = from_rollups["totals"], from_raw["totals"]
        for key in ("energy_kwh", "apparent_energy_kvah", "max_demand_kva"):
            assert abs(a[key] - b[key]) <= 1e-9 * abs(b[key]), (key, a[key], b[key])
        for key in ("energy", "time_of_day", "pf_adjustment", "demand", "fixed", "total"):
            assert abs(a["cost"][key] - b["cost"][key]) <= 1e-9 * abs(b["cost"][key]) + 1e-9, key
        year_s, yearly = timed(
            lambda: energy_summary(
                tenant=tenant,
                scope="asset",
                scope_id=assets[0].asset_id,
                start=year_start,
                end=end,
                bucket="day",
            ),
            max(repeat, 3),
        )
        hourly_s, from_hours = timed(
            lambda: energy_summary(
                tenant=tenant,
                scope="asset",
                scope_id=assets[0].asset_id,
                start=year_start,
                end=end,
                bucket="day",
                daily_rollups=False,
            ),
            max(repeat, 3),
        )
        same_as_hours(yearly, from_hours)
        from analytics.energy.calendar import block_of
        from analytics.energy.selectors import rollup_blocks, rollup_blocks_unpacked

        span = {"asset_id": assets[0].asset_id, "first": block_of(year_start), "end": block_of(end)}
        packed_s, packed = timed(lambda: rollup_blocks(**span), max(repeat, 3))
        fields_s, unpacked = timed(lambda: rollup_blocks_unpacked(**span), max(repeat, 3))
        for name, values in unpacked.values.items():
            assert np.array_equal(values, packed.values[name]), name
        ratio = raw_s / fleet_s
        print(
            f"fleet month from rollups: {fleet_s:.3f} s; from raw events: {raw_s:.2f} s; ratio {ratio:.1f} (claim >= 20)"
        )
        print(
            f"asset year by day: {year_s:.3f} s for {len(yearly['series'])} days (claim < 0.2 s); "
            f"from the hourly rollups {hourly_s:.3f} s (same-run reference, same figures)"
        )
        print(
            f"asset year read: packed field {packed_s:.3f} s, twenty fields {fields_s:.3f} s "
            f"(same-run reference; speed-up {fields_s / packed_s:.1f}x, same floats)"
        )
        print(
            f"fleet month: {a['energy_kwh']:.1f} kWh, cost {a['cost']['total']:.2f} INR (same from raw events)"
        )
        print(
            json.dumps(
                {
                    "assets": n_assets,
                    "fleet_month_s": round(fleet_s, 4),
                    "raw_fleet_month_s": round(raw_s, 3),
                    "ratio": round(ratio, 1),
                    "asset_year_daily_s": round(year_s, 4),
                    "asset_year_days": len(yearly["series"]),
                    "asset_year_daily_from_hours_s": round(hourly_s, 4),
                    "asset_year_read_packed_s": round(packed_s, 4),
                    "asset_year_read_fields_s": round(fields_s, 4),
                    "read_speedup": round(fields_s / packed_s, 1),
                    "load_s": round(load_s, 1),
                    "ratio_ok": ratio >= 20,
                    "asset_year_ok": year_s < 0.2,
                }
            )
        )


if __name__ == "__main__":
    main()
