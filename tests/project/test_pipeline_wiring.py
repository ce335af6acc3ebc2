"""How the apps are wired: the one setting the ingest side calls, and the periodic tasks.

The pipeline is followed by reading imports (docs/ARCHITECTURE.md); the only name resolved at
run time is ``INGEST_HANDOFF``, and a wrong one must stop the server at start-up rather than
fail every ingest. Every periodic task the beat schedule names must exist in the worker.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from assessment.tasks import pipeline_request
from ingestion.handoff import handoff_check


def test_ingest_hands_stored_events_to_the_pipeline_request_of_assessment():
    from django.utils.module_loading import import_string

    assert import_string(settings.INGEST_HANDOFF) is pipeline_request


def test_the_system_check_passes_with_the_default_handoff():
    assert handoff_check() == []
    call_command("check", verbosity=0)


@pytest.mark.parametrize(
    "path",
    ["analytics.services.no_such_function", "no_such_module.handoff", "", "ingestion.handoff.AssetSpan.x"],
)
def test_an_unimportable_handoff_fails_the_system_check_naming_the_setting(settings, path):
    settings.INGEST_HANDOFF = path

    (error,) = handoff_check()

    assert error.id == "ingestion.E001" and "INGEST_HANDOFF" in error.msg
    with pytest.raises(SystemCheckError, match="INGEST_HANDOFF"):
        call_command("check", verbosity=0)


def test_a_handoff_that_is_not_callable_fails_the_system_check(settings):
    settings.INGEST_HANDOFF = "pdm_project.contract.SCHEMA_VERSION"

    (error,) = handoff_check()

    assert error.id == "ingestion.E001" and "not callable" in error.msg


def test_every_periodic_task_is_a_task_the_worker_registers():
    from pdm_project.celery import app

    app.loader.import_default_modules()  # what a worker does at start-up (autodiscovery)
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled - set(app.tasks) == set()


def test_the_periodic_checks_run_at_the_intervals_the_contract_states():
    """docs/CONTRACTS.md §12 (stale check every 60 s), §15.2 (escalation every 60 s), §17.4
    (the stalled-run sweep every 5 min)."""
    every = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert every["assessment.tasks.stale_check"] == 60.0
    assert every["assessment.tasks.alerts_escalate_and_repeat"] == 60.0
    assert every["assessment.tasks.pipeline_requeue_stalled_task"] == 300.0
