"""Energy estimates against the digital twin's energy labels (docs/generator.md "Energy").

    python benchmarks/energy_truth.py [--seeds 1,2,3] [--days 20] [--healthy 5] [--start 2026-11-07]

Each seed is one generator fleet (60 s events from 00:00Z of ``--start``, 72 h healthy baseline
window from the first event) with one asset per lossy fault mode (bearing_outer, bearing_inner, imbalance,
misalignment, electrical; onset after the window) and ``--healthy`` healthy assets, made by the
public CLI with its labels. The events go through the platform's energy functions exactly as
the pipeline applies them to stored events (``analytics/energy``: derived power of CONTRACTS §4,
running rule, idle share 30 % of rated power, healthy power model fitted on the window, 30-minute
block integration; 60 s data has no gaps), and the estimates are compared with the labels:

* lossy faults: degradation loss over the degradation period (the whole UTC hours from the one
  holding ``degrading_start`` to the one before ``failure_time``) against the labelled extra
  energy of the same hours (``extra_energy`` lines): claim within +-25 %;
* healthy machines: |loss| after the window against consumption: claim < 2 %;
* idle energy of every machine over the run against the labelled ``idle_kwh``: claim +-10 %.

What any mean-based healthy model can reach is measured beside it from the healthy twin (the same
machine at the same process load without the fault, generator/truth.py; evaluation only, the
estimator never sees it). Per lossy fault, as shares of the labelled extra energy X over the
degradation period D:

* ``floor_error``: the twin's energy over D minus the same healthy power model fitted on the twin's
  whole run (an unlimited healthy window, D included) over D: the process load's own fluctuation in
  D against its long-run cell means, which no per-cell mean can know (``floor_share``: the same as a
  share of the machine's consumption over D);
* ``window_bias``: ``loss_error - floor_error``: the 72 h window's cell means against the long-run
  ones (what a longer healthy window narrows).

The last line is one JSON object with every figure and whether each claim holds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.energy.blocks import NS_PER_HOUR, IntervalInput, integrate  # noqa: E402
from analytics.energy.calendar import SiteCalendar  # noqa: E402
from analytics.energy.healthy import HealthyPowerModel, cell_keys  # noqa: E402
from analytics.running import running_mask  # noqa: E402
from generator.fleet import asset_schedule, simulate_site  # noqa: E402
from generator.scenario import build_fleet, scenario_from_flags  # noqa: E402
from generator.truth import asset_truth  # noqa: E402
from ingestion.derived import derived_columns  # noqa: E402
from ingestion.site_rules import DEFAULT_SHIFTS  # noqa: E402

LOSSY = ("bearing_outer", "bearing_inner", "imbalance", "misalignment", "electrical")
WINDOW_NS = 72 * 3600 * 10**9
HOUR_NS = 3600 * 10**9
IDLE_SHARE = 0.30


def ns(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()) * 10**9


#: the first event of the claim's fleets: a Saturday, so the 72 h window holds two working days and the
#: weekly off day (the weekday the window starts on changes which cells it sees and for how long)
DEFAULT_START = "2026-11-07"


def simulate(seed: int, days: int, healthy: int, out: Path, start: datetime) -> tuple[Path, Path, Path]:
    files = (out / f"events-{seed}.jsonl", out / f"labels-{seed}.jsonl", out / f"assets-{seed}.json")
    subprocess.run(
        [
            sys.executable, "-m", "generator", "simulate", "--seed", str(seed), "--assets", str(len(LOSSY) + healthy),
            "--days", str(days), "--interval-s", "60", "--faults", ",".join(LOSSY),
            "--start", start.isoformat().replace("+00:00", "Z"), "--labels-format", "intervals",
            "--out", str(files[0]), "--labels", str(files[1]), "--manifest", str(files[2]),
        ],
        check=True, cwd=ROOT, capture_output=True,
    )  # fmt: skip
    return files


def twin_power(
    seed: int, days: int, healthy: int, start: datetime
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per asset (sample times ns, extra input power kW = faulty minus healthy twin, noise-free) of
    the same fleet the CLI simulated (same scenario flags, so the same random streams)."""
    scenario = scenario_from_flags(
        seed=seed, assets=str(len(LOSSY) + healthy), days=days, interval_s=60, faults=list(LOSSY), start=start
    )
    fleet = build_fleet(scenario)
    site = simulate_site(fleet)
    t_ns = (round(site.start_epoch) + site.t_rel.astype(np.int64)) * 10**9
    out = {}
    for asset in fleet.assets:
        energy = asset_truth(fleet, asset, site, asset_schedule(fleet, asset, site)).energy
        out[asset.asset_id] = (t_ns, energy.extra_kw)
    return out


