"""Factors and explanations built only from the stored record: pure Python, no Django.

``build_factors`` turns a health result into the eight structured factors of docs/CONTRACTS.md
§13.3 (every component, sorted by share of the drop).  ``explain`` renders the text of §14 from an
``ExplainRecord`` (risk, overrides, health, factors, RUL, flags) and nothing else, so every number in
the text is a rounded copy of a stored value.  ``parse_explanation`` reads the text back into
``(name, value)`` pairs using the same templates the renderer used.

Templates use ``{name:spec}`` placeholders (``spec``: a ``format`` spec such as ``.2f``/``+.1f``, ``w``
a word, ``t`` a short text, ``ts`` an RFC 3339 time) and ``[[...]]`` for a segment printed only when
every placeholder in it has a value.  Names are the names the parser reports:

* ``risk``, ``cutoff`` (level from health alone), ``health``, ``drop`` (sum of penalties);
* ``<factor>.value|baseline_mean|baseline_std|deviation_sigma|deviation_pct|penalty|rank|zone``,
  ``<factor>.share_pct`` (= 100 x share_of_drop), ``<factor>.limits.<key>``,
  ``current.pct_of_rated`` (= 100 x value / limits.rated_a), ``temperature_rise.excess_k``
  (= value - limits.expected_k);
* ``rul.rul_days|low_days|high_days|threshold|method|channel|cap_days|min_points|min_span_h``;
* ``limits.rul_warning_days|rul_critical_days``;
* ``stale.newest_event_time`` (text), ``stale.stale_after_min``.

Number formats (docs/CONTRACTS.md §14.2): Python ``format(x, ".Nf")`` with N per quantity below.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from .health import (
    FACTORS,
    OVERRIDE_OVERCURRENT,
    OVERRIDE_RUL_CRITICAL,
    OVERRIDE_RUL_WARNING,
    OVERRIDE_TEMPERATURE_LIMIT,
    OVERRIDE_TEMPERATURE_RISE,
    OVERRIDE_ZONE_D,
    OVERRIDE_ZONE_D_ANOMALY,
    RISK_LEVELS,
    HealthInputs,
    HealthResult,
    Limits,
    health_level,
)
from .rul import CAP_DAYS, MIN_POINTS, MIN_SPAN_DAYS, RulResult

EN_DASH = "\u2013"
EM_DASH = "\u2014"

# --- structured factors (docs/CONTRACTS.md §13.3) ------------------------------------------------

FACTOR_UNITS: dict[str, str] = {
    "anomaly": "score",
    "vibration": "mm/s",
    "temperature": "°C",
    "voltage": "V",
    "frequency": "Hz",
    "power_factor": "1",
    "current": "A",
    "temperature_rise": "K",
}
FACTOR_RULES: dict[str, str] = {
    "anomaly": "anomaly_score",
    "vibration": "iso10816_zone",
    "temperature": "temperature_limits",
    "voltage": "voltage_band",
    "frequency": "frequency_band",
    "power_factor": "pf_limit",
    "current": "current_rating",
    "temperature_rise": "temperature_rise_excess",
}
# HealthInputs attribute holding each factor's input value (also the key of HealthInputs.baseline).
INPUT_FIELD: dict[str, str] = {
    "anomaly": "anomaly_score",
    "vibration": "vibration_rms_mm_s",
    "temperature": "temperature_c",
    "voltage": "voltage_v",
    "frequency": "frequency_hz",
    "power_factor": "power_factor",
    "current": "current_a",
    "temperature_rise": "temperature_rise_c",
}
# Noise floors of docs/CONTRACTS.md §6.2: deviation_sigma = (value - mean) / max(std, 0.01 |mean|, floor).
SIGMA_FLOOR: dict[str, float] = {
    "vibration": 0.1,
    "temperature": 0.5,
    "voltage": 1.0,
    "frequency": 0.02,
    "power_factor": 0.01,
    "current": 0.1,
    "temperature_rise": 0.5,
}
# Level each override sets at least (docs/CONTRACTS.md §10).
OVERRIDE_LEVEL: dict[str, str] = {
    OVERRIDE_ZONE_D: "High",
    OVERRIDE_ZONE_D_ANOMALY: "Critical",
    OVERRIDE_TEMPERATURE_LIMIT: "High",
    OVERRIDE_OVERCURRENT: "High",
    OVERRIDE_TEMPERATURE_RISE: "High",
    OVERRIDE_RUL_WARNING: "High",
    OVERRIDE_RUL_CRITICAL: "Critical",
}
HEALTH_FLOOR = 40.0  # RUL health-channel threshold (the High/Critical cut-off)


@dataclass(frozen=True)
class Factor:
    name: str  # one of health.FACTORS
    value: float | None  # input value as used (None when missing)
    unit: str
    baseline_mean: float | None
    baseline_std: float | None
    deviation_sigma: float | None
    deviation_pct: float | None
    rule: str
    limits: dict[str, Any]
    zone: str | None
    penalty: float
    share_of_drop: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Factor:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def factor_limits(name: str, inputs: HealthInputs, limits: Limits) -> dict[str, Any]:
    if name == "anomaly":
        return {"start": limits.anomaly_onset, "critical": limits.anomaly_critical}
    if name == "vibration":
        ab, bc, cd = limits.zone_boundaries
        return {
            "AB": ab,
            "BC": bc,
            "CD": cd,
            "group": limits.iso_group,
            "foundation": limits.foundation,
            "custom": limits.vibration_boundaries is not None,
        }
    if name == "temperature":
        return {"warn": limits.temperature_warn_c, "limit": limits.temperature_limit_c}
    if name == "voltage":
        return {
            "rated_v": _finite(inputs.rated_voltage_v),
            "band_pct": limits.voltage_band_pct,
            "full_pct": limits.voltage_full_pct,
        }
    if name == "frequency":
        return {
            "low_hz": limits.frequency_low_hz,
            "high_hz": limits.frequency_high_hz,
            "nominal_hz": limits.frequency_nominal_hz,
            "full_hz": limits.frequency_ramp_hz,
        }
    if name == "power_factor":
        return {"limit": limits.power_factor_limit, "floor": limits.pf_floor}
    if name == "current":
        return {
            "rated_a": _finite(inputs.rated_current_a),
            "start_pct": limits.current_ramp_start_pct,
            "limit_pct": limits.current_limit_pct,
        }
    if name == "temperature_rise":
        return {
            "expected_k": _finite(inputs.expected_temperature_rise_c),
            "onset_k": limits.temperature_rise_excess_onset_k,
            "limit_k": limits.temperature_rise_excess_limit_k,
        }
    raise ValueError(f"unknown factor {name!r}")


def _deviation_pct(name: str, inputs: HealthInputs, limits: Limits) -> float | None:
    if name == "voltage":
        return inputs.voltage_deviation_pct
    if name == "current":
        ratio = inputs.current_ratio
        return None if ratio is None else 100.0 * (ratio - 1.0)
    if name == "frequency":
        f = _finite(inputs.frequency_hz)
        if f is None:
            return None
        nom = limits.frequency_nominal_hz
        return 100.0 * (f - nom) / nom
    return None


def build_factors(result: HealthResult, inputs: HealthInputs, limits: Limits | None = None) -> list[Factor]:
    """All eight factors, sorted by share of the drop (descending), ties in component order."""
    limits = limits or Limits()
    total = result.total_penalty
    out: list[Factor] = []
    for name in FACTORS:
        field_name = INPUT_FIELD[name]
        value = _finite(getattr(inputs, field_name))
        penalty = float(result.penalties.get(name, 0.0))
        mean = std = sigma = None
        base = inputs.baseline.get(field_name) if name != "anomaly" else None
        if base is not None and _finite(base.mean) is not None:
            mean = float(base.mean)
            std = _finite(base.std)
            if value is not None:
                scale = max(std or 0.0, 0.01 * abs(mean), SIGMA_FLOOR[name])
                sigma = (value - mean) / scale
        out.append(
            Factor(
                name=name,
                value=value,
                unit=FACTOR_UNITS[name],
                baseline_mean=mean,
                baseline_std=std,
                deviation_sigma=sigma,
                deviation_pct=_deviation_pct(name, inputs, limits),
                rule=FACTOR_RULES[name],
                limits=factor_limits(name, inputs, limits),
                zone=result.zone if name == "vibration" else None,
                penalty=penalty,
                share_of_drop=penalty / total if total > 0 else 0.0,
            )
        )
    order = {n: i for i, n in enumerate(FACTORS)}
    out.sort(key=lambda f: (-f.share_of_drop, order[f.name]))
    return out


# --- the record an explanation is built from ---------------------------------------------------------


@dataclass(frozen=True)
class ExplainRecord:
    risk_level: str
    overrides: tuple[str, ...]
    health_score: int
    factors: tuple[Factor, ...]
    rul: RulResult | None = None
    stale: bool = False
    newest_event_time: datetime | None = None
    stale_after_s: float | None = None
    baseline_missing: bool = False
    #: the assessment's as_of and the time of the anomaly score used (earlier than as_of when the
    #: machine is not running steadily at as_of: the score of its last steady running, §9.1)
    as_of: datetime | None = None
    anomaly_score_time: datetime | None = None
    #: an active model, but no score since it: the machine has not run steadily since
    anomaly_not_running: bool = False
    rul_warning_days: float = 7.0
    rul_critical_days: float = 2.0

    @property
    def cutoff_level(self) -> str:
        return health_level(self.health_score)

    def factor(self, name: str) -> Factor | None:
        return next((f for f in self.factors if f.name == name), None)


# --- templates ------------------------------------------------------------------------------------------

_BASE = {
    "vibration": "[[; baseline {vibration.baseline_mean:.2f} ± {vibration.baseline_std:.2f} mm/s, "
    "{vibration.deviation_sigma:+.1f} sd]]",
    "temperature": "[[ (baseline {temperature.baseline_mean:.1f} ± {temperature.baseline_std:.1f} °C, "
    "{temperature.deviation_sigma:+.1f} sd)]]",
    "voltage": "[[; baseline {voltage.baseline_mean:.1f} ± {voltage.baseline_std:.1f} V, "
    "{voltage.deviation_sigma:+.1f} sd]]",
    "frequency": "[[ (baseline {frequency.baseline_mean:.3f} ± {frequency.baseline_std:.3f} Hz, "
    "{frequency.deviation_sigma:+.1f} sd)]]",
    "power_factor": "[[ (baseline {power_factor.baseline_mean:.3f} ± {power_factor.baseline_std:.3f}, "
    "{power_factor.deviation_sigma:+.1f} sd)]]",
    "current": "[[; baseline {current.baseline_mean:.1f} ± {current.baseline_std:.1f} A, "
    "{current.deviation_sigma:+.1f} sd]]",
    "temperature_rise": "[[ (baseline {temperature_rise.baseline_mean:.1f} ± "
    "{temperature_rise.baseline_std:.1f} K, {temperature_rise.deviation_sigma:+.1f} sd)]]",
}
FACTOR_SENTENCES: dict[str, str] = {
    "anomaly": "Anomaly score {anomaly.value:.3f} is above the onset {anomaly.limits.start:.3f} "
    "(the healthy 99.9th percentile)",
    "vibration": "Vibration {vibration.value:.2f} mm/s (15-min mean" + _BASE["vibration"] + ") is in "
    "ISO 10816-3 zone {vibration.zone:w} (group {vibration.limits.group:.0f}, "
    "{vibration.limits.foundation:w}[[, {vibration.limits_source:t}]]: A/B {vibration.limits.AB:.2f}, "
    "B/C {vibration.limits.BC:.2f}, C/D {vibration.limits.CD:.2f} mm/s)",
    "temperature": "Temperature {temperature.value:.1f} °C" + _BASE["temperature"] + " against warning "
    "{temperature.limits.warn:.1f} °C / limit {temperature.limits.limit:.1f} °C",
    "voltage": "Voltage {voltage.value:.1f} V ({voltage.deviation_pct:+.1f}% from rated "
    "{voltage.limits.rated_v:.1f} V"
    + _BASE["voltage"]
    + ") is outside the ±{voltage.limits.band_pct:.1f}% band",
    "frequency": "Frequency {frequency.value:.3f} Hz" + _BASE["frequency"] + " is outside "
    "{frequency.limits.low_hz:.3f}" + EN_DASH + "{frequency.limits.high_hz:.3f} Hz",
    "power_factor": "Power factor {power_factor.value:.3f}" + _BASE["power_factor"] + " is below the limit "
    "{power_factor.limits.limit:.3f}",
    "current": "Current {current.value:.1f} A (15-min mean" + _BASE["current"] + ") is "
    "{current.pct_of_rated:.1f}% of rated {current.limits.rated_a:.1f} A (overcurrent above "
    "{current.limits.limit_pct:.1f}%)",
    "temperature_rise": "Temperature rise over ambient {temperature_rise.value:.1f} K"
    + _BASE["temperature_rise"]
    + " is {temperature_rise.excess_k:.1f} K above the {temperature_rise.limits.expected_k:.1f} K expected "
    "at this load (penalty from +{temperature_rise.limits.onset_k:.1f} K, limit "
    "+{temperature_rise.limits.limit_k:.1f} K)",
}
OVERRIDE_SENTENCES: dict[str, str] = {
    OVERRIDE_ZONE_D: "vibration {vibration.value:.2f} mm/s is in ISO 10816-3 zone D (at or above "
    "{vibration.limits.CD:.2f} mm/s)",
    OVERRIDE_ZONE_D_ANOMALY: "vibration {vibration.value:.2f} mm/s is in ISO 10816-3 zone D and the anomaly "
    "score is {anomaly.value:.3f} (at least {anomaly.limits.critical:.3f})",
    OVERRIDE_TEMPERATURE_LIMIT: "temperature {temperature.value:.1f} °C is at or above the limit "
    "{temperature.limits.limit:.1f} °C",
    OVERRIDE_OVERCURRENT: "current {current.value:.1f} A is {current.pct_of_rated:.1f}% of rated, above "
    "{current.limits.limit_pct:.1f}%",
    OVERRIDE_TEMPERATURE_RISE: "temperature rise over ambient {temperature_rise.value:.1f} K is "
    "{temperature_rise.excess_k:.1f} K above the {temperature_rise.limits.expected_k:.1f} K expected at this "
    "load (limit +{temperature_rise.limits.limit_k:.1f} K)",
    OVERRIDE_RUL_WARNING: "remaining useful life is {rul.rul_days:.1f} days (warning horizon "
    "{limits.rul_warning_days:.1f} days)",
    OVERRIDE_RUL_CRITICAL: "remaining useful life is {rul.rul_days:.1f} days (critical horizon "
    "{limits.rul_critical_days:.1f} days)",
}
LINE_TEMPLATES: dict[str, str] = {
    "risk.health": "Risk is {risk:w} because health is {health:.0f}/100.",
    "health.factors": "Health is {health:.0f}/100 (a {drop:.1f}-point drop); factors by share of the drop:",
    "health.none": "Health is {health:.0f}/100: no factor reduces health.",
    "rul.vibration": "Remaining useful life: {rul.rul_days:.1f} days (80% interval {rul.low_days:.1f}"
    + EN_DASH
    + "{rul.high_days:.1f} days) from the {rul.method:w} fit of the vibration trend to "
    "{rul.threshold:.2f} mm/s[[ (capped at {rul.cap_days:.0f} days)]].",
    "rul.health": "Remaining useful life: {rul.rul_days:.1f} days (80% interval {rul.low_days:.1f}"
    + EN_DASH
    + "{rul.high_days:.1f} days) from the {rul.method:w} fit of the health trend to health "
    "{rul.threshold:.0f}[[ (capped at {rul.cap_days:.0f} days)]].",
    "rul.exceeded.vibration": "Remaining useful life: {rul.rul_days:.1f} days: the latest hourly vibration "
    "level is at or above {rul.threshold:.2f} mm/s.",
    "rul.exceeded.health": "Remaining useful life: {rul.rul_days:.1f} days: the latest hourly health level "
    "is below {rul.threshold:.0f}.",
    "rul.no_baseline": "Remaining useful life: not estimated (no baseline yet).",
    "rul.insufficient_history": "Remaining useful life: not estimated (less than {rul.min_span_h:.0f} h or "
    "{rul.min_points:.0f} hourly points of history).",
    "rul.no_degrading_trend": "Remaining useful life: not estimated (within the healthy band or no "
    "significantly worsening trend).",
    "rul.no_data": "Remaining useful life: not estimated (no data).",
    "stale": "Data is stale: the newest event is at {stale.newest_event_time:ts}; expected at least every "
    "{stale.stale_after_min:.1f} min.",
    "baseline_missing": "No baseline yet: the anomaly score and deviations are not available.",
    "anomaly.carried": "Not running steadily at {anomaly.as_of:ts}: the anomaly score is the one of "
    "{anomaly.score_time:ts}, the last steady running.",
    "anomaly.not_running": "No anomaly score: the machine has not run steadily since its model was trained.",
}
# Text with digits that is not a stored number (for readers that tokenise numbers).
FIXED_NUMERIC_TEXT = (r"/100\b", r"ISO 10816-3", r"15-min", r"\b99\.9th percentile", r"\b80% interval")


def factor_line_template(name: str) -> str:
    return (
        f"{{{name}.rank:.0f}}. "
        + FACTOR_SENTENCES[name]
        + f" {EM_DASH} {{{name}.penalty:.1f}} points ({{{name}.share_pct:.1f}}%)."
    )


# --- rendering ----------------------------------------------------------------------------------------

_PH = re.compile(r"\{([A-Za-z_][\w.]*):([^}]*)\}")
_OPT = re.compile(r"\[\[(.*?)\]\]")


def rfc3339(t: datetime) -> str:
    t = t.astimezone(UTC)
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        s += f".{t.microsecond:06d}"
    return s + "Z"


def parse_rfc3339(value: str) -> datetime:
    """Inverse of :func:`rfc3339` (also accepts any ISO 8601 time with an offset)."""
    t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"time without offset: {value!r}")
    return t.astimezone(UTC)


def _fmt(value: Any, spec: str) -> str:
    if spec in ("w", "t"):
        return str(value)
    if spec == "ts":
        return rfc3339(value) if isinstance(value, datetime) else str(value)
    return format(float(value), spec)


def render(template: str, values: Mapping[str, Any]) -> str:
    def optional(m: re.Match[str]) -> str:
        seg = m.group(1)
        names = [p.group(1) for p in _PH.finditer(seg)]
        return seg if all(values.get(n) is not None for n in names) else ""

    expanded = _OPT.sub(optional, template)
    return _PH.sub(lambda m: _fmt(values[m.group(1)], m.group(2)), expanded)


def _values(rec: ExplainRecord) -> dict[str, Any]:
    v: dict[str, Any] = {
        "risk": rec.risk_level,
        "cutoff": rec.cutoff_level,
        "health": rec.health_score,
        "drop": sum(f.penalty for f in rec.factors),
        "limits.rul_warning_days": rec.rul_warning_days,
        "limits.rul_critical_days": rec.rul_critical_days,
        "rul.min_points": MIN_POINTS,
        "rul.min_span_h": 24 * MIN_SPAN_DAYS,
    }
    rank = 0
    for f in rec.factors:
        n = f.name
        if f.penalty > 0:
            rank += 1
            v[f"{n}.rank"] = rank
        for key in ("value", "baseline_mean", "baseline_std", "deviation_sigma", "deviation_pct", "zone"):
            v[f"{n}.{key}"] = getattr(f, key)
        v[f"{n}.penalty"] = f.penalty
        v[f"{n}.share_pct"] = 100.0 * f.share_of_drop
        for key, lim in (f.limits or {}).items():
            v[f"{n}.limits.{key}"] = lim
    vib = rec.factor("vibration")
    if vib is not None:
        v["vibration.limits_source"] = "per-asset limits" if (vib.limits or {}).get("custom") else None
    cur = rec.factor("current")
    if cur is not None and cur.value is not None and (cur.limits or {}).get("rated_a"):
        v["current.pct_of_rated"] = 100.0 * cur.value / cur.limits["rated_a"]
    rise = rec.factor("temperature_rise")
    if rise is not None and rise.value is not None and (rise.limits or {}).get("expected_k") is not None:
        v["temperature_rise.excess_k"] = rise.value - rise.limits["expected_k"]
    rul = rec.rul
    if rul is not None:
        v.update(
            {
                "rul.rul_days": rul.rul_days,
                "rul.low_days": rul.low_days,
                "rul.high_days": rul.high_days,
                "rul.method": rul.method,
                "rul.channel": rul.channel,
                "rul.cap_days": CAP_DAYS if rul.capped else None,
            }
        )
        if rul.channel == "health":
            v["rul.threshold"] = HEALTH_FLOOR
        elif vib is not None:
            v["rul.threshold"] = vib.limits.get("CD")
    v["anomaly.as_of"] = rec.as_of
    v["anomaly.score_time"] = rec.anomaly_score_time
    if rec.newest_event_time is not None:
        v["stale.newest_event_time"] = rec.newest_event_time
    if rec.stale_after_s is not None:
        v["stale.stale_after_min"] = rec.stale_after_s / 60.0
    return v


def _deciding_overrides(rec: ExplainRecord) -> list[str]:
    rank = {lvl: i for i, lvl in enumerate(RISK_LEVELS)}
    if rank[rec.risk_level] <= rank[rec.cutoff_level]:
        return []
    return [o for o in rec.overrides if OVERRIDE_LEVEL.get(o) == rec.risk_level]


def _rul_key(rul: RulResult | None) -> str:
    if rul is None:
        return "rul.no_data"
    if rul.rul_days is None:
        key = f"rul.{rul.reason}"
        return key if key in LINE_TEMPLATES else "rul.no_data"
    channel = "health" if rul.channel == "health" else "vibration"
    if rul.reason == "threshold_exceeded":
        return f"rul.exceeded.{channel}"
    return f"rul.{channel}"


def explain(rec: ExplainRecord) -> str:
    """The explanation text of docs/CONTRACTS.md §14 (lines separated by newlines)."""
    v = _values(rec)
    deciding = _deciding_overrides(rec)
    if deciding:
        reasons = "; and ".join(render(OVERRIDE_SENTENCES[o], v) for o in deciding)
        lines = [f"Risk is {rec.risk_level} because {reasons} (health alone gives {rec.cutoff_level})."]
    else:
        lines = [render(LINE_TEMPLATES["risk.health"], v)]
    shown = [f for f in rec.factors if f.penalty > 0]
    if shown:
        lines.append(render(LINE_TEMPLATES["health.factors"], v))
        lines += [render(factor_line_template(f.name), v) for f in shown]
    else:
        lines.append(render(LINE_TEMPLATES["health.none"], v))
    lines.append(render(LINE_TEMPLATES[_rul_key(rec.rul)], v))
    if rec.stale and rec.newest_event_time is not None and rec.stale_after_s is not None:
        lines.append(render(LINE_TEMPLATES["stale"], v))
    if rec.baseline_missing:
        lines.append(LINE_TEMPLATES["baseline_missing"])
    elif rec.anomaly_score_time is not None and rec.as_of is not None and rec.anomaly_score_time < rec.as_of:
        lines.append(render(LINE_TEMPLATES["anomaly.carried"], v))
    elif rec.anomaly_not_running:
        lines.append(LINE_TEMPLATES["anomaly.not_running"])
    return "\n".join(lines)


# --- parsing back -------------------------------------------------------------------------------------

_NUM_INF = r"inf"


def _spec_regex(spec: str) -> str:
    if spec == "w":
        return r"[A-Za-z][A-Za-z_]*"
    if spec == "t":
        return r"[^()\n;:,]+?"
    if spec == "ts":
        return r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{6})?Z"
    m = re.fullmatch(r"(\+?)\.(\d+)f", spec)
    if not m:
        raise ValueError(f"unsupported spec {spec!r}")
    sign = r"[-+]" if m.group(1) else r"-?"
    digits = int(m.group(2))
    body = r"\d+" if digits == 0 else rf"\d+\.\d{{{digits}}}"
    return rf"{sign}(?:{body}|{_NUM_INF})"


@dataclass
class _Compiled:
    regex: re.Pattern[str]
    names: list[tuple[str, str]] = field(default_factory=list)  # (group, name)
    specs: dict[str, str] = field(default_factory=dict)


def _compile(template: str) -> _Compiled:
    names: list[tuple[str, str]] = []
    specs: dict[str, str] = {}

    def piece(text: str) -> str:
        out, pos = [], 0
        for m in _PH.finditer(text):
            out.append(re.escape(text[pos : m.start()]))
            group = f"g{len(names)}"
            names.append((group, m.group(1)))
            specs[m.group(1)] = m.group(2)
            out.append(f"(?P<{group}>{_spec_regex(m.group(2))})")
            pos = m.end()
        out.append(re.escape(text[pos:]))
        return "".join(out)

    out, pos = [], 0
    for m in _OPT.finditer(template):
        out.append(piece(template[pos : m.start()]))
        out.append(f"(?:{piece(m.group(1))})?")
        pos = m.end()
    out.append(piece(template[pos:]))
    return _Compiled(re.compile("^" + "".join(out) + "$"), names, specs)


def _extract(c: _Compiled, m: re.Match[str]) -> list[tuple[str, float | str]]:
    hits = sorted(((m.start(g), g, n) for g, n in c.names if m.group(g) is not None))
    out: list[tuple[str, float | str]] = []
    for _, g, n in hits:
        raw = m.group(g)
        out.append((n, raw if c.specs[n] in ("w", "t", "ts") else float(raw)))
    return out


_LINES = {k: _compile(t) for k, t in LINE_TEMPLATES.items()}
_FACTOR_LINES = {n: _compile(factor_line_template(n)) for n in FACTORS}
_OVERRIDES = {k: _compile(t) for k, t in OVERRIDE_SENTENCES.items()}
_RISK_RAISED = re.compile(
    r"^Risk is (?P<risk>\w+) because (?P<reasons>.*) \(health alone gives (?P<cutoff>\w+)\)\.$"
)


def _match_one(line: str, candidates: Mapping[str, _Compiled]) -> tuple[str, list[tuple[str, float | str]]]:
    for key, c in candidates.items():
        m = c.regex.match(line)
        if m:
            return key, _extract(c, m)
    raise ValueError(f"unrecognised explanation line: {line!r}")


def parse_explanation(text: str) -> list[tuple[str, float | str]]:
    """Every value in an ``explain()`` text as ``(name, value)`` in text order (numbers as float,
    words and times as str).  Raises ValueError on a line it does not recognise."""
    lines = text.split("\n")
    out: list[tuple[str, float | str]] = []
    first = lines[0]
    m = _RISK_RAISED.match(first)
    if m and not _LINES["risk.health"].regex.match(first):
        out.append(("risk", m.group("risk")))
        for reason in m.group("reasons").split("; and "):
            out += _match_one(reason, _OVERRIDES)[1]
        out.append(("cutoff", m.group("cutoff")))
    else:
        out += _match_one(first, {"risk.health": _LINES["risk.health"]})[1]
    health_lines = {k: _LINES[k] for k in ("health.factors", "health.none")}
    out += _match_one(lines[1], health_lines)[1]
    i = 2
    while i < len(lines) and re.match(r"^\d+\. ", lines[i]):
        out += _match_one(lines[i], _FACTOR_LINES)[1]
        i += 1
    rul_lines = {k: c for k, c in _LINES.items() if k.startswith("rul.")}
    if i >= len(lines):
        raise ValueError("missing RUL line")
    out += _match_one(lines[i], rul_lines)[1]
    for line in lines[i + 1 :]:
        keys = ("stale", "baseline_missing", "anomaly.carried", "anomaly.not_running")
        out += _match_one(line, {k: _LINES[k] for k in keys})[1]
    return out


def parse_explanation_numbers(text: str) -> list[tuple[str, float]]:
    """Only the numbers of :func:`parse_explanation`, in text order."""
    return [(n, v) for n, v in parse_explanation(text) if isinstance(v, float)]
