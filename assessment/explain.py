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

Where the parts live: the factors in ``assessment.factors``, the templates in
``assessment.explain_templates``, the parser in ``assessment.explain_parse``; this module renders
and is the public face of all of them (``__all__``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .explain_parse import parse_explanation, parse_explanation_numbers
from .explain_templates import (
    EM_DASH,
    EN_DASH,
    FACTOR_SENTENCES,
    FIXED_NUMERIC_TEXT,
    HEALTH_FLOOR,
    LINE_TEMPLATES,
    OPTIONAL,
    OVERRIDE_LEVEL,
    OVERRIDE_SENTENCES,
    PLACEHOLDER,
    factor_line_template,
)
from .factors import (
    FACTOR_RULES,
    FACTOR_UNITS,
    INPUT_FIELD,
    SIGMA_FLOOR,
    Factor,
    build_factors,
    factor_limits,
)
from .health import RISK_LEVELS, health_level
from .rul import CAP_DAYS, MIN_POINTS, MIN_SPAN_DAYS, RulResult

__all__ = [
    "EM_DASH",
    "EN_DASH",
    "FACTOR_RULES",
    "FACTOR_SENTENCES",
    "FACTOR_UNITS",
    "FIXED_NUMERIC_TEXT",
    "HEALTH_FLOOR",
    "INPUT_FIELD",
    "LINE_TEMPLATES",
    "OVERRIDE_LEVEL",
    "OVERRIDE_SENTENCES",
    "SIGMA_FLOOR",
    "ExplainRecord",
    "Factor",
    "build_factors",
    "explain",
    "factor_limits",
    "factor_line_template",
    "parse_explanation",
    "parse_explanation_numbers",
    "parse_rfc3339",
    "render",
    "rfc3339",
]

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


# --- rendering ----------------------------------------------------------------------------------------


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
        names = [p.group(1) for p in PLACEHOLDER.finditer(seg)]
        return seg if all(values.get(n) is not None for n in names) else ""

    expanded = OPTIONAL.sub(optional, template)
    return PLACEHOLDER.sub(lambda m: _fmt(values[m.group(1)], m.group(2)), expanded)


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
