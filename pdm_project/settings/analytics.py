"""Analytics, baselines and assessment defaults (docs/CONTRACTS.md gives their meaning)."""

from __future__ import annotations

from .env import env_int

BASELINE_DEFAULT_HOURS = env_int("BASELINE_DEFAULT_HOURS", 72, minimum=1)
BASELINE_MIN_EVENTS = env_int("BASELINE_MIN_EVENTS", 500, minimum=10)
STALE_AFTER_MINUTES = env_int("STALE_AFTER_MINUTES", 15, minimum=1)
