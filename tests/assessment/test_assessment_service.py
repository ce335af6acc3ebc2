"""assessments_run over both store backends: stored health/risk/RUL/explanations, idempotence,
batch-boundary independence, the alert lifecycle in event time, staleness and the edge cases."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from django.db import IntegrityError, transaction

from analytics.baseline import baseline_fit
from analytics.selectors import ActiveBaseline
from assessment.explain import explain
from assessment.models import (
    Alert,
    AlertCondition,
    AlertTransition,
    Assessment,
    AssessmentState,
    AssetThresholds,
)
from assessment.services import (
    IllegalTransition,
    alert_acknowledge,
    alert_resolve,
    assessments_run,
    assets_stale_check,
    explain_record_of,
    grid_points,
)
from assessment.services.grid.evidence import guidance_baseline_evidence
from tests.assessment.explain_check import check_explanation
from tests.assessment.synth import T0, Scenario, const, make_baseline, write_scenario
from tests.factories import AssetFactory

H = timedelta(hours=1)
M = timedelta(minutes=1)
US = timedelta(microseconds=1)
REPO = Path(__file__).resolve().parents[2]


def run(asset, start, end) -> int:
    return assessments_run(asset_id=asset.asset_id, start=start, end=end)


def step(x0: float, x1: float, lo: float, hi: float):
    """x1 for lo <= h < hi, else x0."""
    return lambda h: x1 if lo <= h < hi else x0


# The rich scenario: a temperature excursion (10-12 h), a voltage dip (20-21 h), a data gap (40-42 h)
# and a vibration trend from 30 h on (zone B at ~37 h, zone C at 60 h).
RICH = Scenario(
    vibration=lambda h: 1.0 if h < 30 else 1.0 + 0.06 * (h - 30),
    temperature=step(60.0, 97.0, 10, 12),
    voltage=step(415.0, 380.0, 20, 21),
    noise=0.02,
)
RICH_GAPS = [(T0 + 40 * H, T0 + 42 * H)]


def write_rich(store, asset, hours: float = 72) -> None:
    make_baseline(asset, T0 - 12 * H, T0)
    write_scenario(store, asset.asset_id, T0, T0 + hours * H, RICH, scored_from=T0, gaps=RICH_GAPS)


def incident(asset) -> Alert:
    """The asset's one equipment incident."""
    return Alert.objects.get(asset=asset, kind="equipment")


def condition(asset, cause: str) -> AlertCondition:
    """The condition ``cause`` of the asset's one equipment incident."""
    return AlertCondition.objects.get(alert__asset=asset, cause=cause)


def rows(asset) -> list[dict]:
    return [
        {k: v for k, v in r.items() if k not in ("id", "asset_id", "created_at")}
        for r in Assessment.objects.filter(asset=asset).order_by("as_of").values()
    ]


def alert_rows(asset) -> list[tuple]:
    return [
        (
            a.cause,
            a.state,
            a.opened_at,
            a.last_seen_at,
            a.occurrences,
            a.value,
            a.peak_value,
            a.resolved_event_time,
            a.explanation.replace(asset.asset_id, "<asset>"),
            a.notification_count,
            a.reopen_count,
            [
                (c.cause, c.first_seen_at, c.last_seen_at, c.peak_value, c.active, c.cleared_at)
                for c in a.conditions.order_by("cause")
            ],
        )
        for a in Alert.objects.filter(asset=asset).order_by("opened_at", "cause")
    ]


def transition_rows(asset) -> list[tuple]:
    return sorted(
        (t.alert.kind, t.action, t.from_state, t.to_state, t.actor, t.event_time, t.note)
        for t in AlertTransition.objects.filter(alert__asset=asset).select_related("alert")
    )


def health_points(store, asset) -> list[tuple]:
    pts = store.read(measurement="health", asset_id=asset.asset_id, start=T0 - 24 * H, end=T0 + 30 * 24 * H)
    return [(p.time, p.fields) for p in pts]


# --- stored record --------------------------------------------------------------------------------------


def test_grid_is_epoch_aligned_and_inclusive():
    g = grid_points(T0 + 3 * M, T0 + 30 * M, timedelta(minutes=10))
    assert g == [T0 + 10 * M, T0 + 20 * M, T0 + 30 * M]
    assert grid_points(T0, T0, timedelta(minutes=10)) == [T0]
    assert grid_points(T0 + US, T0 + 9 * M, timedelta(minutes=10)) == []


