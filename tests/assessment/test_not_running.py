"""The assessment at an as_of where the machine is not running steadily (docs/CONTRACTS.md §6.7,
§9.1): no score of its own there, so the last steady-running score is carried, with its time."""

from __future__ import annotations

from datetime import timedelta

from assessment.models import Alert, AlertCondition, Assessment
from assessment.services import assessments_run
from ingestion.timeseries import Point
from tests.assessment.explain_check import check_explanation
from tests.assessment.synth import T0, Scenario, frame, make_baseline, points

H = timedelta(hours=1)
STEP = timedelta(minutes=5)


def write_with_stop(
    store,
    asset_id: str,
    stop: tuple[float, float],
    score: float,
    stopped_features: dict | None = None,
    temperature_c: float = 60.0,
) -> None:
    """12 h at 5 min; the machine stops for hours [stop) (no current, no score) and runs again
    from stop[1]: the first hour after the restart is running but not steady (no score either).
    ``stopped_features``: feature values while stopped."""
    df = frame(T0, T0 + 12 * H, STEP, Scenario(anomaly=lambda h: score, temperature=lambda h: temperature_c))
    out = []
    for p in points(asset_id, df, scored_from=T0):
        h = (p.time - T0) / H
        stopped = stop[0] <= h < stop[1]
        settling = stop[1] <= h < stop[1] + 1
        if p.measurement == "scores" and (stopped or settling):
            continue
        fields = dict(p.fields)
        if p.measurement == "events" and stopped:
            fields.update(current_a=0.0, power_factor=0.0)
        if p.measurement == "features":
            fields.update(running=0 if stopped else 1, running_1h=0 if stopped or settling else 1)
            if stopped:
                fields["current_a__mean_15m"] = 0.0
                fields.update(stopped_features or {})
        out.append(Point(p.measurement, asset_id, p.time, fields))
    store.write(out)


def test_a_stopped_as_of_carries_the_last_running_score_and_says_so(store, pump):
    make_baseline(pump, T0 - 12 * H, T0)
    write_with_stop(store, pump.asset_id, stop=(4.0, 7.0), score=0.8)
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 12 * H)
    by_time = {a.as_of: a for a in Assessment.objects.filter(asset=pump)}
    last_running = T0 + 4 * H - STEP

    running = by_time[T0 + 3 * H]
    assert running.anomaly_score == 0.8 and running.inputs["anomaly_score_time"] == running.inputs["as_of"]
    assert "Not running steadily" not in running.explanation

    for stopped in (by_time[T0 + 5 * H], by_time[T0 + 7 * H + 30 * timedelta(minutes=1)]):
        # stopped (5 h) and settling after the restart at 7 h: the score of 03:55, not a silent 0
        assert stopped.anomaly_score == 0.8 and not stopped.baseline_missing
        assert stopped.inputs["anomaly_score_time"] == last_running.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert stopped.inputs["running_1h"] is False
        penalty = next(f["penalty"] for f in stopped.factors if f["name"] == "anomaly")
        assert penalty == running_penalty(running)
        assert stopped.explanation.splitlines()[-1] == (
            f"Not running steadily at {stopped.inputs['as_of']}: the anomaly score is the one of "
            f"{stopped.inputs['anomaly_score_time']}, the last steady running."
        )
        check_explanation(stopped)

    again = by_time[T0 + 8 * H + 10 * timedelta(minutes=1)]  # steady again: its own score
    assert again.inputs["anomaly_score_time"] == again.inputs["as_of"] and again.inputs["running_1h"] is True


def running_penalty(row: Assessment) -> float:
    return next(f["penalty"] for f in row.factors if f["name"] == "anomaly")


def test_no_steady_running_since_the_model_means_no_score_not_a_missing_baseline(sql_only, pump):
    make_baseline(pump, T0 - 12 * H, T0)
    write_with_stop(sql_only, pump.asset_id, stop=(0.0, 6.0), score=0.3)
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 12 * H)
    row = Assessment.objects.get(asset=pump, as_of=T0 + 2 * H)
    assert row.anomaly_score is None and not row.baseline_missing and row.baseline_version == 1
    assert row.explanation.splitlines()[-1] == (
        "No anomaly score: the machine has not run steadily since its model was trained."
    )
    check_explanation(row)
    later = Assessment.objects.get(asset=pump, as_of=T0 + 9 * H)
    assert later.anomaly_score == 0.3


def write_hot_with_noisy_stop(store, asset_id: str) -> None:
    """Over its temperature limit throughout (rule:temperature_limit, High risk); while stopped
    (hours 4-7) the kurtosis is that of noise, high: guidance built from it reads "impulsive"."""
    write_with_stop(
        store,
        asset_id,
        stop=(4.0, 7.0),
        score=0.5,
        stopped_features={"vibration_kurtosis__mean_15m": 6.0},
        temperature_c=150.0,
    )


def test_an_open_alert_keeps_its_running_guidance_while_the_machine_stands(store, pump):
    make_baseline(pump, T0 - 12 * H, T0)
    write_hot_with_noisy_stop(store, pump.asset_id)
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 6 * H)

    alerts = list(Alert.objects.filter(asset=pump))
    # one incident with both conditions
    assert [a.kind for a in alerts] == ["equipment"]
    assert {c.cause for c in AlertCondition.objects.filter(alert__asset=pump)} >= {
        "rule:temperature_limit",
        "risk_high",
    }
    for alert in alerts:
        assert alert.last_seen_at >= T0 + 5 * H  # updated while stopped ...
        assert "impulsive" not in alert.guidance["query"]  # ... but not its guidance
        assert alert.guidance["passages"]


def test_an_alert_opened_while_stopped_gets_guidance_without_the_stopped_readings(store, pump):
    make_baseline(pump, T0 - 12 * H, T0)
    write_hot_with_noisy_stop(store, pump.asset_id)
    assessments_run(asset_id=pump.asset_id, start=T0 + 5 * H, end=T0 + 6 * H)

    alerts = list(Alert.objects.filter(asset=pump))
    # one incident with both conditions
    assert [a.kind for a in alerts] == ["equipment"]
    assert {c.cause for c in AlertCondition.objects.filter(alert__asset=pump)} >= {
        "rule:temperature_limit",
        "risk_high",
    }
    for alert in alerts:
        assert alert.opened_at >= T0 + 5 * H
        assert "impulsive" not in alert.guidance["query"] and "temperature" in alert.guidance["query"]
        assert alert.guidance["passages"]
