"""Celery: Redis broker in production; tasks run in-process (eager) when no broker is set."""

from __future__ import annotations

from .env import env_int, env_str

REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://localhost/"  # never contacted: tasks run in-process
# An analytics failure must never turn an accepted ingest into an error: eager tasks log and
# keep their in-flight range for the next run instead of raising into the request.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Where tasks go unless routed: workers, beat and web processes of one deployment share it.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task running longer than the visibility timeout is redelivered while it still runs:
# keep CELERY_VISIBILITY_TIMEOUT_S above the longest task (a long backfill run).

_cache_url = REDIS_URL or (CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "")
# A task killed with its worker is redelivered after this many seconds (Redis broker).
_visibility_s = env_int("CELERY_VISIBILITY_TIMEOUT_S", 3600, minimum=5)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _visibility_s}
# A run queued this long ago and not yet taken is woken again (its message may be lost).
ANALYTICS_REQUEUE_AFTER_S = env_int("ANALYTICS_REQUEUE_AFTER_S", 900, minimum=1)
# Analytics runs whose event-time range starts within this many seconds of the wall clock are
# live runs: they go to ANALYTICS_LIVE_QUEUE (consumed by pdm-worker-live.service), so a backfill
# in the default queue never delays them (CONTRACTS §17.4). 0 sends every run to the default queue.
ANALYTICS_LIVE_WINDOW_S = env_int("ANALYTICS_LIVE_WINDOW_S", 3600, minimum=0)
# A backfill run of an asset starts no sooner than this many seconds after its previous run took
# its range, so a streamed backfill is analysed in larger ranges: each run reads 73 h of history
# and the RUL's 14-day trend window whatever its range, and runs of a few hundred events spent
# most of their time there (CONTRACTS §17.4). At most half the visibility timeout: a delayed
# message waits unacknowledged in its worker.
ANALYTICS_BACKFILL_LINGER_S = min(env_int("ANALYTICS_BACKFILL_LINGER_S", 30, minimum=0), _visibility_s // 2)
ANALYTICS_LIVE_QUEUE = env_str("ANALYTICS_LIVE_QUEUE", "live")
if _visibility_s < 60:
    # Short timeouts (tests, drills) also need the worker to look for expired messages often.
    CELERY_BROKER_TRANSPORT_OPTIONS |= {"unacked_restore_interval": 1, "unacked_restore_throttle": 1}
if _cache_url:
    CACHES = {"default": {"BACKEND": "pdm_project.cache.RedisCache", "LOCATION": _cache_url}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Beat reads its entries from the database (django-celery-beat, editable in the admin); the fixed
# entries below are written there at start-up, report schedules add their own (reporting.schedules).
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Scheduled report e-mails: a transient SMTP failure is retried after BASE, 2xBASE, 4xBASE... seconds,
# MAX_ATTEMPTS sends in all (docs/CONTRACTS.md §16.4).
REPORT_EMAIL_MAX_ATTEMPTS = env_int("REPORT_EMAIL_MAX_ATTEMPTS", 5, minimum=1)
REPORT_EMAIL_RETRY_BASE_S = env_int("REPORT_EMAIL_RETRY_BASE_S", 60, minimum=1)

# Spooled batches are retried this often (seconds; CONTRACTS §17.3).
SPOOL_REPLAY_S = env_int("PDM_SPOOL_REPLAY_S", 30, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "spool-replay": {"task": "ingestion.tasks.spool_replay_task", "schedule": float(SPOOL_REPLAY_S)},
    "stale-check": {"task": "assessment.tasks.stale_check", "schedule": 60.0},
    "alerts-escalate-and-repeat": {"task": "assessment.tasks.alerts_escalate_and_repeat", "schedule": 60.0},
    "pipeline-requeue-stalled": {"task": "assessment.tasks.pipeline_requeue_stalled_task", "schedule": 300.0},
    "baselines-retrain-due": {"task": "assessment.tasks.baselines_retrain_due_task", "schedule": 86400.0},
    # Load forecast models, one training per scope a day (docs/CONTRACTS.md §19.1).
    "forecasts-retrain-daily": {
        "task": "analytics.forecast.tasks.forecasts_retrain_daily_task",
        "schedule": 86400.0,
    },
    "reports-expire": {"task": "reporting.tasks.reports_expire_task", "schedule": 3600.0},
    "report-deliveries-requeue": {
        "task": "reporting.schedules.tasks.report_deliveries_requeue",
        "schedule": 300.0,
    },
}