def test_assessments_store_health_risk_rul_and_an_auditable_explanation(store, pump):
    write_rich(store, pump)
    n = run(pump, T0, T0 + 72 * H)
    assert n == 72 * 6  # every grid point 00:00 .. 71:50 (the newest data is at 71:55)
    # one assessment per as_of: grid points 40:00 .. 41:50 all see the newest data of 39:55
    # (fresh at 40:00 and 40:10, stale from 40:20 on), so 12 grid points share one record
    stored = list(Assessment.objects.filter(asset=pump).order_by("as_of"))
    assert [a.as_of for a in stored][:3] == [T0, T0 + 10 * M, T0 + 20 * M]
    assert len(stored) == n - 11
    gap = next(a for a in stored if a.as_of == T0 + 39 * H + 55 * M)
    assert gap.stale and gap.evaluated_at == T0 + 41 * H + 50 * M
    latest = stored[-1]
    assert latest.as_of == T0 + 71 * H + 50 * M
    # inputs are the stored events/features at as_of (auditable)
    feat = store.read(
        measurement="features", asset_id=pump.asset_id, start=latest.as_of, end=latest.as_of + US
    )[0]
    ev = store.read(measurement="events", asset_id=pump.asset_id, start=latest.as_of, end=latest.as_of + US)[
        0
    ]
    assert latest.inputs["vibration_rms_mm_s__mean_15m"] == feat.fields["vibration_rms_mm_s__mean_15m"]
    assert latest.inputs["current_a__mean_15m"] == feat.fields["current_a__mean_15m"]
    assert latest.inputs["temperature_c"] == ev.fields["temperature_c"]
    assert latest.inputs["voltage_v"] == ev.fields["voltage_v"]
    # the degradation: zone C, a vibration RUL with an 80 % interval, risk raised by rul_2d
    factors = {f["name"]: f for f in latest.factors}
    assert len(latest.factors) == 8
    assert factors["vibration"]["zone"] == "C"
    assert factors["vibration"]["value"] == latest.inputs["vibration_rms_mm_s__mean_15m"]
    assert latest.rul_channel == "vibration" and latest.rul_reason is None
    assert 0 < latest.rul_low_days <= latest.rul_days <= latest.rul_high_days
    truth = (4.5 - (1.0 + 0.06 * (71 + 50 / 60 - 30))) / (0.06 * 24)  # linear trend to C/D, days
    assert latest.rul_days == pytest.approx(truth, rel=0.25)
    assert latest.risk_level == "Critical" and "rul_2d" in latest.risk_overrides
    assert latest.health_score == math.floor(100 - sum(f["penalty"] for f in latest.factors) + 0.5)
    assert latest.baseline_version == 1 and latest.model_version == 1 and not latest.baseline_missing
    # the explanation is rebuilt exactly from the stored record, and every number in it is stored
    for a in stored:
        assert explain(explain_record_of(a)) == a.explanation
        check_explanation(a)
    # the health measurement holds the same numbers, one point per as_of
    points = dict(health_points(store, pump))
    assert len(points) == len(stored)
    p = points[latest.as_of]
    assert p["health_score"] == latest.health_score and p["risk_code"] == 3 and p["risk_level"] == "Critical"
    assert p["rul_days"] == latest.rul_days and p["vibration_zone"] == "C"
    assert p["penalty_vibration"] == factors["vibration"]["penalty"]
    assert "rul_2d" in p["overrides"].split(",")


def test_recomputing_is_idempotent(store, pump):
    write_rich(store, pump, hours=48)
    run(pump, T0, T0 + 48 * H)
    before = (rows(pump), alert_rows(pump), transition_rows(pump), health_points(store, pump))
    assert before[1], "the scenario raises alerts"
    run(pump, T0, T0 + 48 * H)
    run(pump, T0 + 20 * H, T0 + 30 * H)
    after = (rows(pump), alert_rows(pump), transition_rows(pump), health_points(store, pump))
    assert after == before


