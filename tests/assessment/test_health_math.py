"""Health score and risk level (assessment/health.py): hand-computed values, boundaries, properties."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.health import (
    FACTORS,
    RISK_LEVELS,
    BaselineStat,
    HealthInputs,
    Limits,
    assess_health,
    assess_risk,
    expected_temperature_rise,
    iso_zone,
    risk_level,
)

RANK = {level: i for i, level in enumerate(RISK_LEVELS)}


def healthy(**kw) -> HealthInputs:
    base = dict(
        vibration_rms_mm_s=1.0,
        temperature_c=60.0,
        voltage_v=415.0,
        rated_voltage_v=415.0,
        frequency_hz=50.0,
        power_factor=0.95,
        current_a=20.0,
        rated_current_a=30.0,
        anomaly_score=0.2,
    )
    base.update(kw)
    return HealthInputs(**base)


# --- ISO 10816-3 zones --------------------------------------------------------------------------

TABLES = {
    (1, "rigid"): (2.3, 4.5, 7.1),
    (1, "flexible"): (3.5, 7.1, 11.0),
    (2, "rigid"): (1.4, 2.8, 4.5),
    (2, "flexible"): (2.3, 4.5, 7.1),
}


@pytest.mark.parametrize(("group", "foundation"), sorted(TABLES))
def test_zone_tables_and_boundaries_belong_to_higher_zone(group, foundation):
    ab, bc, cd = TABLES[(group, foundation)]
    limits = Limits(iso_group=group, foundation=foundation)
    assert limits.zone_boundaries == (ab, bc, cd)
    b = limits.zone_boundaries
    below = lambda x: math.nextafter(x, 0.0)  # noqa: E731
    assert iso_zone(0.0, b) == "A"
    assert iso_zone(below(ab), b) == "A"
    assert iso_zone(ab, b) == "B"
    assert iso_zone(below(bc), b) == "B"
    assert iso_zone(bc, b) == "C"
    assert iso_zone(below(cd), b) == "C"
    assert iso_zone(cd, b) == "D"
    assert iso_zone(1e6, b) == "D"
    # penalties at the boundaries: B starts at 0, C jumps to 15, D is 60
    pen = lambda v: assess_health(healthy(vibration_rms_mm_s=v), limits).penalties["vibration"]  # noqa: E731
    assert pen(below(ab)) == 0.0
    assert pen(ab) == 0.0
    assert pen((ab + bc) / 2) == pytest.approx(5.0)
    assert pen(below(bc)) == pytest.approx(10.0)
    assert pen(bc) == pytest.approx(15.0)
    assert pen((bc + cd) / 2) == pytest.approx(25.0)
    assert pen(below(cd)) == pytest.approx(35.0)
    assert pen(cd) == 60.0
    assert assess_health(healthy(vibration_rms_mm_s=cd), limits).zone == "D"


def test_unknown_iso_class_and_overridden_boundaries():
    with pytest.raises(ValueError):
        Limits(iso_group=3)
    custom = Limits.for_asset(
        2, "rigid", vibration_zone_ab_mm_s=1.0, vibration_zone_bc_mm_s=2.0, vibration_zone_cd_mm_s=3.0
    )
    assert custom.zone_boundaries == (1.0, 2.0, 3.0)
    assert iso_zone(2.0, custom.zone_boundaries) == "C"
    with pytest.raises(ValueError):
        Limits.for_asset(2, "rigid", vibration_zone_ab_mm_s=1.0)
    with pytest.raises(ValueError):
        Limits(vibration_boundaries=(3.0, 2.0, 4.0))


# --- hand-computed penalties ---------------------------------------------------------------------


def test_worked_example_group2_rigid():
    # Group 2 rigid (1.4 / 2.8 / 4.5). Penalties by hand:
    # anomaly 0.72 -> 40 * 0.22 / 0.5 = 17.6; vibration 3.6 (zone C) -> 15 + 20 * 0.8 / 1.7 = 24.4118;
    # temperature 84 -> 20 * 4 / 15 = 5.3333; voltage 409.2 / 415 -> -1.40 % -> 0; 49.97 Hz -> 0;
    # PF 0.86 -> 10 * 0.04 / 0.2 = 2.0; current 26.1 / 28 = 93 % -> 0.  Sum 49.345 -> H_raw 50.655
    # -> health floor(50.655 + 0.5) = 51 (an integer, docs/CONTRACTS.md §9).
    inputs = HealthInputs(3.6, 84.0, 409.2, 415.0, 49.97, 0.86, 26.1, 28.0, 0.72)
    r = assess_health(inputs, Limits(iso_group=2, foundation="rigid"))
    assert r.zone == "C"
    assert r.penalties["anomaly"] == pytest.approx(17.6)
    assert r.penalties["vibration"] == pytest.approx(15 + 20 * 0.8 / 1.7)
    assert r.penalties["temperature"] == pytest.approx(16 / 3)
    assert r.penalties["voltage"] == 0.0
    assert r.penalties["frequency"] == 0.0
    assert r.penalties["power_factor"] == pytest.approx(2.0)
    assert r.penalties["current"] == 0.0
    assert r.health_raw == pytest.approx(50.655, abs=1e-3)
    assert r.health_score == 51 and isinstance(r.health_score, int)
    assert risk_level(r.health_score, r.zone, 0.72, 84.0).level == "High"


@pytest.mark.parametrize(
    ("kw", "factor", "expected"),
    [
        ({"anomaly_score": 0.5}, "anomaly", 0.0),
        ({"anomaly_score": 0.75}, "anomaly", 20.0),
        ({"anomaly_score": 1.0}, "anomaly", 40.0),
        ({"temperature_c": 79.9}, "temperature", 0.0),
        ({"temperature_c": 80.0}, "temperature", 0.0),
        ({"temperature_c": 87.5}, "temperature", 10.0),
        ({"temperature_c": 95.0}, "temperature", 30.0),
        ({"voltage_v": 106.0, "rated_voltage_v": 100.0}, "voltage", 0.0),
        ({"voltage_v": 92.0, "rated_voltage_v": 100.0}, "voltage", 5.0),
        ({"voltage_v": 110.0, "rated_voltage_v": 100.0}, "voltage", 10.0),
        ({"voltage_v": 80.0, "rated_voltage_v": 100.0}, "voltage", 10.0),
        ({"frequency_hz": 49.90}, "frequency", 0.0),
        ({"frequency_hz": 50.05}, "frequency", 0.0),
        ({"frequency_hz": 49.65}, "frequency", 2.5),
        ({"frequency_hz": 50.30}, "frequency", 2.5),
        ({"frequency_hz": 49.40}, "frequency", 5.0),
        ({"frequency_hz": 48.0}, "frequency", 5.0),
        ({"power_factor": 0.90}, "power_factor", 0.0),
        ({"power_factor": 0.80}, "power_factor", 5.0),
        ({"power_factor": 0.70}, "power_factor", 10.0),
        ({"power_factor": 0.30}, "power_factor", 10.0),
        ({"current_a": 10.0, "rated_current_a": 10.0}, "current", 0.0),
        ({"current_a": 11.0, "rated_current_a": 10.0}, "current", 10.0),
        ({"current_a": 12.0, "rated_current_a": 10.0}, "current", 20.0),
        ({"current_a": 12.01, "rated_current_a": 10.0}, "current", 25.0),
    ],
)
def test_single_penalties(kw, factor, expected):
    r = assess_health(healthy(**kw), Limits())
    assert r.penalties[factor] == pytest.approx(expected, abs=1e-9)
    others = {k: v for k, v in r.penalties.items() if k != factor}
    assert all(v == 0.0 for v in others.values())
    assert r.health_score == math.floor(100.0 - expected + 0.5)
    assert isinstance(r.health_score, int)


def test_all_inputs_exactly_at_limits():
    # Each input exactly on its limit: the boundary rule decides.
    inputs = HealthInputs(
        vibration_rms_mm_s=7.1,  # C/D boundary -> zone D -> 60
        temperature_c=95.0,  # at limit -> 30
        voltage_v=106.0,  # +6 % exactly -> inside band -> 0
        rated_voltage_v=100.0,
        frequency_hz=49.90,  # band edge is in band -> 0
        power_factor=0.90,  # at limit -> 0
        current_a=12.0,  # 120 % exactly -> 20, not > 120 % so no override
        rated_current_a=10.0,
        anomaly_score=0.5,  # onset -> 0
        temperature_rise_c=55.0,  # 30 K over the expected 25 K: at the limit -> 25
        expected_temperature_rise_c=25.0,
    )
    r = assess_health(inputs, Limits())
    assert r.zone == "D"
    assert r.penalties == {
        "anomaly": 0.0,
        "vibration": 60.0,
        "temperature": 30.0,
        "voltage": 0.0,
        "frequency": 0.0,
        "power_factor": 0.0,
        "current": pytest.approx(20.0),
        "temperature_rise": 25.0,
    }
    assert r.health_score == 0.0
    risk = assess_risk(r, inputs, Limits())
    assert risk.level == "Critical"  # H = 0 < 40
    # 120 % is not above 120 %; an excess of exactly 30 K is at the limit
    assert set(risk.overrides) == {"zone_d", "temperature_limit", "temperature_rise"}
    assert "overcurrent" not in r.flags


def test_no_anomaly_model_sets_baseline_missing():
    r = assess_health(healthy(anomaly_score=None), Limits())
    assert "baseline_missing" in r.flags
    assert r.penalties["anomaly"] == 0.0
    assert r.health_score == 100.0
    r2 = assess_health(healthy(anomaly_score=0.3), Limits())
    assert "baseline_missing" not in r2.flags


def test_missing_and_invalid_inputs_give_no_penalty_and_a_flag():
    r = assess_health(
        healthy(
            vibration_rms_mm_s=None, temperature_c=float("nan"), rated_voltage_v=0.0, rated_current_a=None
        ),
        Limits(),
    )
    assert r.zone is None
    assert {"vibration_missing", "temperature_missing", "voltage_missing", "current_missing"} <= set(r.flags)
    assert r.health_score == 100.0


def test_temperature_rise_excess_ramp_and_limit():
    def rise(excess):
        return assess_health(
            healthy(temperature_rise_c=25.0 + excess, expected_temperature_rise_c=25.0), Limits()
        )

    assert rise(10.0).penalties["temperature_rise"] == 0.0  # the onset itself costs nothing
    assert "temperature_rise_high" not in rise(10.0).flags
    assert rise(20.0).penalties["temperature_rise"] == pytest.approx(10.0)  # half-way up the 10..30 K ramp
    assert "temperature_rise_high" in rise(20.0).flags
    assert rise(29.99).penalties["temperature_rise"] == pytest.approx(19.99)
    assert rise(30.0).penalties["temperature_rise"] == 25.0
    assert "temperature_rise_limit" in rise(30.0).flags
    assert rise(-8.0).penalties["temperature_rise"] == 0.0  # cooler than expected is no credit
    # risk: at least High from an excess of 30 K, whatever the health
    L = Limits()
    assert risk_level(95, "A", None, 50.0, L, temperature_rise_excess_c=29.99).level == "Low"
    assert risk_level(95, "A", None, 50.0, L, temperature_rise_excess_c=30.0) == (
        "High",
        ("temperature_rise",),
    )
    # per-asset limits move the ramp
    moved = Limits(temperature_rise_excess_onset_k=5.0, temperature_rise_excess_limit_k=15.0)
    r = assess_health(healthy(temperature_rise_c=35.0, expected_temperature_rise_c=25.0), moved)
    assert r.penalties["temperature_rise"] == pytest.approx(10.0)
    with pytest.raises(ValueError):
        Limits(temperature_rise_excess_onset_k=30.0, temperature_rise_excess_limit_k=30.0)


def test_temperature_rise_without_ambient_or_baseline_is_missing_not_normal():
    for inputs in (
        healthy(temperature_rise_c=None, expected_temperature_rise_c=25.0),
        healthy(temperature_rise_c=80.0, expected_temperature_rise_c=None),
    ):
        r = assess_health(inputs, Limits())
        assert r.penalties["temperature_rise"] == 0.0
        assert "temperature_rise_missing" in r.flags


def test_expected_rise_scales_up_with_load_squared_and_never_down():
    assert expected_temperature_rise(healthy_rise_c=20.0, load_a=30.0, healthy_load_a=20.0) == pytest.approx(
        45.0
    )
    # a lighter load keeps the healthy rise (it runs cooler, so any excess is real)
    assert expected_temperature_rise(healthy_rise_c=20.0, load_a=10.0, healthy_load_a=20.0) == 20.0
    # without a load on either side, no scaling; without a healthy rise, no expectation
    assert expected_temperature_rise(healthy_rise_c=20.0, load_a=None, healthy_load_a=20.0) == 20.0
    assert expected_temperature_rise(healthy_rise_c=20.0, load_a=30.0, healthy_load_a=0.0) == 20.0
    assert expected_temperature_rise(healthy_rise_c=None, load_a=30.0, healthy_load_a=20.0) is None
    assert expected_temperature_rise(healthy_rise_c=float("nan"), load_a=30.0, healthy_load_a=20.0) is None


@settings(max_examples=300, deadline=None)
@given(
    st.floats(0.0, 1.0),  # constant (iron, friction) share of the losses at rated current
    st.floats(5.0, 80.0),  # rise at rated current
    st.floats(0.2, 1.2),  # healthy load, per unit
    st.floats(0.0, 1.5),  # load now, per unit
)
def test_a_load_change_alone_never_shows_as_excess(core_share, rated_rise, healthy_pu, now_pu):
    # steady state of a healthy machine: rise = rated rise x (a0 + (1 - a0) (I / I_rated)^2)
    def law(pu):
        return rated_rise * (core_share + (1.0 - core_share) * pu**2)

    expected = expected_temperature_rise(
        healthy_rise_c=law(healthy_pu), load_a=now_pu, healthy_load_a=healthy_pu
    )
    if now_pu >= healthy_pu:
        assert law(now_pu) <= expected + 1e-9
    r = assess_health(healthy(temperature_rise_c=law(now_pu), expected_temperature_rise_c=expected), Limits())
    assert r.penalties["temperature_rise"] == 0.0


def test_stale_only_flags():
    a = assess_health(healthy(vibration_rms_mm_s=5.0), Limits())
    b = assess_health(replace(healthy(vibration_rms_mm_s=5.0), stale=True), Limits())
    assert "stale_data" in b.flags and "stale_data" not in a.flags
    assert a.health_score == b.health_score and a.penalties == b.penalties


def test_weights_scale_penalties():
    limits = Limits.for_asset(1, "rigid", health_weights={"vibration": 0.5, "anomaly": 0.0})
    r = assess_health(healthy(vibration_rms_mm_s=8.0, anomaly_score=1.0), limits)
    assert r.penalties["vibration"] == 30.0
    assert r.penalties["anomaly"] == 0.0
    assert r.health_score == 70.0
    with pytest.raises(ValueError):
        Limits(weights={"vibration": -1.0})
    with pytest.raises(ValueError):
        Limits(weights={"nonsense": 1.0})


def test_overrides_of_pf_voltage_and_current_limits():
    # PF limit 0.95 -> ramp 0.95 .. 0.75
    r = assess_health(healthy(power_factor=0.85), Limits(power_factor_limit=0.95))
    assert r.penalties["power_factor"] == pytest.approx(5.0)
    # voltage band 12 % -> ramp 12 .. 16 (always band + 4)
    r = assess_health(healthy(voltage_v=114.0, rated_voltage_v=100.0), Limits(voltage_band_pct=12.0))
    assert r.penalties["voltage"] == pytest.approx(5.0)
    # voltage band 2 % -> ramp 2 .. 6, full penalty at 6 %
    r = assess_health(healthy(voltage_v=104.0, rated_voltage_v=100.0), Limits(voltage_band_pct=2.0))
    assert r.penalties["voltage"] == pytest.approx(5.0)
    r = assess_health(healthy(voltage_v=94.0, rated_voltage_v=100.0), Limits(voltage_band_pct=2.0))
    assert r.penalties["voltage"] == pytest.approx(10.0)
    # band 9.9 %: the ramp is still 4 points wide (no near-step just below 10 %)
    r = assess_health(healthy(voltage_v=111.9, rated_voltage_v=100.0), Limits(voltage_band_pct=9.9))
    assert r.penalties["voltage"] == pytest.approx(5.0)
    # overcurrent limit 110 % -> ramp 100 .. 110, 25 above
    r = assess_health(healthy(current_a=10.5, rated_current_a=10.0), Limits(current_limit_pct=110.0))
    assert r.penalties["current"] == pytest.approx(10.0)
    r = assess_health(healthy(current_a=11.5, rated_current_a=10.0), Limits(current_limit_pct=110.0))
    assert r.penalties["current"] == 25.0


# --- risk -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("h", "level"),
    [
        (100, "Low"),
        (80, "Low"),
        (79.9, "Medium"),
        (60, "Medium"),
        (59.9, "High"),
        (40, "High"),
        (39.9, "Critical"),
        (0, "Critical"),
    ],
)
def test_risk_cutoffs(h, level):
    assert risk_level(h, "A", 0.1, 50.0) == (level, ())


def test_risk_overrides():
    L = Limits()
    assert risk_level(95, "D", 0.2, 50.0, L) == ("High", ("zone_d",))
    assert risk_level(95, "D", 0.9, 50.0, L) == ("Critical", ("zone_d", "zone_d_anomaly"))
    assert risk_level(95, "C", 0.99, 50.0, L).level == "Low"  # anomaly alone is not an override
    assert risk_level(95, "A", None, 95.0, L) == ("High", ("temperature_limit",))
    assert risk_level(95, "A", None, 94.99, L).level == "Low"
    assert risk_level(95, "A", None, 50.0, L, current_ratio=1.2).level == "Low"
    assert risk_level(95, "A", None, 50.0, L, current_ratio=1.2001) == ("High", ("overcurrent",))
    assert risk_level(95, "A", None, 50.0, L, rul_days=7.01).level == "Low"
    assert risk_level(95, "A", None, 50.0, L, rul_days=7.0) == ("High", ("rul_7d",))
    assert risk_level(95, "A", None, 50.0, L, rul_days=2.0) == ("Critical", ("rul_7d", "rul_2d"))
    assert risk_level(95, "A", None, 50.0, L, rul_days=0.0).level == "Critical"
    # overrides never lower the level
    assert risk_level(10, "D", 0.1, 50.0, L).level == "Critical"


# --- properties -------------------------------------------------------------------------------------

any_float = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
limits_st = st.builds(
    Limits,
    iso_group=st.sampled_from([1, 2]),
    foundation=st.sampled_from(["rigid", "flexible"]),
    weights=st.fixed_dictionaries({k: st.floats(0, 2) for k in FACTORS}),
)


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        HealthInputs,
        vibration_rms_mm_s=any_float,
        temperature_c=any_float,
        voltage_v=any_float,
        rated_voltage_v=any_float,
        frequency_hz=any_float,
        power_factor=any_float,
        current_a=any_float,
        rated_current_a=any_float,
        anomaly_score=any_float,
        temperature_rise_c=any_float,
        expected_temperature_rise_c=any_float,
        stale=st.booleans(),
    ),
    limits_st,
)
def test_health_always_in_range(inputs, limits):
    r = assess_health(inputs, limits)
    assert isinstance(r.health_score, int) and 0 <= r.health_score <= 100
    assert r.health_score == math.floor(r.health_raw + 0.5)
    assert all(p >= 0 and math.isfinite(p) for p in r.penalties.values())
    assert set(r.penalties) == set(FACTORS)


def _worsen(inputs: HealthInputs, name: str, d: float) -> HealthInputs:
    if name == "anomaly":
        return replace(inputs, anomaly_score=inputs.anomaly_score + d)
    if name == "vibration":
        return replace(inputs, vibration_rms_mm_s=inputs.vibration_rms_mm_s + d)
    if name == "temperature":
        return replace(inputs, temperature_c=inputs.temperature_c + d)
    if name == "voltage":  # further from rated, on the same side
        dv = inputs.voltage_v - inputs.rated_voltage_v
        return replace(inputs, voltage_v=inputs.voltage_v + (d if dv >= 0 else -d))
    if name == "frequency":  # further from the band centre
        centre = (49.90 + 50.05) / 2
        return replace(
            inputs, frequency_hz=inputs.frequency_hz + (d if inputs.frequency_hz >= centre else -d)
        )
    if name == "power_factor":
        return replace(inputs, power_factor=inputs.power_factor - d / 100)
    if name == "current":
        return replace(inputs, current_a=inputs.current_a + d)
    if name == "temperature_rise":  # hotter over ambient at the same load
        return replace(inputs, temperature_rise_c=inputs.temperature_rise_c + d)
    raise AssertionError(name)


realistic_inputs = st.builds(
    HealthInputs,
    vibration_rms_mm_s=st.floats(0, 20),
    temperature_c=st.floats(-20, 150),
    voltage_v=st.floats(300, 500),
    rated_voltage_v=st.sampled_from([230.0, 400.0, 415.0]),
    frequency_hz=st.floats(48, 52),
    power_factor=st.floats(0, 1),
    current_a=st.floats(0, 60),
    rated_current_a=st.floats(5, 50),
    anomaly_score=st.one_of(st.none(), st.floats(0, 1)),
    temperature_rise_c=st.floats(-5, 120),
    expected_temperature_rise_c=st.one_of(st.none(), st.floats(0, 80)),
)


@settings(max_examples=500, deadline=None)
@given(
    realistic_inputs,
    limits_st,
    st.sampled_from(FACTORS),
    st.floats(0, 10),
    st.one_of(st.none(), st.floats(0, 400)),
    st.floats(0, 50),
)
def test_worsening_one_input_never_improves_health_or_risk(inputs, limits, name, delta, rul, rul_delta):
    if name == "anomaly" and inputs.anomaly_score is None:
        inputs = replace(inputs, anomaly_score=0.0)
    worse = _worsen(inputs, name, delta)
    a, b = assess_health(inputs, limits), assess_health(worse, limits)
    assert b.health_score <= a.health_score
    assert b.penalties[name] >= a.penalties[name]
    ra = assess_risk(a, inputs, limits, rul)
    rb = assess_risk(b, worse, limits, rul)
    assert RANK[rb.level] >= RANK[ra.level]
    # a shorter RUL never lowers the risk either
    if rul is not None:
        rc = assess_risk(a, inputs, limits, max(0.0, rul - rul_delta))
        assert RANK[rc.level] >= RANK[ra.level]


def test_baseline_stats_do_not_change_health():
    plain = healthy(vibration_rms_mm_s=5.0)
    with_base = replace(plain, baseline={"vibration_rms_mm_s": BaselineStat(1.0, 0.2)})
    assert assess_health(plain, Limits()) == assess_health(with_base, Limits())
