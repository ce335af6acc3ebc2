"""Throughput of `python -m generator simulate`: events/s for a 100-asset, 30-day fleet.

Times the whole pipeline the CLI runs (grid/process/thermal models, vectorised waveform
synthesis and feature extraction, JSON-lines formatting, writing events + per-event
labels + manifest to disk). Default fleet: 100 assets (the `--assets 100` mix, one of
each failure mode) x 30 days at a 60 s interval = 4.32 M sample slots; the waveform
model synthesises one 0.2 s window at 20.48 kHz per asset per hour (72,900 windows of
4096 samples) and interpolates per-event features between them (docs/generator.md).

Reference measured in the same run: `json.dumps` of the same events as Python dicts
(read back from the output), i.e. the cost of merely serialising what the generator
produces; the ratio says how the full simulation compares with that.

    python benchmarks/generator.py [--assets 100] [--days 30] [--interval-s 60] [--workers 1]

The last output line is one JSON object with `events_per_s` and the config.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

_ROOT = Path(__file__).resolve().parents[1]
# this file is named generator.py: make `import generator` find the package, not this script
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(_ROOT))

from generator.output import write_simulation  # noqa: E402
from generator.scenario import build_fleet, scenario_from_flags  # noqa: E402

FAULTS = ["bearing_outer", "bearing_inner", "imbalance", "misalignment", "overheating", "electrical"]
GOAL = 100_000


def reference_json_dumps(events_path: Path, n: int = 200_000) -> float:
    with events_path.open() as fh:
        dicts = [json.loads(line) for line in itertools.islice(fh, n)]
    t0 = time.perf_counter()
    out = [json.dumps(d) for d in dicts]
    elapsed = time.perf_counter() - t0
    assert len(out) == len(dicts)
    return len(dicts) / elapsed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--assets", type=int, default=100)
    p.add_argument("--days", type=float, default=30.0)
    p.add_argument("--interval-s", type=int, default=60)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--labels-format", choices=("events", "intervals"), default="events")
    p.add_argument("--out-dir", help="keep the files here (default: a temporary directory, removed)")
    args = p.parse_args(argv)

    faults = FAULTS[: min(len(FAULTS), args.assets)]
    scenario = scenario_from_flags(
        seed=args.seed, assets=str(args.assets), days=args.days, interval_s=args.interval_s, faults=faults
    )
    fleet = build_fleet(scenario)
    wf = scenario.waveform
    anchors = (
        int(-(-fleet.duration_s // wf.anchor_interval_s)) + 1 if wf.anchor_interval_s > args.interval_s else 0
    )
    config = {
        "assets": args.assets,
        "days": args.days,
        "interval_s": args.interval_s,
        "seed": args.seed,
        "faults": faults,
        "workers": args.workers,
        "labels_format": args.labels_format,
        "sample_slots": fleet.n_steps * args.assets,
        "waveform_sample_rate_hz": wf.sample_rate_hz,
        "waveform_window_s": wf.window_s,
        "waveform_anchor_interval_s": wf.anchor_interval_s,
        "waveform_windows": args.assets * (anchors + 8) if anchors else fleet.n_steps * args.assets,
        "cpu_count": os.cpu_count(),
    }
    print(
        f"fleet: {args.assets} assets x {args.days:g} days @ {args.interval_s} s "
        f"({config['sample_slots']:,} sample slots), faults {','.join(faults)}, workers {args.workers}"
    )
    print(
        f"waveforms: {config['waveform_windows']:,} windows of {wf.window_s:g} s at {wf.sample_rate_hz:g} Hz "
        f"(one per asset per {wf.anchor_interval_s:g} s)"
    )

    tmp = Path(args.out_dir) if args.out_dir else Path(tempfile.mkdtemp(prefix="gen-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    events_path, labels_path, manifest_path = tmp / "events.jsonl", tmp / "labels.jsonl", tmp / "assets.json"
    try:
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        result = write_simulation(
            fleet,
            events_path,
            labels_path,
            manifest_path,
            labels_format=args.labels_format,
            workers=args.workers,
        )
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        size = events_path.stat().st_size + labels_path.stat().st_size
        ref = reference_json_dumps(events_path)
    finally:
        if not args.out_dir:
            shutil.rmtree(tmp, ignore_errors=True)

    rate = result.events / wall
    out = {
        "events_per_s": round(rate),
        "events": result.events,
        "wall_s": round(wall, 2),
        "main_process_cpu_s": round(cpu, 2),
        "events_per_cpu_s": round(result.events / cpu) if args.workers == 1 and cpu > 0 else None,
        "bytes_written": size,
        "reference_json_dumps_events_per_s": round(ref),
        "ratio_vs_json_dumps": round(rate / ref, 2),
        "goal_events_per_s": GOAL,
        "meets_goal": rate >= GOAL,
        "config": config,
    }
    print(
        f"simulate : {result.events:,} events in {wall:.1f} s = {rate:,.0f} events/s ({size / 1e9:.2f} GB written)"
    )
    if args.workers == 1:
        print(
            f"cpu      : {cpu:.1f} CPU s in this process = {result.events / cpu:,.0f} events per CPU second"
        )
    print(f"reference: json.dumps of the same event dicts = {ref:,.0f} events/s")
    print(f"ratio    : generator / json.dumps = {rate / ref:.2f} (goal >= {GOAL:,} events/s: {rate >= GOAL})")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