def test_batches_give_the_same_assessments_and_alert_transitions(store, pump):
    # on its own supply site: its voltage dip is its own, as PUMP-07's is (§15.6)
    other = AssetFactory(
        tenant=pump.tenant, asset_id="PUMP-08", asset_type="pump", rated_current_a=28.0, supply_site="bay-2"
    )
    write_rich(store, pump)
    write_rich(store, other)
    end = T0 + 72 * H
    run(pump, T0, end)
    # the same data in three batches, split mid-hour, inside the temperature alert and inside the gap
    s1, s2 = T0 + 11 * H + 7 * M, T0 + 41 * H + 3 * M
    run(other, T0, s1)
    run(other, s1 + US, s2)
    run(other, s2 + US, end)
    assert rows(other) == rows(pump)
    assert alert_rows(other) == alert_rows(pump)
    assert [t[:-1] for t in transition_rows(other)] == [t[:-1] for t in transition_rows(pump)]
    assert [(t, f) for t, f in health_points(store, other)] == [(t, f) for t, f in health_points(store, pump)]
    # one incident for the whole run: the temperature excursion, the voltage dip (a relapse within
    # the reopen window) and the vibration trend are its conditions
    inc = incident(pump)
    assert inc.state == "open" and inc.cause == "risk_critical" and inc.reopen_count == 2
    conds = {c.cause: c.active for c in inc.conditions.all()}
    assert conds["rule:temperature_limit"] is False and conds["rule:voltage_band"] is False
    assert conds["risk_critical"] is True
    assert Alert.objects.get(asset=pump, kind="no_data").state == "resolved"


def test_live_cadence_reuses_the_hourly_rul_and_matches_one_run(store, pump, monkeypatch):
    """One call per grid point, as a live stream gives: the RUL of an hour is computed once (at the
    whole hour) and read back from the stored assessment by the later calls of that hour."""
    from assessment.services import assessing

    live = AssetFactory(tenant=pump.tenant, asset_id="PUMP-09", asset_type="pump", rated_current_a=28.0)
    write_rich(store, pump, hours=40)
    write_rich(store, live, hours=40)
    run(pump, T0, T0 + 40 * H)
    computed: list = []
    original = assessing._Run.load_rul_inputs

    def spy(self, hours):
        computed.append((self.asset.asset_id, list(hours)))
        return original(self, hours)

    monkeypatch.setattr(assessing._Run, "load_rul_inputs", spy)
    run(live, T0, T0 + 34 * H)
    t = T0 + 34 * H
    while t < T0 + 40 * H:
        run(live, t + US, t + 10 * M)
        t += 10 * M
    assert rows(live) == rows(pump)
    assert alert_rows(live) == alert_rows(pump)
    # calls with a grid point (34:10 .. 39:50; the data ends at 39:55): only those at whole hours compute
    per_call = [hours for _, hours in computed[1:]]
    grid = [T0 + 34 * H + k * 10 * M for k in range(1, 36)]
    assert per_call == [[g] if g.minute == 0 else [] for g in grid]


# --- alerts in event time -----------------------------------------------------------------------------------


def test_temperature_incident_holds_and_auto_resolves_after_6h_of_event_time(store, pump):
    write_scenario(store, pump.asset_id, T0, T0 + 12 * H, Scenario(temperature=step(60.0, 97.0, 2, 3)))
    run(pump, T0, T0 + 4 * H + 40 * M)
    alert = incident(pump)
    # one incident; the rule leads the risk level of the same severity
    assert alert.state == "open" and alert.severity == "high" and alert.cause == "rule:temperature_limit"
    assert alert.opened_at == T0 + 2 * H and alert.last_seen_at == T0 + 2 * H + 50 * M
    assert alert.occurrences == 6 and alert.value == 97.0 and alert.unit == "°C"
    assert alert.explanation.startswith("Temperature 97.0 °C is at or above the limit 95.0 °C.\nRisk is High")
    assert alert.explanation.count("Temperature 97.0 °C is at or above") == 1  # conditions listed once
    temp = condition(pump, "rule:temperature_limit")
    assert (temp.first_seen_at, temp.last_seen_at, temp.occurrences, temp.peak_value) == (
        T0 + 2 * H,
        T0 + 2 * H + 50 * M,
        6,
        97.0,
    )
    # 4:40 is 1 h 50 min of running after the last presence: the conditions are still active
    assert temp.active and condition(pump, "risk_high").active
    run(pump, T0 + 4 * H + 40 * M + US, T0 + 8 * H + 40 * M)
    temp.refresh_from_db()
    assert not temp.active and temp.cleared_at == T0 + 4 * H + 50 * M  # 2 h hold of running
    alert.refresh_from_db()
    assert alert.state == "open"  # 8:40 is 5 h 50 min after the last presence
    run(pump, T0 + 8 * H + 40 * M + US, T0 + 12 * H)
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.auto_resolved and alert.resolution == "auto"
    assert alert.resolved_event_time == T0 + 8 * H + 50 * M  # first grid point >= last_seen + 6 h
    assert alert.resolved_by == "system" and "6 h of event time" in alert.note
    assert Alert.objects.filter(asset=pump).count() == 1
    assert [(t.action, t.from_state, t.to_state, t.event_time) for t in alert.transitions.all()] == [
        ("opened", "", "open", T0 + 2 * H),
        ("resolved", "open", "resolved", T0 + 8 * H + 50 * M),
    ]
    assert alert.notification_count == 2  # opened, resolved: not once per condition


