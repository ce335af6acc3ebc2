"""Evaluation fleets' configuration: what one fleet of the evaluation benchmarks simulates.

One *fleet* = one generator seed: 6 faulty assets (one per failure mode, onset after the
72 h default baseline window, run to failure) + healthy assets, 60 s interval, ~14 days.
`FleetConfig` turns into the generator scenario of that fleet; the command-line options shared
by `detection.py` and `rul.py` choose the configs. Kept apart from running the fleets
(`_fleet_eval.py`) because the config is also part of the cache key (`_fleet_cache.py`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODES = ("bearing_outer", "bearing_inner", "imbalance", "misalignment", "overheating", "electrical")
# the generator's degradation-law families (generator/laws.py FAMILIES)
FAMILIES = ("exponential", "power_law", "logistic", "linear_accelerating", "step_ramp", "intermittent")
# Asset types, in fleet order: the faulty slots first (a mode is rotated over them by seed, so
# each mode meets different machine types across seeds), then the healthy ones.
FAULTY_TYPES = ("motor", "pump", "fan", "compressor", "motor", "pump")
HEALTHY_TYPES = ("motor", "pump", "fan", "compressor", "motor", "pump", "fan", "compressor")


@dataclass(frozen=True)
class FleetConfig:
    seed: int
    days: float = 14.0
    interval_s: int = 60
    n_healthy: int = 4
    modes: tuple[str, ...] = MODES
    onset_days: tuple[float, float] = (4.0, 5.0)  # after the 72 h baseline window (+1 day margin)
    ttf_days: tuple[float, float] = (4.0, 7.5)  # onset -> failure; ends >= 1.5 days before the run
    end: str = ""  # ISO date of the run's end (00:00 UTC); set by `fleet_configs`
    # The vibration sensor: 0 = every 60 s reading from its own synthesised waveform, as an online
    # condition-monitoring system reports (the generator's exact mode). The generator's default
    # (3600: one window per hour, readings interpolated between them) is a speed shortcut that
    # gives an hour one window's worth of information; the RUL fit's level scatter came from it
    # (docs/benchmarks.md, "anchor interval").
    anchor_interval_s: float = 0.0
    # Degradation-law families the faults draw from (docs/generator.md, "Degradation laws"); empty =
    # the generator's default, all six. One family gives a fleet whose every fault follows it, e.g. the
    # held-out fleets of a leave-one-family-out evaluation.
    families: tuple[str, ...] = ()

    @property
    def start(self) -> datetime:
        return datetime.combine(date.fromisoformat(self.end), dtime(), tzinfo=UTC) - timedelta(days=self.days)

    def scenario(self) -> dict:
        """The generator scenario: explicit assets and faults, drawn reproducibly from the seed."""
        rng = np.random.default_rng([self.seed, 20_251])
        n_faulty = len(self.modes)
        types = list(FAULTY_TYPES[:n_faulty]) + [
            HEALTHY_TYPES[i % len(HEALTHY_TYPES)] for i in range(self.n_healthy)
        ]
        assets = [{"type": t} for t in types]
        faults = []
        for i, mode in enumerate(self.modes):
            onset = float(np.round(rng.uniform(*self.onset_days), 3))
            ttf = float(np.round(rng.uniform(*self.ttf_days), 3))
            faults.append(
                {
                    "asset": (i + self.seed) % n_faulty,
                    "mode": mode,
                    "onset_days": onset,
                    "time_to_failure_days": ttf,
                }
            )
        doc = {
            "seed": self.seed,
            "start": self.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration_days": self.days,
            "interval_s": self.interval_s,
            "waveform": {"anchor_interval_s": self.anchor_interval_s},
            "assets": assets,
            "faults": faults,
        }
        if self.families:
            doc["degradation"] = {"families": list(self.families)}
        return doc


def default_end(today: date | None = None) -> str:
    """The most recent Monday (00:00 UTC) at or before today: stable within a week, and the run
    stays well inside the 90-day raw retention and never reaches the future."""
    today = today or datetime.now(UTC).date()
    return (today - timedelta(days=today.weekday())).isoformat()


def fleet_configs(seeds, *, end: str | None = None, **kw) -> list[FleetConfig]:
    """One config per seed. Each seed ends (seed - 1) x 2 days before `end` (mod 7) so the weekly
    off day falls at different points (in or after the baseline window) across seeds."""
    base = date.fromisoformat(end or default_end())
    return [
        FleetConfig(seed=s, end=(base - timedelta(days=((s - 1) * 2) % 7)).isoformat(), **kw) for s in seeds
    ]


def add_common_args(p) -> None:
    p.add_argument(
        "--quick", action="store_true", help="1 seed, 6 faulty + 2 healthy assets, 12 days (~3-5 min)"
    )
    p.add_argument("--seeds", type=int, nargs="+", help="generator seeds (default 1-6)")
    p.add_argument("--days", type=float, help="run length in days (default 14)")
    p.add_argument("--healthy", type=int, help="healthy assets per fleet (default 4)")
    p.add_argument("--end", help="run end date YYYY-MM-DD (00:00 UTC; default the last Monday)")
    p.add_argument(
        "--anchor-interval-s",
        type=float,
        default=0.0,
        help="generator waveform.anchor_interval_s (default 0: one waveform per reading; 3600 before 2026-12-01)",
    )
    p.add_argument(
        "--families",
        nargs="+",
        choices=FAMILIES,
        metavar="FAMILY",
        help=f"degradation-law families the faults draw from (default all: {', '.join(FAMILIES)})",
    )
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="fleets run at once")
    p.add_argument("--no-cache", action="store_true", help="re-run fleets even when a cached result exists")
    p.add_argument("--keep", action="store_true", help="keep each fleet's temp dir (SQLite, files, log)")


def configs_from_args(args) -> list[FleetConfig]:
    if args.quick:
        seeds = args.seeds or [1]
        kw = dict(
            days=args.days or 12.0,
            n_healthy=args.healthy if args.healthy is not None else 2,
            ttf_days=(3.5, 5.5),
        )
    else:
        seeds = args.seeds or [1, 2, 3, 4, 5, 6]
        kw = dict(days=args.days or 14.0, n_healthy=args.healthy if args.healthy is not None else 4)
    families = tuple(args.families or ())
    return fleet_configs(
        seeds, end=args.end, anchor_interval_s=args.anchor_interval_s, families=families, **kw
    )


def describe(configs: list[FleetConfig]) -> dict:
    c = configs[0]
    return {
        "seeds": [x.seed for x in configs],
        "days": c.days,
        "interval_s": c.interval_s,
        "anchor_interval_s": c.anchor_interval_s,
        "faulty_per_fleet": len(c.modes),
        "healthy_per_fleet": c.n_healthy,
        "modes": list(c.modes),
        "onset_days": list(c.onset_days),
        "ttf_days": list(c.ttf_days),
        "ends": [x.end for x in configs],
        "families": list(c.families) or "all",
    }
