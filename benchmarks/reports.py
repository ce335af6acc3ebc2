"""Fleet report build time (PDF and Excel) against the time of the API queries it is made of, on InfluxDB.

    python benchmarks/reports.py [--assets 100] [--days 30] [--quick]

A throwaway influxd (pdm_project.devservices) and a temporary SQLite registry hold ``--assets`` 15 kW
machines on one site with the worked-example tariff (docs/CONTRACTS.md §18.10), each with ``--days``
days at 60 s of what the pipeline leaves in the store: the features the report reads (energy, gaps,
power factor and the condition flags), the vibration readings, a health point every 15 minutes and the
hourly energy rollups with their condition sums (of the period and of the previous period of equal
length), computed by the pipeline's functions. A tenth of the
machines end at High risk with an assessment, so the report has detail pages. Then, in the same run:

* ``queries_s``: `reporting.content.report_data` for the fleet and the period, i.e. every selector call
  the API answers from (energy summaries, health, alerts, features), without rendering;
* ``pdf_s`` and ``xlsx_s``: the whole report built (the same queries plus rendering);
* ``pdf_cpu_s``, ``xlsx_cpu_s``, ``queries_cpu_s``: the CPU time of this process for each (influxd's
  is not in it), the comparable figure on a shared machine;
* ``peak_rss_mb``: the peak resident memory of this process (ru_maxrss);
* ``conditions_rollup_s`` and ``conditions_raw_s``: the §16.1 condition sums of every asset read from
  the hourly rollups (what the report does) and summed from the feature points (the reference), and
  ``conditions_equal``: whether the two agree for every asset.

Claims: fleet PDF <= 15 s, Excel <= 10 s, peak RSS <= 500 MB at 100 assets x 30 days. The last line
is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._energy_fleet import fleet_registry  # noqa: E402
from benchmarks.energy import profile, setup_django  # noqa: E402

STEP_S = 60


def load(n_assets: int, start: datetime, end: datetime):
    from analytics.energy.blocks import (
        PACKED_FIELD,
        ROLLUP_FIELDS,
        IntervalInput,
        hour_fields,
        hour_packed,
        integrate,
    )
    from analytics.energy.conditions import MIN_FIELD as COND_MIN
    from analytics.energy.conditions import SUM_FIELDS as COND_SUMS
    from analytics.energy.conditions import hourly_sums
    from assessment.models import Assessment
    from ingestion.timeseries import PointRows

    store, tenant, assets = fleet_registry(n_assets)
    prev = start - (end - start)
    t0, t1, tr = int(prev.timestamp()), int(end.timestamp()), int(start.timestamp())
    t_s = np.arange(t0, t1, STEP_S, dtype=np.int64)
    first_block, n_blocks = t0 // 1800, (t1 - t0) // 1800
    raw = t_s >= tr
    energy_names = (*ROLLUP_FIELDS, PACKED_FIELD, "baseline_version", *COND_SUMS, COND_MIN)
    energy_kinds = (
        (float,) * len(ROLLUP_FIELDS)
        + (str, int)
        + tuple(int if n.endswith("_count") else float for n in COND_SUMS)
    ) + (float,)
    started = time.perf_counter()
    for i, asset in enumerate(assets):
        rng = np.random.default_rng(i)
        kw, kva, kvar, current = profile(i, t_s, rng)
        n = t_s.size
        data = IntervalInput(
            t_s * 10**9, kw, kva, kvar, np.zeros(n, bool), current >= 2.8, (current >= 2.8) & (kw < 4.5),
            np.full(n, np.nan),
        )  # fmt: skip
        us = (t_s[raw] * 10**6).tolist()
        m = int(raw.sum())
        pf = np.where(kva[raw] > 0, kw[raw] / np.where(kva[raw] > 0, kva[raw], 1), np.nan)
        energy = np.concatenate([[0.0], (kw[raw][1:] + kw[raw][:-1]) / 2 * STEP_S / 3600])
        volt_out = (rng.random(m) < 0.01).astype(float)
        freq_out = (rng.random(m) < 0.02).astype(float)
        faulty = i % 10 == 0
        vib = 1.2 + 0.1 * rng.standard_normal(m) + (np.linspace(0, 4, m) if faulty else 0)
        store.write_rows(
            PointRows(
                "events", ("vibration_rms_mm_s", "power_kw"), (float, float),
                [(asset.asset_id, u, v) for u, v in zip(us, zip(vib.tolist(), kw[raw].tolist(), strict=True), strict=True)],
            )
        )  # fmt: skip
        feature_rows = [
            (asset.asset_id, u, (e, 0.0, float(STEP_S), None if np.isnan(p) else p, float(p < 0.9), vo, fo))
            for u, e, p, vo, fo in zip(us, energy.tolist(), pf.tolist(), volt_out.tolist(), freq_out.tolist(), strict=True)
        ]  # fmt: skip
        names = ("energy_kwh", "energy_gap_s", "interval_s", "power_factor", "low_pf", "voltage_out_of_band",
                 "frequency_out_of_band")  # fmt: skip
        store.write_rows(PointRows("features", names, (float,) * len(names), feature_rows))
        # the hourly rollups as the pipeline leaves them: blocks and the hour's condition sums, both
        # computed by the pipeline's own functions (analytics.energy.services._window_points)
        blocks = integrate(data, first_block, n_blocks)
        conditions = hourly_sums(
            (
                (datetime.fromtimestamp(u / 1e6, UTC), dict(zip(names, values, strict=True)))
                for _, u, values in feature_rows
            ),
            prev,
            n_blocks // 2,
        )
        rows = []
        for h in range(n_blocks // 2):
            sums = conditions[h].rollup_fields()
            rows.append(
                (
                    asset.asset_id,
                    (first_block + 2 * h) * 1800 * 10**6,
                    (
                        *hour_fields(blocks, 2 * h).values(),
                        hour_packed(blocks, 2 * h),
                        0,
                        *(sums[name] for name in COND_SUMS),
                        sums.get(COND_MIN),
                    ),
                )
            )
        store.write_rows(PointRows("energy", energy_names, energy_kinds, rows))
        grid = us[::15]
        health = np.clip(
            96 - (np.linspace(0, 60, len(grid)) if faulty else 0) + rng.standard_normal(len(grid)), 0, 100
        )
        risk = ["High" if h < 50 else "Low" for h in health]
        store.write_rows(
            PointRows(
                "health", ("health_score", "risk_level", "risk_code", "stale"), (int, str, int, int),
                [(asset.asset_id, u, (int(h), r, 2 if r == "High" else 0, 0)) for u, h, r in zip(grid, health, risk, strict=True)],
            )
        )  # fmt: skip
        if faulty:
            Assessment.objects.create(
                asset=asset, as_of=datetime.fromtimestamp(grid[-1] / 1e6, UTC), evaluated_at=end,
                health_score=int(health[-1]), risk_level=risk[-1], risk_code=2,
                explanation=f"Risk is High because health is {int(health[-1])}/100.",
                factors=[{"name": "vibration", "value": float(vib[-1]), "unit": "mm/s", "penalty": 40.0,
                          "share_of_drop": 1.0}],
            )  # fmt: skip
        if i % 20 == 0:
            print(
                f"  loaded {i + 1}/{len(assets)} assets ({time.perf_counter() - started:.0f} s)", flush=True
            )
    return tenant


def _same(a, b) -> bool:
    """Two ConditionSums equal: counts and minimum exactly, sums up to float addition order."""
    exact = ("gap_count", "interval_count", "pf_count", "pf_min")
    sums = ("gap_s", "pf_sum", "low_pf_s", "voltage_out_of_band_s", "frequency_out_of_band_s")
    return all(getattr(a, k) == getattr(b, k) for k in exact) and all(
        abs(getattr(a, k) - getattr(b, k)) <= 1e-9 * max(1.0, abs(getattr(b, k))) for k in sums
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="20 assets")
    args = parser.parse_args()
    if args.quick:
        args.assets = 20

    from pdm_project.devservices import InfluxdServer

    end = (datetime.now(UTC) - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=args.days)
    with (
        tempfile.TemporaryDirectory(prefix="pdm-reports-bench-") as data_dir,
        InfluxdServer.launch() as server,
    ):
        setup_django(server.url, data_dir)
        from analytics.selectors import features_condition_sums, period_condition_sums
        from reporting.content import report_data
        from reporting.models import Report
        from reporting.render import report_render

        print(f"fleet of {args.assets} assets, {start:%Y-%m-%d} .. {end:%Y-%m-%d} at {STEP_S} s")
        started = time.perf_counter()
        tenant = load(args.assets, start, end)
        print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)

        t, cpu = time.perf_counter(), time.process_time()
        data = report_data(tenant=tenant, scope="fleet", scope_id="", start=start, end=end)
        queries_s = time.perf_counter() - t
        assert len(data.assets) == args.assets and data.has_data
        queries_cpu_s = time.process_time() - cpu
        times, sizes, cpu_s = {}, {}, {}
        for fmt in ("pdf", "xlsx"):
            report = Report(
                tenant=tenant, scope="fleet", scope_id="", period_start=start, period_end=end, format=fmt,
                expires_at=end,
            )  # fmt: skip
            t, cpu = time.perf_counter(), time.process_time()
            content = report_render(report=report)
            times[fmt] = time.perf_counter() - t
            cpu_s[fmt] = time.process_time() - cpu
            sizes[fmt] = len(content)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ids = [section.asset.asset_id for section in data.assets]
        t = time.perf_counter()
        rolled = [period_condition_sums(asset_id=a, start=start, end=end) for a in ids]
        rollup_s = time.perf_counter() - t
        t = time.perf_counter()
        summed = [features_condition_sums(asset_id=a, start=start, end=end) for a in ids]
        raw_s = time.perf_counter() - t
        equal = all(_same(a, b) for a, b in zip(rolled, summed, strict=True))
        print(
            f"§16.1 condition sums of all assets: {rollup_s:.2f} s from the hourly rollups, {raw_s:.2f} s "
            f"from the feature points ({raw_s / rollup_s:.1f}x); equal: {equal}"
        )
        print(f"API queries of the report (report_data): {queries_s:.2f} s")
        print(f"fleet PDF: {times['pdf']:.2f} s ({sizes['pdf'] / 1e6:.2f} MB; claim <= 15 s)")
        print(f"fleet Excel: {times['xlsx']:.2f} s ({sizes['xlsx'] / 1e6:.2f} MB; claim <= 10 s)")
        print(f"peak RSS: {peak_mb:.0f} MB (claim <= 500 MB)")
        print(
            json.dumps(
                {
                    "assets": args.assets,
                    "days": args.days,
                    "pdf_s": round(times["pdf"], 2),
                    "xlsx_s": round(times["xlsx"], 2),
                    "queries_s": round(queries_s, 2),
                    "pdf_cpu_s": round(cpu_s["pdf"], 2),
                    "xlsx_cpu_s": round(cpu_s["xlsx"], 2),
                    "queries_cpu_s": round(queries_cpu_s, 2),
                    "pdf_over_queries": round(times["pdf"] / queries_s, 2),
                    "peak_rss_mb": round(peak_mb, 1),
                    "conditions_rollup_s": round(rollup_s, 2),
                    "conditions_raw_s": round(raw_s, 2),
                    "conditions_equal": equal,
                    "pdf_ok": times["pdf"] <= 15,
                    "xlsx_ok": times["xlsx"] <= 10,
                    "rss_ok": peak_mb <= 500,
                }
            )
        )


if __name__ == "__main__":
    main()