def test_cooling_loss_alerts_on_the_rise_over_ambient_before_the_temperature_limit(store, pump):
    # healthy: 60 degC at 30 degC ambient (the baseline's 30 K rise at 20 A); from 4 h on the rise
    # climbs 5 K per hour with the load unchanged: 94 degC stays under the 95 degC limit
    make_baseline(pump, T0 - 12 * H, T0)
    sc = Scenario(temperature=lambda h: 60.0 + 5.0 * max(0.0, min(h, 10.8) - 4.0), ambient=const(30.0))
    write_scenario(store, pump.asset_id, T0, T0 + 12 * H, sc, scored_from=T0)
    run(pump, T0, T0 + 12 * H)
    alert = incident(pump)
    # excess = (60 + 5 (h - 4) - 30) - 30 reaches the 30 K limit at h = 10
    assert alert.opened_at == T0 + 10 * H and alert.severity == "high" and alert.unit == "K"
    assert alert.cause == "rule:temperature_rise" and alert.peak_value == pytest.approx(64.0)
    assert condition(pump, "rule:temperature_rise").first_seen_at == T0 + 10 * H
    # the open alert's explanation follows the newest assessment (94 degC from 10.8 h on)
    lines = alert.explanation.splitlines()
    assert lines[0] == (
        "Temperature rise over ambient 64.0 K is 34.0 K above the 30.0 K this machine shows healthy at "
        "this load (limit +30.0 K)."
    )
    assert lines[3].startswith("1. Temperature rise over ambient 64.0 K (baseline 30.0 ± 1.0 K, ")
    # at 10 h health alone gives Medium (62); the excess of 30 K makes it High
    at_limit = Assessment.objects.get(asset=pump, as_of=T0 + 10 * H)
    assert at_limit.health_score == 62 and at_limit.risk_level == "High"
    assert at_limit.explanation.startswith(
        "Risk is High because temperature rise over ambient 60.0 K is 30.0 K above the 30.0 K expected at "
        "this load (limit +30.0 K) (health alone gives Medium)."
    )
    assert alert.guidance["likely_mode"] == "overheating"
    assert not AlertCondition.objects.filter(alert__asset=pump, cause="rule:temperature_limit").exists()
    first = Assessment.objects.get(asset=pump, as_of=T0 + 7 * H)  # excess 15 K: a quarter of the ramp
    factor = next(f for f in first.factors if f["name"] == "temperature_rise")
    expected = factor["limits"]["expected_k"]  # the baseline's median rise, 30 K +- noise
    assert expected == pytest.approx(30.0, abs=0.1)
    assert factor["value"] == pytest.approx(45.0)
    assert factor["penalty"] == pytest.approx(20.0 * (45.0 - expected - 10.0) / 20.0)
    for a in Assessment.objects.filter(asset=pump):
        check_explanation(a)


def test_per_asset_rise_limit_and_weight_overrides_apply(store, pump):
    make_baseline(pump, T0 - 12 * H, T0)
    AssetThresholds.objects.create(
        asset=pump, temperature_rise_excess_limit_k=20.0, health_weights={"temperature_rise": 0.5}
    )
    sc = Scenario(temperature=lambda h: 60.0 + 5.0 * max(0.0, min(h, 10.8) - 4.0), ambient=const(30.0))
    write_scenario(store, pump.asset_id, T0, T0 + 12 * H, sc, scored_from=T0)
    run(pump, T0, T0 + 12 * H)
    # excess 5 (h - 4) K reaches the asset's 20 K limit at 8 h instead of 30 K at 10 h
    assert condition(pump, "rule:temperature_rise").first_seen_at == T0 + 8 * H
    at_8h = Assessment.objects.get(asset=pump, as_of=T0 + 8 * H)
    factor = next(f for f in at_8h.factors if f["name"] == "temperature_rise")
    assert factor["limits"]["limit_k"] == 20.0 and factor["penalty"] == pytest.approx(0.5 * 25.0)
    assert at_8h.inputs["limits"]["weights"]["temperature_rise"] == 0.5


