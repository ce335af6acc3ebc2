"""Factors and explanations (assessment/explain.py): every printed number is a stored number."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.explain import (
    ExplainRecord,
    Factor,
    build_factors,
    explain,
    parse_explanation,
    parse_explanation_numbers,
)
from assessment.health import FACTORS, BaselineStat, HealthInputs, Limits, assess_health, assess_risk
from assessment.rul import RulResult

# Documented precision (decimals) of each printed quantity (docs/CONTRACTS.md §14.2), restated
# independently of the module, shared with the service-level check.
from tests.assessment.explain_check import FIXED_TEXT, NUMBER, TIMESTAMP, VALUE_DECIMALS


def _inputs(**kw) -> HealthInputs:
    base = dict(
        vibration_rms_mm_s=6.2,
        temperature_c=88.0,
        voltage_v=380.0,
        rated_voltage_v=415.0,
        frequency_hz=49.7,
        power_factor=0.82,
        current_a=33.0,
        rated_current_a=30.0,
        anomaly_score=0.85,
        temperature_rise_c=52.0,
        expected_temperature_rise_c=31.5,
        baseline={
            "vibration_rms_mm_s": BaselineStat(1.1, 0.2),
            "temperature_c": BaselineStat(60.0, 2.0),
            "temperature_rise_c": BaselineStat(30.0, 2.5),
            "voltage_v": BaselineStat(412.0, 3.0),
            "power_factor": BaselineStat(0.9, 0.01),
        },
    )
    base.update(kw)
    return HealthInputs(**base)


def record_for(inputs, limits, rul=None, **kw) -> ExplainRecord:
    result = assess_health(inputs, limits)
    risk = assess_risk(result, inputs, limits, None if rul is None else rul.rul_days)
    factors = tuple(build_factors(result, inputs, limits))
    return ExplainRecord(
        risk_level=risk.level,
        overrides=risk.overrides,
        health_score=result.health_score,
        factors=factors,
        rul=rul,
        **kw,
    )


def stored_value(name: str, rec: ExplainRecord) -> tuple[float | str, int | None]:
    """(stored value, decimals) for a parsed name, looked up independently of the parser."""
    if name in ("health", "risk"):
        return (rec.health_score, 0) if name == "health" else (rec.risk_level, None)
    if name == "cutoff":
        return (
            "Low"
            if rec.health_score >= 80
            else "Medium"
            if rec.health_score >= 60
            else "High"
            if rec.health_score >= 40
            else "Critical"
        ), None
    if name == "drop":
        return sum(f.penalty for f in rec.factors), 1
    if name.startswith("limits."):
        return getattr(rec, name.split(".", 1)[1]), 1
    if name.startswith("stale."):
        if name == "stale.newest_event_time":
            return rec.newest_event_time.strftime("%Y-%m-%dT%H:%M:%SZ"), None
        return rec.stale_after_s / 60.0, 1
    if name.startswith("rul."):
        key = name.split(".", 1)[1]
        if key == "threshold":
            if rec.rul.channel == "health":
                return 40.0, 0
            return rec.factor("vibration").limits["CD"], 2
        if key == "cap_days":
            return 365.0, 0
        if key == "min_points":
            return 12.0, 0
        if key == "min_span_h":
            return 24.0, 0
        if key in ("method", "channel"):
            return getattr(rec.rul, key), None
        return getattr(rec.rul, key), 1
    fname, key = name.split(".", 1)
    f = rec.factor(fname)
    if key == "rank":
        shown = [x.name for x in rec.factors if x.penalty > 0]
        return shown.index(fname) + 1, 0
    if key == "share_pct":
        return 100.0 * f.share_of_drop, 1
    if key == "penalty":
        return f.penalty, 1
    if key in ("deviation_pct", "deviation_sigma"):
        return getattr(f, key), 1
    if key == "pct_of_rated":
        return 100.0 * f.value / f.limits["rated_a"], 1
    if key == "excess_k":
        return f.value - f.limits["expected_k"], 1
    if key == "zone":
        return f.zone, None
    if key.startswith("limits."):
        lim = key.split(".", 1)[1]
        if lim in ("group",):
            return f.limits[lim], 0
        if lim == "foundation":
            return f.limits[lim], None
        return f.limits[lim], (1 if lim.endswith("_pct") else VALUE_DECIMALS[fname])
    return getattr(f, key), VALUE_DECIMALS[fname]


def check_numbers(text: str, rec: ExplainRecord) -> list[tuple[str, float | str]]:
    parsed = parse_explanation(text)
    masked = re.sub(TIMESTAMP, " ", text)
    for pat in FIXED_TEXT:
        masked = re.sub(pat, " ", masked)
    tokens = NUMBER.findall(masked)
    numbers = [(n, v) for n, v in parsed if isinstance(v, float)]
    # every number in the text is accounted for, in order
    assert [v for _, v in numbers] == [float(x) for x in tokens], (text, parsed)
    for (name, value), token in zip(numbers, tokens, strict=True):
        stored, dec = stored_value(name, rec)
        assert abs(value - stored) <= 0.5 * 10**-dec + 1e-9 * max(1.0, abs(stored)), (name, value, stored)
        printed_decimals = len(token.split(".")[1]) if "." in token else 0
        assert printed_decimals == dec, (name, token)
    for name, value in parsed:
        if isinstance(value, str) and name not in ("vibration.limits_source",):
            assert value == stored_value(name, rec)[0], name
    return parsed


def test_all_eight_factors_sorted_with_shares_deviations_and_limits():
    inputs, limits = _inputs(), Limits()
    result = assess_health(inputs, limits)
    factors = build_factors(result, inputs, limits)
    assert sorted(f.name for f in factors) == sorted(FACTORS)
    order = {n: i for i, n in enumerate(FACTORS)}
    assert [f.name for f in factors] == sorted(
        FACTORS, key=lambda n: (-result.penalties[n] / result.total_penalty, order[n])
    )
    assert sum(f.share_of_drop for f in factors) == pytest.approx(1.0)
    by = {f.name: f for f in factors}
    total = sum(result.penalties.values())
    assert by["vibration"].share_of_drop == pytest.approx(result.penalties["vibration"] / total)
    assert by["vibration"].deviation_sigma == pytest.approx((6.2 - 1.1) / 0.2)
    assert by["vibration"].zone == "C" and by["vibration"].rule == "iso10816_zone"
    assert by["vibration"].limits == {
        "AB": 2.3,
        "BC": 4.5,
        "CD": 7.1,
        "group": 1,
        "foundation": "rigid",
        "custom": False,
    }
    assert by["voltage"].deviation_pct == pytest.approx((380 - 415) / 415 * 100)
    assert by["voltage"].limits == {"rated_v": 415.0, "band_pct": 6.0, "full_pct": 10.0}
    assert by["current"].deviation_pct == pytest.approx(10.0)
    assert by["current"].limits == {"rated_a": 30.0, "start_pct": 100.0, "limit_pct": 120.0}
    assert by["frequency"].deviation_pct == pytest.approx(-0.6)
    assert by["power_factor"].deviation_sigma == pytest.approx((0.82 - 0.9) / 0.01)
    # the PF floor of §6.2 (0.01) and the relative floor 0.01 |mean| keep sigma finite
    assert by["anomaly"].baseline_mean is None and by["anomaly"].deviation_sigma is None
    assert by["current"].baseline_mean is None  # no baseline statistics given for current
    units = {f.name: f.unit for f in factors}
    assert units == {
        "anomaly": "score",
        "vibration": "mm/s",
        "temperature": "°C",
        "voltage": "V",
        "frequency": "Hz",
        "power_factor": "1",
        "current": "A",
        "temperature_rise": "K",
    }
    # 52.0 K over ambient, 31.5 K expected: excess 20.5 K, 10.5 of the 20 K ramp from +10 K
    assert by["temperature_rise"].penalty == pytest.approx(20.0 * 10.5 / 20.0)
    assert by["temperature_rise"].deviation_sigma == pytest.approx((52.0 - 30.0) / 2.5)
    assert by["temperature_rise"].rule == "temperature_rise_excess"
    assert by["temperature_rise"].limits == {"expected_k": 31.5, "onset_k": 10.0, "limit_k": 30.0}
    assert json.loads(json.dumps([f.to_dict() for f in factors]))[0]["name"] == factors[0].name
    assert Factor.from_dict(factors[0].to_dict()) == factors[0]


def test_zero_penalty_factors_are_kept_but_not_explained():
    inputs = _inputs(
        temperature_c=50.0,
        voltage_v=415.0,
        frequency_hz=50.0,
        power_factor=0.95,
        current_a=20.0,
        anomaly_score=None,
        temperature_rise_c=None,
    )
    limits = Limits()
    rec = record_for(inputs, limits, baseline_missing=True)
    assert len(rec.factors) == 8 and rec.factors[0].name == "vibration"
    assert rec.factors[0].share_of_drop == 1.0
    assert [f.penalty for f in rec.factors[1:]] == [0.0] * 7
    assert [f.name for f in rec.factors[1:]] == [n for n in FACTORS if n != "vibration"]  # component order
    text = explain(rec)
    assert text.count("\n1. ") == 1 and "\n2. " not in text
    assert text.endswith("No baseline yet: the anomaly score and deviations are not available.")
    check_numbers(text, rec)


def test_worked_example_text_of_the_contract():
    # docs/CONTRACTS.md §9.4 / §14.3: PUMP-07, group 2 rigid, rated 415 V / 28 A.
    inputs = HealthInputs(
        vibration_rms_mm_s=3.6,
        temperature_c=84.0,
        voltage_v=409.2,
        rated_voltage_v=415.0,
        frequency_hz=49.97,
        power_factor=0.86,
        current_a=26.1,
        rated_current_a=28.0,
        anomaly_score=0.72,
        baseline={
            "vibration_rms_mm_s": BaselineStat(1.62, 0.18),
            "temperature_c": BaselineStat(66.2, 2.1),
            "power_factor": BaselineStat(0.88, 0.01),
        },
    )
    limits = Limits(iso_group=2, foundation="rigid")
    rul = RulResult(18.34, 12.61, 29.77, None, "exponential", False, "vibration")
    rec = record_for(inputs, limits, rul)
    text = explain(rec)
    assert text == (
        "Risk is High because health is 51/100.\n"
        "Health is 51/100 (a 49.3-point drop); factors by share of the drop:\n"
        "1. Vibration 3.60 mm/s (15-min mean; baseline 1.62 ± 0.18 mm/s, +11.0 sd) is in ISO 10816-3 zone C "
        "(group 2, rigid: A/B 1.40, B/C 2.80, C/D 4.50 mm/s) — 24.4 points (49.5%).\n"
        "2. Anomaly score 0.720 is above the onset 0.500 (the healthy 99.9th percentile) — 17.6 points (35.7%).\n"
        "3. Temperature 84.0 °C (baseline 66.2 ± 2.1 °C, +8.5 sd) against warning 80.0 °C / limit 95.0 °C "
        "— 5.3 points (10.8%).\n"
        "4. Power factor 0.860 (baseline 0.880 ± 0.010, -2.0 sd) is below the limit 0.900 — 2.0 points (4.1%).\n"
        "Remaining useful life: 18.3 days (80% interval 12.6\u201329.8 days) from the exponential fit of the "
        "vibration trend to 4.50 mm/s."
    )
    check_numbers(text, rec)


def test_raised_risk_names_the_deciding_overrides():
    # zone D + anomaly 0.95 -> Critical by zone_d_anomaly; zone_d (High) does not decide the level
    inputs = _inputs(
        vibration_rms_mm_s=8.0,
        temperature_c=60.0,
        voltage_v=415.0,
        frequency_hz=50.0,
        power_factor=0.95,
        current_a=20.0,
        anomaly_score=0.95,
    )
    limits = Limits(weights={"vibration": 0.1, "anomaly": 0.1})  # keep health high: only overrides raise
    rec = record_for(inputs, limits)
    assert rec.cutoff_level == "Low" and rec.risk_level == "Critical"
    text = explain(rec)
    assert text.startswith(
        "Risk is Critical because vibration 8.00 mm/s is in ISO 10816-3 zone D and the anomaly score is "
        "0.950 (at least 0.900) (health alone gives Low).\n"
    )
    check_numbers(text, rec)
    # two High overrides decide together
    inputs = _inputs(
        vibration_rms_mm_s=1.0,
        temperature_c=96.0,
        current_a=40.0,
        voltage_v=415.0,
        frequency_hz=50.0,
        power_factor=0.95,
        anomaly_score=0.1,
    )
    rec = record_for(inputs, Limits(weights={"temperature": 0.1, "current": 0.1}))
    text = explain(rec)
    assert text.splitlines()[0] == (
        "Risk is High because temperature 96.0 °C is at or above the limit 95.0 °C; and current 40.0 A is "
        "133.3% of rated, above 120.0% (health alone gives Low)."
    )
    check_numbers(text, rec)


@pytest.mark.parametrize(
    ("rul", "sentence"),
    [
        (None, "Remaining useful life: not estimated (no data)."),
        (
            RulResult(None, None, None, "no_baseline", None),
            "Remaining useful life: not estimated (no baseline yet).",
        ),
        (
            RulResult(None, None, None, "no_degrading_trend", None),
            "Remaining useful life: not estimated (within the healthy band or no significantly worsening trend).",
        ),
        (
            RulResult(None, None, None, "insufficient_history", None),
            "Remaining useful life: not estimated (less than 24 h or 12 hourly points of history).",
        ),
        (
            RulResult(0.0, 0.0, 0.0, "threshold_exceeded", None, False, "vibration"),
            "Remaining useful life: 0.0 days: the latest hourly vibration level is at or above 7.10 mm/s.",
        ),
        (
            RulResult(0.0, 0.0, 0.0, "threshold_exceeded", None, False, "health"),
            "Remaining useful life: 0.0 days: the latest hourly health level is below 40.",
        ),
        (
            RulResult(300.0, 150.0, 365.0, None, "linear", True, "health"),
            "Remaining useful life: 300.0 days (80% interval 150.0\u2013365.0 days) from the linear fit of the "
            "health trend to health 40 (capped at 365 days).",
        ),
    ],
)
def test_rul_sentences(rul, sentence):
    healthy = _inputs(
        vibration_rms_mm_s=1.0,
        temperature_c=50.0,
        voltage_v=415.0,
        frequency_hz=50.0,
        power_factor=0.95,
        current_a=20.0,
        anomaly_score=0.2,
        temperature_rise_c=30.0,
    )
    rec = record_for(healthy, Limits(), rul)
    text = explain(rec)
    lines = text.splitlines()
    if rul is not None and rul.rul_days == 0.0:
        # RUL 0 triggers rul_7d and rul_2d; only rul_2d decides the level
        assert lines[0] == (
            "Risk is Critical because remaining useful life is 0.0 days (critical horizon 2.0 days) "
            "(health alone gives Low)."
        )
    else:
        assert lines[0] == "Risk is Low because health is 100/100."
    assert lines[1] == "Health is 100/100: no factor reduces health."
    assert text.splitlines()[-1] == sentence
    check_numbers(text, rec)


def test_stale_line_names_the_newest_event_and_the_expected_interval():
    newest = datetime(2025, 1, 15, 6, 30, tzinfo=UTC)
    rec = record_for(_inputs(), Limits(), stale=True, newest_event_time=newest, stale_after_s=900.0)
    text = explain(rec)
    assert (
        "\nData is stale: the newest event is at 2025-01-15T06:30:00Z; expected at least every 15.0 min."
        in text
    )
    parsed = check_numbers(text, rec)
    assert ("stale.newest_event_time", "2025-01-15T06:30:00Z") in parsed


def test_unknown_text_is_refused():
    with pytest.raises(ValueError):
        parse_explanation("Risk is Low because the moon is full.")
    with pytest.raises(ValueError):
        parse_explanation("Risk is Low because health is 100/100.\nHealth is fine.")


baseline_st = st.dictionaries(
    st.sampled_from(
        ["vibration_rms_mm_s", "temperature_c", "voltage_v", "frequency_hz", "power_factor", "current_a"]
    ),
    st.builds(BaselineStat, st.floats(0, 500), st.floats(0, 50)),
)
opt = lambda lo, hi: st.one_of(st.none(), st.floats(lo, hi))  # noqa: E731


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        HealthInputs,
        vibration_rms_mm_s=opt(0, 30),
        temperature_c=opt(-20, 200),
        voltage_v=opt(150, 600),
        rated_voltage_v=st.sampled_from([230.0, 400.0, 415.0]),
        frequency_hz=opt(45, 55),
        power_factor=opt(0, 1),
        current_a=opt(0, 100),
        rated_current_a=st.floats(1, 60),
        anomaly_score=opt(0, 1),
        baseline=baseline_st,
    ),
    st.sampled_from([(1, "rigid"), (1, "flexible"), (2, "rigid"), (2, "flexible"), "custom"]),
    st.one_of(
        st.none(),
        st.builds(
            lambda a, b, c, capped, ch, m: RulResult(
                min(a, 365), min(a, b, 365), min(max(a, c), 365), None, m, capped, ch
            ),
            st.floats(0, 500),
            st.floats(0, 500),
            st.floats(0, 500),
            st.booleans(),
            st.sampled_from(["vibration", "health"]),
            st.sampled_from(["linear", "exponential"]),
        ),
        st.sampled_from(
            [
                RulResult(None, None, None, "no_degrading_trend", None),
                RulResult(None, None, None, "insufficient_history", None),
                RulResult(None, None, None, "no_baseline", None),
                RulResult(0.0, 0.0, 0.0, "threshold_exceeded", None, False, "vibration"),
                RulResult(0.0, 0.0, 0.0, "threshold_exceeded", None, False, "health"),
            ]
        ),
    ),
    st.booleans(),
    st.floats(60, 86400),
)
def test_every_number_parses_back_to_its_stored_value(inputs, iso, rul, stale, stale_after_s):
    if iso == "custom":
        limits = Limits.for_asset(
            2, "rigid", vibration_zone_ab_mm_s=1.0, vibration_zone_bc_mm_s=2.0, vibration_zone_cd_mm_s=3.0
        )
    else:
        limits = Limits(iso_group=iso[0], foundation=iso[1])
    rec = record_for(
        inputs,
        limits,
        rul,
        stale=stale,
        newest_event_time=datetime(2025, 3, 1, 12, 0, 7, tzinfo=UTC),
        stale_after_s=stale_after_s,
        baseline_missing=inputs.anomaly_score is None,
    )
    text = explain(rec)
    check_numbers(text, rec)
    assert parse_explanation_numbers(text)  # at least the health score
