"""Throughput of the analytics core: features + anomaly scoring, in memory.

Builds a synthetic fleet (default 10 assets x 30 days at a 10 s interval) with numpy,
fits one anomaly model per asset on its first 7 days (not timed in the throughput), then
times ``compute_features`` + scoring over the whole series of every asset, as the pipeline
does it: the features joined with the events' own readings (``analytics.selectors.model_frame``;
the instantaneous residuals need them), then ``AnomalyModel.score_frame``.  The machines never
stop, so every event is scored (stopped events are not scored in the product, which would
only make this faster).

Reference measured in the same run: a plain pandas time-based rolling mean of one column
(``Series.rolling('1h').mean()``), so the ratio shows the cost of the full feature set.

"Per core" = events / CPU seconds of this process (``time.process_time``); BLAS/OpenMP
pools are limited to one thread.  The last output line is one JSON object.

    python benchmarks/analytics.py [--assets 10] [--days 30] [--interval-s 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.anomaly import fit_anomaly_model  # noqa: E402
from analytics.features import AssetContext, compute_features  # noqa: E402

RATED_KW = 37.0
RATED_V = 400.0
RATED_A = 68.0  # 37 kW shaft at 400 V, PF 0.86, efficiency 0.92
RATED_RPM = 1480.0


def synthetic_asset(days: float, interval_s: float, seed: int, start: str = "2024-01-01") -> pd.DataFrame:
    """Healthy motor: 3-shift load cycle driving power, current, PF and a lagged temperature."""
    rng = np.random.default_rng(seed)
    n = int(days * 86400 / interval_s)
    t0 = pd.Timestamp(start, tz="UTC")
    # slight jitter keeps the spacing irregular like real telemetry
    offs = np.arange(n) * interval_s + rng.uniform(0, 0.2 * interval_s, n)
    idx = t0 + pd.to_timedelta(offs, unit="s")
    shift = (offs // (8 * 3600)).astype(np.int64)
    level = rng.uniform(0.4, 0.95, shift.max() + 1)[shift]
    alpha = min(1.0, interval_s / 300.0)
    load = pd.Series(level).ewm(alpha=alpha).mean().to_numpy() + rng.normal(0, 0.02, n)
    load = np.clip(load, 0.05, 1.1)
    p_kw = RATED_KW * load
    volt = RATED_V + 2.0 * np.sin(2 * np.pi * offs / 86400) + rng.normal(0, 1.0, n)
    pf = 0.72 + 0.16 * np.sqrt(load) + rng.normal(0, 0.004, n)
    cur = p_kw * 1000 / (np.sqrt(3) * volt * pf)
    freq = 50 + rng.normal(0, 0.01, n)
    amb = 22 + 4 * np.sin(2 * np.pi * (offs / 3600 - 9) / 24)
    heat = pd.Series(38 * load**2).ewm(alpha=min(1.0, interval_s / 2400.0)).mean().to_numpy()
    temp = amb + 8 + heat + rng.normal(0, 0.25, n)
    rms = 1.8 + 0.4 * load + rng.normal(0, 0.08, n)
    kurt = 3.0 + rng.normal(0, 0.15, n)
    return pd.DataFrame(
        {
            "voltage_v": volt,
            "current_a": cur,
            "power_factor": pf,
            "frequency_hz": freq,
            "temperature_c": temp,
            "vibration_rms_mm_s": rms,
            "vibration_kurtosis": kurt,
            "power_kw": p_kw,
            "apparent_power_kva": p_kw / pf,
            "reactive_power_kvar": p_kw * np.tan(np.arccos(np.clip(pf, 0.01, 1.0))),
            "ambient_temperature_c": amb,
            "rpm": 1500.0 - 20.0 * load + rng.normal(0, 0.3, n),
        },
        index=pd.DatetimeIndex(idx, name="time"),
    )


def model_frame(feats: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """The pipeline's model frame (analytics.selectors.model_frame, without Django)."""
    return feats.join(events[[c for c in events.columns if c not in feats.columns]])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assets", type=int, default=10)
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--interval-s", type=float, default=10.0)
    ap.add_argument("--train-days", type=float, default=7.0)
    args = ap.parse_args(argv)

    ctx = AssetContext(
        rated_voltage_v=RATED_V, rated_power_kw=RATED_KW, rated_current_a=RATED_A, rated_rpm=RATED_RPM
    )
    fleet = [synthetic_asset(args.days, args.interval_s, seed) for seed in range(args.assets)]
    n_events = sum(len(f) for f in fleet)

    # models (fit time reported separately, not part of the throughput)
    fit_cpu = 0.0
    models = []
    for ev in fleet:
        train_ev = ev[ev.index < ev.index[0] + pd.Timedelta(days=args.train_days)]
        c0 = time.process_time()
        feats = model_frame(compute_features(train_ev, context=ctx), train_ev)
        models.append(fit_anomaly_model(feats.iloc[len(feats) // 7 :], random_state=0))
        fit_cpu += time.process_time() - c0

    # reference: plain pandas rolling mean over one column
    ref_cpu = float("inf")
    for _ in range(3):
        c0 = time.process_time()
        for ev in fleet:
            ev["power_kw"].rolling("1h").mean()
        ref_cpu = min(ref_cpu, time.process_time() - c0)

    feat_cpu = score_cpu = 0.0
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    w0 = time.perf_counter()
    scored = 0
    high = 0
    for ev, model in zip(fleet, models, strict=True):
        c0 = time.process_time()
        feats = compute_features(ev, context=ctx)
        c1 = time.process_time()
        scores = model.score_frame(model_frame(feats, ev))["anomaly_score"]
        c2 = time.process_time()
        feat_cpu += c1 - c0
        score_cpu += c2 - c1
        scored += int(scores.notna().sum())
        high += int((scores >= 0.5).sum())
    wall = time.perf_counter() - w0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    total_cpu = feat_cpu + score_cpu
    result = {
        "assets": args.assets,
        "days": args.days,
        "interval_s": args.interval_s,
        "events": n_events,
        "feature_columns": int(feats.shape[1]),
        "model_inputs": len(models[0].input_names),
        "features_cpu_s": round(feat_cpu, 3),
        "scoring_cpu_s": round(score_cpu, 3),
        "wall_s": round(wall, 3),
        "user_s": round(ru1.ru_utime - ru0.ru_utime, 3),
        "sys_s": round(ru1.ru_stime - ru0.ru_stime, 3),
        "minor_page_faults": ru1.ru_minflt - ru0.ru_minflt,
        "features_events_per_s": round(n_events / feat_cpu),
        "scoring_events_per_s": round(n_events / score_cpu),
        "events_per_s_per_core": round(n_events / total_cpu),
        "reference_pandas_rolling_mean_events_per_s": round(n_events / ref_cpu),
        "overhead_vs_reference": round((n_events / ref_cpu) / (n_events / total_cpu), 1),
        "fit_cpu_s_total": round(fit_cpu, 3),
        "share_scores_ge_0_5": round(high / max(scored, 1), 4),
        "scored_events": int(scored),
        "goal_events_per_s_per_core": 200_000,
    }
    print(f"fleet: {args.assets} assets x {args.days:g} days @ {args.interval_s:g} s = {n_events} events")
    print(f"features : {feat_cpu:8.2f} CPU s  ({result['features_events_per_s']:>10,} events/s)")
    print(f"scoring  : {score_cpu:8.2f} CPU s  ({result['scoring_events_per_s']:>10,} events/s)")
    print(f"total    : {total_cpu:8.2f} CPU s  ({result['events_per_s_per_core']:>10,} events/s per core)")
    print(
        f"           user {result['user_s']:.2f} s, sys {result['sys_s']:.2f} s (page faults), wall {wall:.2f} s"
    )
    print(
        f"reference: pandas rolling('1h').mean() on one column "
        f"{result['reference_pandas_rolling_mean_events_per_s']:,} events/s "
        f"(full pipeline is {result['overhead_vs_reference']}x slower)"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