def test_the_same_rise_at_a_heavier_load_is_expected_and_costs_nothing(store, pump):
    # 50 % more current than the baseline's 20 A allows up to 1.5^2 x 30 K = 67.5 K of rise
    make_baseline(pump, T0 - 12 * H, T0)
    sc = Scenario(temperature=const(94.0), current=const(30.0), ambient=const(30.0))
    write_scenario(store, pump.asset_id, T0, T0 + 6 * H, sc, scored_from=T0)
    run(pump, T0, T0 + 6 * H)
    latest = Assessment.objects.filter(asset=pump).latest("as_of")
    factor = next(f for f in latest.factors if f["name"] == "temperature_rise")
    assert factor["value"] == pytest.approx(64.0) and factor["penalty"] == 0.0
    assert factor["limits"]["expected_k"] == pytest.approx(30.0 * (30.0 / 20.0) ** 2, rel=0.01)
    assert not AlertCondition.objects.filter(alert__asset=pump, cause="rule:temperature_rise").exists()


def test_lifecycle_acknowledge_resolve_and_reopen(store, pump):
    write_scenario(store, pump.asset_id, T0, T0 + 8 * H, Scenario(temperature=step(60.0, 97.0, 2, 8)))
    run(pump, T0, T0 + 4 * H)
    alert = incident(pump)
    acked = alert_acknowledge(alert_id=alert.pk, tenant=pump.tenant, actor="alice", comment="checking fan")
    assert (acked.state, acked.acknowledged_by, acked.comment) == ("acknowledged", "alice", "checking fan")
    with pytest.raises(IllegalTransition):
        alert_acknowledge(alert_id=alert.pk, tenant=pump.tenant, actor="bob")
    run(pump, T0 + 4 * H + US, T0 + 5 * H)  # still present: updated, stays acknowledged
    alert.refresh_from_db()
    assert alert.state == "acknowledged" and alert.last_seen_at == T0 + 5 * H
    with pytest.raises(ValueError):
        alert_resolve(alert_id=alert.pk, tenant=pump.tenant, actor="alice", note="  ")
    done = alert_resolve(alert_id=alert.pk, tenant=pump.tenant, actor="alice", note="fan belt replaced")
    assert (done.state, done.resolution, done.resolved_by, done.note) == (
        "resolved",
        "manual",
        "alice",
        "fan belt replaced",
    )
    with pytest.raises(IllegalTransition):
        alert_resolve(alert_id=alert.pk, tenant=pump.tenant, actor="alice", note="again")
    with pytest.raises(Alert.DoesNotExist):  # another tenant cannot touch it
        alert_acknowledge(alert_id=alert.pk, tenant=AssetFactory().tenant, actor="eve")
    assert not AlertCondition.objects.filter(alert=alert, active=True).exists()  # the episode ended
    # the cause persists: the next grid point opens a new incident (a manual resolution is not reopened)
    run(pump, T0 + 5 * H + US, T0 + 6 * H)
    temp = Alert.objects.filter(asset=pump, kind="equipment").order_by("opened_at")
    assert [(a.state, a.opened_at, a.reopen_count) for a in temp] == [
        ("resolved", T0 + 2 * H, 0),
        ("open", T0 + 5 * H + 10 * M, 0),
    ]
    assert [(t.action, t.from_state, t.to_state, t.actor) for t in alert.transitions.all()] == [
        ("opened", "", "open", "system"),
        ("acknowledged", "open", "acknowledged", "alice"),
        ("resolved", "acknowledged", "resolved", "alice"),
    ]


def test_at_most_one_active_alert_per_asset_and_kind(sql_only, pump):
    fields = dict(
        asset=pump, kind="equipment", severity="high", opened_at=T0, last_seen_at=T0, explanation="x"
    )
    Alert.objects.create(**fields, cause="risk_high")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(**fields, cause="rule:temperature_limit", state="acknowledged")
    fields = dict(
        asset=pump,
        kind="no_data",
        cause="no_data",
        severity="warning",
        opened_at=T0,
        last_seen_at=T0,
        explanation="x",
    )
    Alert.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(**fields, state="acknowledged")
    Alert.objects.create(**fields, state="resolved")  # resolved ones do not count


