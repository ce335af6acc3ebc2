"""SQL database: PostgreSQL from DATABASE_URL in production and CI, SQLite when it is unset."""

from __future__ import annotations

import dj_database_url

from .base import DATA_DIR
from .env import env_int, env_str

_url = env_str("DATABASE_URL")
if _url:
    DATABASES = {"default": dj_database_url.parse(_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(DATA_DIR / "pdm.sqlite3")),
            # WAL lets the demo's web server and in-process tasks read while a batch writes.
            # IMMEDIATE: a transaction takes the write lock when it starts, so concurrent writers
            # wait (up to the timeout) instead of failing with "database is locked" on upgrade.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
            },
            # A file, not memory, so worker processes started by tests see the test database.
            "TEST": {"NAME": env_str("SQLITE_TEST_PATH", str(DATA_DIR / "test_pdm.sqlite3"))},
        }
    }