def floor_error(
    t: np.ndarray,
    p: np.ndarray,
    running: np.ndarray,
    rated_kw: float,
    calendar: SiteCalendar,
    period: tuple[int, int],
) -> tuple[float, float]:
    """(twin energy over ``period`` minus the model fitted on the whole twin run over it, twin kWh):
    the error of a healthy power model with an unlimited healthy window, ``p`` the twin's power."""
    idle = running & (p < IDLE_SHARE * rated_kw)
    keys = cell_keys(calendar, t, idle)
    data = IntervalInput(t, p, p, p, np.zeros(t.size, bool), running, idle, np.full(t.size, np.nan))
    model = HealthyPowerModel.fit(data, keys, (int(t[0]), int(t[-1]) + 1))
    healthy = model.predict(keys, p)
    rows = np.arange(1, t.size)
    ok = running[1:] & running[:-1] & np.isfinite(healthy[1:])
    ok &= (t[1:] >= period[0]) & (t[1:] < period[1])
    rows = rows[ok]
    hours = (t[rows] - t[rows - 1]) / NS_PER_HOUR
    twin = float(((p[rows - 1] + p[rows]) / 2 * hours).sum())
    return twin - float((healthy[rows] * hours).sum()), twin


def evaluate(
    events_path: Path,
    labels_path: Path,
    manifest_path: Path,
    calendar: SiteCalendar,
    twins: dict[str, tuple[np.ndarray, np.ndarray]],
) -> list[dict]:
    manifest = {a["asset_id"]: a for a in json.loads(manifest_path.read_text())["assets"]}
    columns: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    with events_path.open("rb") as fh:
        for line in fh:
            e = orjson.loads(line)
            c = columns[e["asset_id"]]
            c["t"].append(ns(e["timestamp"]))
            for k in ("voltage_v", "current_a", "power_factor", "rpm"):
                c[k].append(e.get(k, np.nan))
    assets, hourly = {}, defaultdict(dict)
    for line in labels_path.read_text().splitlines():
        rec = json.loads(line)
        if rec["type"] == "asset":
            assets[rec["asset_id"]] = rec
        elif rec["type"] == "extra_energy":
            hourly[rec["asset_id"]][ns(rec["start"])] = rec["energy_kwh"]
    results = []
    for asset_id, c in columns.items():
        spec, label = manifest[asset_id], assets[asset_id]
        t = np.array(c["t"], dtype=np.int64)
        s, p, q = map(
            np.array,
            derived_columns(
                voltage_v=c["voltage_v"], current_a=c["current_a"], power_factor=c["power_factor"],
                three_phase=[spec["phase"] == "three"] * t.size,
            ),
        )  # fmt: skip
        running = running_mask(
            np.array(c["current_a"]), spec["rated_current_a"], np.array(c["rpm"]), spec["rated_rpm"]
        )
        idle = running & (p < IDLE_SHARE * spec["rated_power_kw"])
        data = IntervalInput(t, p, s, q, np.zeros(t.size, bool), running, idle, np.full(t.size, np.nan))
        keys = cell_keys(calendar, t, idle)
        window = (int(t[0]), int(t[0]) + WINDOW_NS)
        healthy = HealthyPowerModel.fit(data, keys, window).predict(keys, p)
        healthy[t < window[1]] = np.nan
        data = replace(data, healthy_kw=healthy)
        first = int(t[0] // HOUR_NS) * 2
        n = int((t[-1] // HOUR_NS) + 1) * 2 - first
        blocks = integrate(data, first, n)
        row = {
            "asset_id": asset_id,
            "mode": label["mode"],
            "idle_kwh": float(blocks.values["idle_kwh"].sum()),
            "idle_kwh_label": label["energy"]["idle_kwh"],
        }
        loss = blocks.values["model_kwh"] - blocks.values["healthy_kwh"]
        if label["mode"] in LOSSY:
            h0 = ns(label["degrading_start"]) // HOUR_NS
            h1 = ns(label["failure_time"]) // HOUR_NS
            sel = slice((h0 * 2) - first, (h1 * 2) - first)
            row["loss_kwh"] = float(loss[sel].sum())
            row["extra_kwh_label"] = float(sum(hourly[asset_id].get(h * HOUR_NS, 0.0) for h in range(h0, h1)))
            row["modelled_share"] = float(
                blocks.values["model_s"][sel].sum() / max(blocks.values["running_s"][sel].sum(), 1)
            )
            row["loss_error"] = (
                row["loss_kwh"] / row["extra_kwh_label"] - 1 if row["extra_kwh_label"] else None
            )
            t_twin, extra_kw = twins[asset_id]
            twin_p = p - extra_kw[np.searchsorted(t_twin, t)]
            floor_kwh, twin_kwh = floor_error(
                t, twin_p, running, spec["rated_power_kw"], calendar, (h0 * HOUR_NS, h1 * HOUR_NS)
            )
            row["extra_share"] = row["extra_kwh_label"] / (twin_kwh + row["extra_kwh_label"])
            if row["extra_kwh_label"]:
                row["floor_error"] = floor_kwh / row["extra_kwh_label"]
                row["floor_share"] = floor_kwh / (twin_kwh + row["extra_kwh_label"])
                row["window_bias"] = row["loss_error"] - row["floor_error"]
        elif label["mode"] is None:
            after = slice(int(window[1] // HOUR_NS) * 2 - first, n)
            consumption = float(blocks.values["kwh"][after].sum())
            row["loss_kwh"] = float(loss[after].sum())
            row["loss_share"] = row["loss_kwh"] / consumption if consumption else None
        row["idle_error"] = row["idle_kwh"] / row["idle_kwh_label"] - 1 if row["idle_kwh_label"] else None
        results.append(row)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--healthy", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one seed")
    parser.add_argument(
        "--start", default=DEFAULT_START, help="first event, YYYY-MM-DD (UTC midnight; default %(default)s): "
        "the weekday it falls on decides which days the 72 h window sees"
    )  # fmt: skip
    args = parser.parse_args()
    start = datetime.fromisoformat(args.start).replace(tzinfo=UTC)
    seeds = [1] if args.quick else [int(s) for s in args.seeds.split(",")]
    calendar = SiteCalendar.build(
        timezone="Asia/Kolkata", shifts=list(DEFAULT_SHIFTS), weekly_off_days=["sunday"]
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="pdm-energy-truth-") as tmp:
        for seed in seeds:
            files = simulate(seed, args.days, args.healthy, Path(tmp), start)
            twins = twin_power(seed, args.days, args.healthy, start)
            for row in evaluate(*files, calendar, twins):
                rows.append({"seed": seed, **row})
    print(f"start {start:%Y-%m-%d} ({start:%A})")
    print(
        f"{'seed':>4} {'asset':9} {'mode':14} {'loss kWh':>9} {'label kWh':>9} {'error':>7} {'idle err':>8}"
        f" {'extra/E':>7} {'floor':>7} {'window':>7}"
    )
    for r in rows:
        err = r.get("loss_error")
        label = r.get("extra_kwh_label")
        share = r.get("loss_share")
        print(
            f"{r['seed']:>4} {r['asset_id']:9} {r['mode'] or 'healthy':14} {r.get('loss_kwh', 0):9.2f} "
            f"{label if label is not None else float('nan'):9.2f} "
            f"{(f'{err:+.1%}' if err is not None else (f'{share:+.2%}c' if share is not None else '')):>7} "
            f"{r['idle_error']:+8.1%}"
            + (
                f" {r['extra_share']:7.2%} {r['floor_error']:+7.1%} {r['window_bias']:+7.1%}"
                if r.get("floor_error") is not None
                else ""
            )
        )
    faults = [r for r in rows if r["mode"] in LOSSY]
    healthy = [r for r in rows if r["mode"] is None]
    summary = {
        "start": start.strftime("%Y-%m-%d"),
        "fleets": len(seeds),
        "lossy_faults": len(faults),
        "loss_error_max_abs": max(abs(r["loss_error"]) for r in faults),
        "loss_within_25pct": sum(abs(r["loss_error"]) <= 0.25 for r in faults),
        "floor_within_25pct": sum(abs(r["floor_error"]) <= 0.25 for r in faults),
        "floor_error_max_abs": max(abs(r["floor_error"]) for r in faults),
        "healthy": len(healthy),
        "healthy_loss_share_max_abs": max(abs(r["loss_share"]) for r in healthy),
        "idle_error_max_abs": max(abs(r["idle_error"]) for r in rows if r["idle_error"] is not None),
    }
    summary["claims"] = {
        "loss_within_25pct": summary["loss_within_25pct"] == len(faults),
        "healthy_below_2pct": summary["healthy_loss_share_max_abs"] < 0.02,
        "idle_within_10pct": summary["idle_error_max_abs"] <= 0.10,
    }
    summary["rows"] = rows
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