def test_event_time_gap_raises_and_resolves_no_data(store, pump):
    make_baseline(pump, T0 - 12 * H, T0)
    sc = Scenario()
    write_scenario(store, pump.asset_id, T0, T0 + 4 * H, sc, scored_from=T0)
    run(pump, T0, T0 + 4 * H)
    before_gap = Assessment.objects.get(asset=pump, as_of=T0 + 3 * H + 50 * M)
    # wall clock: the data stopped ten days ago -> the live check opens no_data once
    assert assets_stale_check() == 1
    assert assets_stale_check() == 0
    alert = Alert.objects.get(asset=pump, kind="no_data")
    assert alert.opened_at == T0 + 3 * H + 55 * M + 15 * M  # newest event + stale_after
    assert alert.explanation.startswith("No data from PUMP-07 since ")
    assert alert.guidance["likely_mode"] == "data_loss"
    # data resumes at 6 h; the analytics pipeline calls for the new range only
    write_scenario(store, pump.asset_id, T0 + 6 * H, T0 + 8 * H, sc, scored_from=T0)
    run(pump, T0 + 6 * H, T0 + 8 * H)
    # the gap's grid points were evaluated: stale from 4:20 (25 min > 15 min) to 5:50
    gap = Assessment.objects.get(asset=pump, as_of=T0 + 3 * H + 55 * M)
    assert gap.stale and gap.evaluated_at == T0 + 5 * H + 50 * M
    assert gap.health_score == before_gap.health_score and gap.risk_level == before_gap.risk_level
    assert gap.inputs["stale_after_s"] == 900.0
    assert gap.explanation.splitlines()[-1].startswith("Data is stale: the newest event is at ")
    check_explanation(gap)
    alert.refresh_from_db()
    assert Alert.objects.filter(asset=pump, cause="no_data").count() == 1  # updated, not duplicated
    assert alert.state == "resolved" and alert.resolved_event_time == T0 + 6 * H
    assert alert.last_seen_at == T0 + 5 * H + 50 * M and alert.value == pytest.approx(115.0)  # minutes
    assert alert.peak_value >= alert.value  # the wall-clock check saw a longer silence
    assert not Assessment.objects.get(asset=pump, as_of=T0 + 6 * H).stale
    assert AssessmentState.objects.get(asset=pump).alerts_evaluated_until == T0 + 8 * H - 10 * M


def test_brand_new_asset_has_no_assessment(store, pump):
    assert run(pump, T0, T0 + 24 * H) == 0
    assert not Assessment.objects.filter(asset=pump).exists()
    assert assets_stale_check() == 0  # never sent data: not alerted


def test_without_baseline_rul_is_null_and_the_record_says_so(store, pump):
    write_scenario(store, pump.asset_id, T0, T0 + 30 * H, Scenario(vibration=lambda h: 1.0 + 0.08 * h))
    run(pump, T0, T0 + 30 * H)
    latest = Assessment.objects.filter(asset=pump).order_by("-as_of").first()
    assert latest.baseline_missing and latest.anomaly_score is None and latest.baseline_version is None
    assert (latest.rul_days, latest.rul_reason) == (None, "no_baseline")
    assert all(f["baseline_mean"] is None for f in latest.factors)
    assert "Remaining useful life: not estimated (no baseline yet)." in latest.explanation
    assert latest.explanation.endswith("No baseline yet: the anomaly score and deviations are not available.")
    check_explanation(latest)


