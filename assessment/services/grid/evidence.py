"""Numbers relative to the asset's own healthy baseline that a grid point's record carries: the
temperature rise expected at this load (§9.1) and the guidance's baseline-relative evidence (§15.5).

A machine is compared with itself: a spectral band's healthy level differs by orders of magnitude
between machines, and the healthy temperature rise depends on the machine's cooling, so both are
read against this asset's baseline, never against a fleet-wide constant.
"""

from __future__ import annotations

import math
from typing import Any

from analytics.baseline import ColumnStats
from analytics.selectors import ActiveBaseline

from ...health import expected_temperature_rise
from ...supply import at_similar_load
from .series import num

# Guidance evidence relative to the asset's own healthy baseline (§15.5): key -> feature column.
# Spectral band values are compared as ratios to the baseline median (their healthy level differs
# by orders of magnitude between machines); power factor and temperature rise as differences.
GUIDANCE_RATIOS = {
    "vibration_1x_ratio": "vibration_1x_mm_s__mean_15m",
    "vibration_2x_ratio": "vibration_2x_mm_s__mean_15m",
    "envelope_bpfo_ratio": "envelope_bpfo_g__mean_15m",
    "envelope_bpfi_ratio": "envelope_bpfi_g__mean_15m",
}
GUIDANCE_DIFFERENCES = {
    # key -> (feature column, baseline column, sign): sign * (value - baseline median)
    "temperature_rise_excess_c": ("temperature_rise_c", "temperature_rise_c", 1.0),
    "power_factor_drop": ("power_factor__mean_15m", "power_factor__mean_15m", -1.0),
}


def baseline_stat(
    baseline: ActiveBaseline, signal: str, columns: tuple[str, ...] | None = None
) -> ColumnStats | None:
    """The baseline statistics of a signal: its own column, else its 15-min mean (or the given
    columns, in order); None when none has a finite mean."""
    stats = baseline.stats
    for col in columns or (signal, f"{signal}__mean_15m"):
        if col in stats:
            st = stats.stats(col)
            if math.isfinite(st.mean):
                return st
    return None


def temperature_rise(ev: dict[str, Any]) -> float | None:
    """Frame temperature over the ambient reading of the same event; None without ambient (the
    room's own swing would then pass for the machine's heating)."""
    t, amb = num(ev.get("temperature_c")), num(ev.get("ambient_temperature_c"))
    return None if t is None or amb is None else t - amb


def expected_rise_at(*, baseline: ActiveBaseline | None, feat: dict[str, Any]) -> float | None:
    """The healthy rise over ambient at this row's load (§9.1 temperature rise): the baseline
    median rise scaled up by the load ratio squared above the baseline median 1-h load."""
    if baseline is None or "temperature_rise_c" not in baseline.stats:
        return None
    rise = baseline.stats.stats("temperature_rise_c").p50
    load_stat = baseline_stat(baseline, "current_a", ("current_a__mean_1h", "current_a__mean_15m"))
    loads = [
        x
        for x in (num(feat.get("current_a__mean_15m")), num(feat.get("current_a__mean_1h")))
        if x is not None
    ]
    return expected_temperature_rise(
        healthy_rise_c=rise,
        load_a=max(loads) if loads else None,
        healthy_load_a=None if load_stat is None else load_stat.p50,
    )


def guidance_baseline_evidence(
    *, baseline: ActiveBaseline | None, feat: dict[str, Any]
) -> dict[str, float | None]:
    """The guidance's baseline-relative numbers (keys of GUIDANCE_RATIOS and GUIDANCE_DIFFERENCES);
    None where the value, the baseline or its median is missing (old baselines, sensors without
    spectral bands): no evidence, no words."""
    out: dict[str, float | None] = {}
    stats = None if baseline is None else baseline.stats
    for key, col in GUIDANCE_RATIOS.items():
        x = num(feat.get(col))
        med = stats.stats(col).p50 if stats is not None and col in stats else None
        ok = x is not None and med is not None and math.isfinite(med) and med > 0
        out[key] = round(x / med, 3) if ok else None  # type: ignore[operator]  # ok: both are numbers
    for key, (col, base_col, sign) in GUIDANCE_DIFFERENCES.items():
        x = num(feat.get(col))
        med = stats.stats(base_col).p50 if stats is not None and base_col in stats else None
        ok = x is not None and med is not None and math.isfinite(med)
        out[key] = round(sign * (x - med), 4) if ok else None  # type: ignore[operator]  # ok: both are numbers
    # An induction motor's PF falls with its load: below the healthy load a lower PF is expected
    # and says nothing about the machine (the same condition as rule:low_pf, §15.1).
    if out.get("power_factor_drop") is not None:
        current = num(feat.get("current_a__mean_15m"))
        i_stat = baseline_stat(baseline, "current_a") if baseline is not None else None
        base_current = None if i_stat is None else i_stat.mean
        if current is None or not at_similar_load(current, base_current):
            out["power_factor_drop"] = None
    return out
