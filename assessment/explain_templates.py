"""The text templates of the explanation (docs/CONTRACTS.md §14.1): one catalogue shared by the
renderer (``assessment.explain``) and the parser (``assessment.explain_parse``), so the text and
what is read back from it cannot drift apart.

Templates use ``{name:spec}`` placeholders (``spec``: a ``format`` spec such as ``.2f``/``+.1f``,
``w`` a word, ``t`` a short text, ``ts`` an RFC 3339 time) and ``[[...]]`` for a segment printed only
when every placeholder in it has a value.
"""

from __future__ import annotations

import re

from .health import (
    OVERRIDE_OVERCURRENT,
    OVERRIDE_RUL_CRITICAL,
    OVERRIDE_RUL_WARNING,
    OVERRIDE_TEMPERATURE_LIMIT,
    OVERRIDE_TEMPERATURE_RISE,
    OVERRIDE_ZONE_D,
    OVERRIDE_ZONE_D_ANOMALY,
)

EN_DASH = "\u2013"
EM_DASH = "\u2014"

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


#: a placeholder ``{name:spec}`` and an optional segment ``[[...]]``
PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*):([^}]*)\}")
OPTIONAL = re.compile(r"\[\[(.*?)\]\]")