def test_sustained_zone_d_is_critical(store, pump):
    make_baseline(pump, T0 - 12 * H, T0)
    sc = Scenario(vibration=step(1.0, 5.0, 26, 99), anomaly=const_anomaly(0.3))
    write_scenario(store, pump.asset_id, T0, T0 + 30 * H, sc, scored_from=T0)
    run(pump, T0, T0 + 30 * H)
    at = {a.as_of: a for a in Assessment.objects.filter(asset=pump)}
    entered = at[T0 + 26 * H + 10 * M]  # first 15-min mean >= C/D 4.5
    assert (
        entered.risk_overrides == ["zone_d"] and entered.risk_level == "High" and entered.health_score == 40
    )
    assert entered.explanation.startswith("Risk is High because health is 40/100.")
    # two of the last three completed hourly medians at or above C/D: RUL 0 -> Critical
    assert at[T0 + 27 * H + 50 * M].rul_reason != "threshold_exceeded"
    crit = at[T0 + 28 * H]
    assert (crit.rul_days, crit.rul_reason, crit.risk_level) == (0.0, "threshold_exceeded", "Critical")
    assert crit.risk_overrides == ["zone_d", "rul_7d", "rul_2d"]
    assert crit.explanation.splitlines()[0] == (
        "Risk is Critical because remaining useful life is 0.0 days (critical horizon 2.0 days) "
        "(health alone gives High)."
    )
    assert "Remaining useful life: 0.0 days: the latest hourly vibration level is at or above 4.50 mm/s." in (
        crit.explanation
    )
    check_explanation(crit)
    opened = {c.cause: c.first_seen_at for c in AlertCondition.objects.filter(alert__asset=pump)}
    assert opened == {
        "rule:vibration_zone_d": T0 + 26 * H + 10 * M,
        "risk_high": T0 + 26 * H + 10 * M,
        "risk_critical": T0 + 28 * H,
    }
    # one incident whose severity rose in place (high -> critical), notified on open and on the raise
    inc = incident(pump)
    assert (inc.opened_at, inc.severity, inc.peak_severity, inc.cause) == (
        T0 + 26 * H + 10 * M,
        "critical",
        "critical",
        "risk_critical",
    )
    assert [(t.action, t.event_time, t.note) for t in inc.transitions.all()] == [
        ("opened", T0 + 26 * H + 10 * M, ""),
        ("raised", T0 + 28 * H, "severity high -> critical"),
    ]
    assert inc.notification_count == 2


def test_zone_d_with_critical_anomaly_is_critical_at_once(store, pump):
    make_baseline(pump, T0 - 12 * H, T0)
    sc = Scenario(vibration=step(1.0, 5.0, 3, 99), anomaly=step(0.2, 0.95, 3, 99))
    write_scenario(store, pump.asset_id, T0, T0 + 4 * H, sc, scored_from=T0)
    run(pump, T0, T0 + 4 * H)
    a = Assessment.objects.get(asset=pump, as_of=T0 + 3 * H + 10 * M)
    assert a.risk_level == "Critical" and a.risk_overrides == ["zone_d", "zone_d_anomaly"]
    assert a.anomaly_score == 0.95
    check_explanation(a)


def const_anomaly(x: float):
    return lambda h: x


# --- explanations and guidance of every alert ---------------------------------------------------------------


def _heading_exists(file: str, heading: str) -> bool:
    text = (REPO / file).read_text(encoding="utf-8")
    parts = heading.split(" > ")
    ok = re.search(rf"^# {re.escape(parts[0])}$", text, re.M) is not None
    return ok and (len(parts) == 1 or re.search(rf"^## {re.escape(parts[1])}$", text, re.M) is not None)


def test_every_alert_has_an_explanation_and_cited_guidance(sql_only, pump):
    store = sql_only
    sc = Scenario(
        vibration=lambda h: 1.0 if h < 30 else 1.0 + 0.15 * (h - 30),
        temperature=step(60.0, 97.0, 10, 12),
        voltage=step(415.0, 380.0, 20, 21),
        frequency=step(50.0, 48.6, 22, 23),  # outside IEC 60034-1 zone A (49.0-51.0 Hz)
        power_factor=step(0.93, 0.80, 24, 60),  # low from 24 h on: the 24-h energy PF follows
        current=step(20.0, 36.0, 26, 27),
    )
    make_baseline(pump, T0 - 12 * H, T0)
    write_scenario(
        store, pump.asset_id, T0, T0 + 60 * H, sc, scored_from=T0, gaps=[(T0 + 40 * H, T0 + 41 * H)]
    )
    run(pump, T0, T0 + 60 * H)
    alerts = list(Alert.objects.filter(asset=pump))
    # every rule and risk cause became a condition of the asset's incident(s); no_data stays its own
    assert {c.cause for c in AlertCondition.objects.filter(alert__asset=pump)} == {
        "rule:temperature_limit",
        "rule:voltage_band",
        "rule:frequency_band",
        "rule:low_pf",
        "rule:overcurrent",
        "rule:vibration_zone_d",
        "risk_high",
        "risk_critical",
    }
    assert {a.kind for a in alerts} == {"equipment", "no_data"}
    assert len([a for a in alerts if a.kind == "equipment"]) == 1  # relapses reopened the same incident
    for a in alerts:
        assert a.explanation
        g = a.guidance
        assert g["passages"] and g["likely_mode"] and g["actions"]["heading"].endswith("> Actions")
        for p in [*g["passages"], g["actions"]]:
            assert p["file"].startswith("docs/knowledge/") and (REPO / p["file"]).is_file()
            assert _heading_exists(p["file"], p["heading"]), p
            assert p["citation"] == f"{p['file']} § {p['heading']}"
        if a.assessment is not None and a.kind == "equipment":
            assert a.explanation.endswith(a.assessment.explanation)
            assert a.explanation.count(a.assessment.explanation) == 1  # one explanation per incident
    assert next(a for a in alerts if a.kind == "no_data").guidance["likely_mode"] == "data_loss"
    for a in Assessment.objects.filter(asset=pump):
        check_explanation(a)


