"""Check a stored explanation against the stored record, independently of the renderer: every number
in the text is parsed back and compared with the stored value it names, at the documented precision
(docs/CONTRACTS.md §14.2)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from assessment.explain import parse_explanation
from assessment.models import Assessment

VALUE_DECIMALS = {
    "anomaly": 3,
    "vibration": 2,
    "temperature": 1,
    "voltage": 1,
    "frequency": 3,
    "power_factor": 3,
    "current": 1,
    "temperature_rise": 1,
}
FIXED_TEXT = [r"/100\b", r"ISO 10816-3", r"15-min", r"\b99\.9th percentile", r"\b80% interval"]
TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?Z"
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def _level(h: int) -> str:
    return "Low" if h >= 80 else "Medium" if h >= 60 else "High" if h >= 40 else "Critical"


def stored_value(name: str, row: Assessment) -> tuple[object, int | None]:
    factors = {f["name"]: f for f in row.factors}
    inputs = row.inputs
    if name == "health":
        return row.health_score, 0
    if name == "risk":
        return row.risk_level, None
    if name == "cutoff":
        return _level(row.health_score), None
    if name == "drop":
        return sum(f["penalty"] for f in row.factors), 1
    if name.startswith("limits."):
        return inputs["limits"][name.split(".", 1)[1]], 1
    if name == "stale.newest_event_time":
        return inputs["newest_event_time"], None
    if name == "anomaly.as_of":
        return inputs["as_of"], None
    if name == "anomaly.score_time":
        return inputs["anomaly_score_time"], None
    if name == "stale.stale_after_min":
        return inputs["stale_after_s"] / 60.0, 1
    if name.startswith("rul."):
        key = name.split(".", 1)[1]
        if key == "threshold":
            return (
                (40.0, 0) if row.rul_channel == "health" else (inputs["limits"]["zone_boundaries_mm_s"][2], 2)
            )
        fixed = {"cap_days": 365.0, "min_points": 12.0, "min_span_h": 24.0}
        if key in fixed:
            return fixed[key], 0
        if key in ("method", "channel"):
            return getattr(row, f"rul_{key}"), None
        column = {"rul_days": "rul_days", "low_days": "rul_low_days", "high_days": "rul_high_days"}[key]
        return getattr(row, column), 1
    fname, key = name.split(".", 1)
    f = factors[fname]
    if key == "rank":
        shown = [x["name"] for x in row.factors if x["penalty"] > 0]
        return shown.index(fname) + 1, 0
    if key == "share_pct":
        return 100.0 * f["share_of_drop"], 1
    if key == "penalty":
        return f["penalty"], 1
    if key in ("deviation_pct", "deviation_sigma"):
        return f[key], 1
    if key == "pct_of_rated":
        return 100.0 * f["value"] / f["limits"]["rated_a"], 1
    if key == "excess_k":
        return f["value"] - f["limits"]["expected_k"], 1
    if key == "zone":
        return f["zone"], None
    if key == "limits_source":
        return "per-asset limits", None
    if key.startswith("limits."):
        lim = key.split(".", 1)[1]
        if lim == "group":
            return f["limits"][lim], 0
        if lim == "foundation":
            return f["limits"][lim], None
        return f["limits"][lim], (1 if lim.endswith("_pct") else VALUE_DECIMALS[fname])
    return f[key], VALUE_DECIMALS[fname]


def check_explanation(row: Assessment) -> list[tuple[str, object]]:
    text = row.explanation
    parsed = parse_explanation(text)
    masked = re.sub(TIMESTAMP, " ", text)
    for pat in FIXED_TEXT:
        masked = re.sub(pat, " ", masked)
    tokens = NUMBER.findall(masked)
    numbers = [(n, v) for n, v in parsed if isinstance(v, float)]
    assert [v for _, v in numbers] == [float(x) for x in tokens], (text, parsed)
    for (name, value), token in zip(numbers, tokens, strict=True):
        stored, dec = stored_value(name, row)
        assert stored is not None, (name, text)
        assert abs(value - stored) <= 0.5 * 10**-dec + 1e-9 * max(1.0, abs(stored)), (
            name,
            value,
            stored,
            text,
        )
        assert (len(token.split(".")[1]) if "." in token else 0) == dec, (name, token)
    for name, value in parsed:
        if isinstance(value, str):
            assert value == stored_value(name, row)[0], (name, value)
    return parsed


def as_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
