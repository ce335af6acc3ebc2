"""Equipment incidents with hysteresis in event time (docs/CONTRACTS.md §15.2), driven grid point by
grid point through the ``IncidentBook`` on real PostgreSQL: property tests (hypothesis) that a
condition oscillating faster than the hold never flaps an incident and that a relapse inside the
reopen window reopens the same incident, plus the running-time hold and the severity rules."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.models import Alert, AlertCondition, AlertTransition
from assessment.services.alert_causes import CauseHit
from assessment.services.incidents import IncidentBook
from tests.assessment.synth import T0
from tests.factories import AssetFactory

STEP = timedelta(minutes=10)  # ASSESSMENT_INTERVAL_MIN
HOLD_STEPS = 12  # 2 h of running
QUIET_STEPS = 36  # auto_resolve_hours 6 h
WINDOW_STEPS = 144  # ALERT_REOPEN_WINDOW_HOURS 24 h
_ids = itertools.count()

pytestmark = pytest.mark.django_db


def _hit(cause: str, value: float = 97.0) -> CauseHit:
    return CauseHit(cause, value, "°C", lambda x: x, f"{cause} present at {value:.1f}.")


TEMP = "rule:temperature_limit"
HIGH = "risk_high"
CRIT = "risk_critical"


def _replay(asset, points: list[tuple[set[str], bool]], *, batches: int = 1) -> None:
    """Apply grid points T0, T0 + 10 min, ...: (causes present, machine running), in ``batches``
    runs (a new book per run, as separate assessment runs)."""
    n = len(points)
    cuts = [round(n * k / batches) for k in range(batches + 1)]
    for a, b in itertools.pairwise(cuts):
        with transaction.atomic():
            book = IncidentBook(asset, now=T0)
            for i in range(a, b):
                causes, running = points[i]
                book.apply(
                    at=T0 + i * STEP,
                    hits={c: _hit(c) for c in causes},
                    running=running,
                    as_of=None,
                    explanation="Risk is High because of a test.",
                    factors=[],
                    guidance=lambda cause: {"query": cause},
                )
            book.flush(assessment_ids={})


def _asset():
    return AssetFactory(asset_id=f"INC-{next(_ids)}")


def _incidents(asset) -> list[Alert]:
    return list(Alert.objects.filter(asset=asset, kind="equipment").order_by("opened_at"))


def _actions(alert: Alert) -> list[str]:
    return list(
        AlertTransition.objects.filter(alert=alert)
        .order_by("event_time", "id")
        .values_list("action", flat=True)
    )


# --- properties ---------------------------------------------------------------------------------------------

oscillation = st.lists(
    st.tuples(st.integers(1, 8), st.integers(1, HOLD_STEPS - 1)),  # present for p points, absent q < hold
    min_size=2,
    max_size=25,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cycles=oscillation, batches=st.integers(1, 3), stopped_every=st.integers(0, 5))
def test_a_condition_oscillating_faster_than_the_hold_never_flaps_the_incident(
    cycles, batches, stopped_every
):
    """On/off around a limit with every absence shorter than the hold: one incident, opened once,
    never lowered, resolved or reopened; one notification (its opening)."""
    asset = _asset()
    points: list[tuple[set[str], bool]] = []
    for p, q in cycles:
        points += [({TEMP, HIGH}, True)] * p
        # absent; some of those points stopped (a stop never advances the hold)
        points += [(set(), not (stopped_every and k % stopped_every == 0)) for k in range(q)]
    _replay(asset, points, batches=batches)
    [inc] = _incidents(asset)
    assert inc.state == "open" and inc.reopen_count == 0 and inc.severity == "high"
    assert _actions(inc) == ["opened"]
    assert inc.notification_count == 1
    assert AlertCondition.objects.filter(alert=inc, active=True).count() == 2


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cycles=oscillation, batches=st.integers(1, 3))
def test_severity_oscillating_faster_than_the_hold_rises_once_and_never_falls(cycles, batches):
    """Risk flapping between High and Critical: the severity rises once and stays (the peak kept)."""
    asset = _asset()
    points: list[tuple[set[str], bool]] = [({HIGH}, True)]
    for p, q in cycles:
        points += [({HIGH, CRIT}, True)] * p + [({HIGH}, True)] * q
    _replay(asset, points, batches=batches)
    [inc] = _incidents(asset)
    assert (inc.severity, inc.peak_severity, inc.cause) == ("critical", "critical", CRIT)
    assert _actions(inc) == ["opened", "raised"]
    assert inc.notification_count == 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    present=st.integers(1, 12),
    gap_after_resolve=st.integers(1, WINDOW_STEPS + 40),
    batches=st.integers(1, 3),
)
def test_a_relapse_inside_the_window_reopens_the_same_incident(present, gap_after_resolve, batches):
    """Present, absent until resolved (hold and 6 h quiet), absent ``gap`` more, present again:
    inside the 24 h window the same incident reopens (counted); after it, a new one opens."""
    asset = _asset()
    points = [({TEMP, HIGH}, True)] * present + [(set(), True)] * QUIET_STEPS
    points += [(set(), True)] * (gap_after_resolve - 1) + [({TEMP, HIGH}, True)] * 3
    _replay(asset, points, batches=batches)
    incidents = _incidents(asset)
    resolved_at = T0 + (present - 1 + QUIET_STEPS) * STEP  # first grid point 6 h after last seen
    relapse_at = resolved_at + gap_after_resolve * STEP
    if relapse_at - resolved_at <= timedelta(hours=24):
        [inc] = incidents
        assert inc.state == "open" and inc.reopen_count == 1
        assert _actions(inc) == ["opened", "resolved", "reopened"]
        cond = AlertCondition.objects.get(alert=inc, cause=TEMP)
        assert cond.first_seen_at == T0 and cond.last_seen_at == relapse_at + 2 * STEP and cond.active
    else:
        first, second = incidents
        assert (first.state, first.resolved_event_time, first.reopen_count) == ("resolved", resolved_at, 0)
        assert (second.state, second.opened_at, second.reopen_count) == ("open", relapse_at, 0)


# --- examples ------------------------------------------------------------------------------------------------


def test_the_hold_counts_running_time_only():
    """Absent for 10 h while stopped, then 1 h 50 min running: still active; the next running
    grid point clears it and the severity falls to that of the remaining condition."""
    asset = _asset()
    points = [({TEMP, HIGH, CRIT}, True)] * 3
    points += [({HIGH}, False)] * 60  # stopped: risk High stays, Critical's hold does not advance
    points += [({HIGH}, True)] * 11
    _replay(asset, points)
    [inc] = _incidents(asset)
    assert inc.severity == "critical"
    assert AlertCondition.objects.get(alert=inc, cause=CRIT).active
    _replay_more(asset, start=len(points), points=[({HIGH}, True)])
    inc.refresh_from_db()
    crit = AlertCondition.objects.get(alert=inc, cause=CRIT)
    assert not crit.active and crit.cleared_at == T0 + len(points) * STEP
    assert (inc.severity, inc.peak_severity, inc.cause) == ("high", "critical", HIGH)
    assert _actions(inc) == ["opened", "lowered"]
    assert inc.notification_count == 1  # a lower severity is not notified


def _replay_more(asset, *, start: int, points: list[tuple[set[str], bool]]) -> None:
    with transaction.atomic():
        book = IncidentBook(asset, now=T0)
        for i, (causes, running) in enumerate(points, start=start):
            book.apply(
                at=T0 + i * STEP,
                hits={c: _hit(c) for c in causes},
                running=running,
                as_of=None,
                explanation="x",
                factors=[],
                guidance=lambda cause: {},
            )
        book.flush(assessment_ids={})


def test_conditions_keep_first_seen_last_seen_and_peak():
    asset = _asset()
    with transaction.atomic():
        book = IncidentBook(asset, now=T0)
        for i, v in enumerate([96.0, 99.0, 97.0]):
            book.apply(
                at=T0 + i * STEP,
                hits={TEMP: _hit(TEMP, v), HIGH: _hit(HIGH, 60.0)},
                running=True,
                as_of=None,
                explanation="Risk is High.",
                factors=[],
                guidance=lambda cause: {"cause": cause},
            )
        book.flush(assessment_ids={})
    [inc] = _incidents(asset)
    c = AlertCondition.objects.get(alert=inc, cause=TEMP)
    assert (c.first_seen_at, c.last_seen_at, c.value, c.peak_value, c.occurrences) == (
        T0,
        T0 + 2 * STEP,
        97.0,
        99.0,
        3,
    )
    # the conditions' sentences once each, in §15.1 order, then the assessment's explanation
    assert inc.explanation == f"{HIGH} present at 60.0.\n{TEMP} present at 97.0.\nRisk is High."
    assert inc.guidance == {"cause": TEMP} and inc.resolution is None