def test_resolution_notes_become_guidance_for_the_tenant(sql_only, pump):
    make_baseline(pump, T0 - 12 * H, T0)  # healthy PF 0.93: rule:low_pf needs the machine's own PF
    write_scenario(sql_only, pump.asset_id, T0, T0 + 3 * H, Scenario(power_factor=step(0.93, 0.80, 1, 3)))
    run(pump, T0, T0 + 2 * H)
    alert = incident(pump)
    assert alert.cause == "rule:low_pf"
    alert_resolve(
        alert_id=alert.pk,
        tenant=pump.tenant,
        actor="alice",
        note="capacitor bank fuse blown on feeder 3; power factor low until the fuse was replaced",
    )
    run(pump, T0 + 2 * H + US, T0 + 3 * H)
    reopened = Alert.objects.get(asset=pump, kind="equipment", state="open")
    files = [p["file"] for p in reopened.guidance["passages"]]
    assert f"note:{alert.pk}" in files


# --- baseline-relative guidance evidence ---------------------------------------------------------


def _active_baseline(frame):
    stats = baseline_fit(pd.DataFrame(frame), min_events=1)
    return ActiveBaseline("A-1", 1, T0, T0 + H, stats, 0.0)


def test_guidance_evidence_compares_band_means_with_the_baseline_median():
    b = _active_baseline(
        {
            "envelope_bpfo_g__mean_15m": [0.001, 0.002, 0.003],  # median 0.002
            "vibration_1x_mm_s__mean_15m": [0.5, 1.0, 100.0],  # median 1.0: an outlier does not move it
            "temperature_rise_c": [20.0, 22.0, 30.0],
            "power_factor__mean_15m": [0.86, 0.87, 0.88],
            "current_a__mean_15m": [40.0, 42.0, 44.0],  # healthy mean 42 A
        }
    )
    feat = {
        "envelope_bpfo_g__mean_15m": 0.05,
        "vibration_1x_mm_s__mean_15m": 2.5,
        "vibration_2x_mm_s__mean_15m": 0.7,  # no baseline statistics for it
        "temperature_rise_c": 31.0,
        "power_factor__mean_15m": 0.80,
        "current_a__mean_15m": 41.0,  # at the healthy load (>= 0.9 x 42 A)
    }
    ev = guidance_baseline_evidence(baseline=b, feat=feat)
    assert ev["envelope_bpfo_ratio"] == pytest.approx(25.0)
    assert ev["vibration_1x_ratio"] == pytest.approx(2.5)
    assert ev["vibration_2x_ratio"] is None
    assert ev["envelope_bpfi_ratio"] is None  # no value
    assert ev["temperature_rise_excess_c"] == pytest.approx(9.0)
    assert ev["power_factor_drop"] == pytest.approx(0.07)


def test_guidance_pf_drop_is_no_evidence_below_the_healthy_load():
    """A motor at light load has a lower PF without any fault: no electrical words then."""
    b = _active_baseline(
        {"power_factor__mean_15m": [0.86, 0.87, 0.88], "current_a__mean_15m": [40.0, 42.0, 44.0]}
    )
    light = {"power_factor__mean_15m": 0.60, "current_a__mean_15m": 0.85 * 42.0}
    assert guidance_baseline_evidence(baseline=b, feat=light)["power_factor_drop"] is None
    loaded = {"power_factor__mean_15m": 0.60, "current_a__mean_15m": 0.95 * 42.0}
    assert guidance_baseline_evidence(baseline=b, feat=loaded)["power_factor_drop"] == pytest.approx(0.27)
    no_current = {"power_factor__mean_15m": 0.60}
    assert guidance_baseline_evidence(baseline=b, feat=no_current)["power_factor_drop"] is None


def test_guidance_evidence_is_empty_without_a_baseline():
    ev = guidance_baseline_evidence(baseline=None, feat={"envelope_bpfo_g__mean_15m": 0.05})
    assert ev and all(v is None for v in ev.values())
