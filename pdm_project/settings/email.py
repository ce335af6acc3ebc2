"""Outgoing email (alert notifications, scheduled reports): SMTP when EMAIL_HOST is set, else printed
to the console; EMAIL_BACKEND overrides either."""

from __future__ import annotations

from .env import env_bool, env_int, env_str

_DEFAULT_BACKEND = "smtp" if env_str("EMAIL_HOST") else "console"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", f"django.core.mail.backends.{_DEFAULT_BACKEND}.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "pdm@localhost")
