"""Analytics, baselines and assessment defaults (docs/CONTRACTS.md gives their meaning)."""

from __future__ import annotations

from .env import env_int, env_str

# What ingest calls once events are stored (ingestion/handoff.py): the pipeline's entry point.
# Ingestion sits below the pipeline and cannot import it, so this one setting names it; it is
# wiring, not configuration (no environment variable), and `manage.py check` verifies it.
INGEST_HANDOFF = "assessment.tasks.pipeline_request"

BASELINE_DEFAULT_HOURS = env_int("BASELINE_DEFAULT_HOURS", 72, minimum=1)
BASELINE_MIN_EVENTS = env_int("BASELINE_MIN_EVENTS", 500, minimum=10)
# 0 = never retrain on a schedule; N = retrain baselines older than N days (healthy windows only).
BASELINE_RETRAIN_DAYS = env_int("BASELINE_RETRAIN_DAYS", 0, minimum=0)
STALE_AFTER_MINUTES = env_int("STALE_AFTER_MINUTES", 15, minimum=1)
ASSESSMENT_INTERVAL_MIN = env_int("ASSESSMENT_INTERVAL_MIN", 10, minimum=1)
ALERT_AUTO_RESOLVE_HOURS = env_int("ALERT_AUTO_RESOLVE_HOURS", 6, minimum=1)
ALERT_ESCALATE_MINUTES = env_int("ALERT_ESCALATE_MINUTES", 60, minimum=1)
ALERT_REPEAT_HOURS = env_int("ALERT_REPEAT_HOURS", 4, minimum=1)
PDM_PUBLIC_URL = env_str("PDM_PUBLIC_URL")
# Threads a load forecast's gradient boosting may use (docs/CONTRACTS.md §19.1, Appendix A). One by
# default: on cores shared with other workers OpenMP's spin-waiting threads cost far more CPU than
# they save (docs/forecast.md: a 42-day training used over 200 s of CPU with two threads on a loaded
# 2-core host, 7.8 s with one).
FORECAST_THREADS = env_int("PDM_FORECAST_THREADS", 1, minimum=1)
