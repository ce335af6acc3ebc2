"""Suite-wide fixtures: every module in tests/fixtures/ is a pytest plugin.

* services -- in CI (env CI set) PostgreSQL and Redis must be up, checked once at start;
* influx   -- `influxd` (a throwaway server per session), `influx_store`, `influx_settings`;
* stores   -- `sql_store`;
* the rest -- see each module's docstring (e.g. celery_worker).
"""

from __future__ import annotations

import os
import pkgutil
from pathlib import Path

pytest_plugins = sorted(
    f"tests.fixtures.{module.name}"
    for module in pkgutil.iter_modules([str(Path(__file__).parent / "fixtures")])
    if not module.name.startswith("_")
)

# The end-to-end run (tests/e2e) starts the whole stack: only `make e2e` / `make e2e-smoke` collect it.
collect_ignore_glob = [] if os.environ.get("PDM_E2E") else ["e2e/*"]
