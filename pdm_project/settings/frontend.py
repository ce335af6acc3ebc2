"""The operator dashboard: where its built files are, how they are served, login and site defaults."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

from .base import BASE_DIR
from .env import env_int, env_str

# `npm run build` in frontend/ writes here; whitenoise serves its assets under STATIC_URL
# (after collectstatic) and frontend.views serves its index.html at / and the app's routes.
FRONTEND_DIST_DIR = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST_DIR] if FRONTEND_DIST_DIR.is_dir() else []
# Vite names built files `<name>-<8+ char hash>.<ext>`: cache them for a year.
WHITENOISE_IMMUTABLE_FILE_TEST = r"^.+-[0-9A-Za-z_-]{8,}\.[0-9a-z]+$"

# Dashboard logins: failed or not, at most this many attempts per client address and username.
LOGIN_RATE = env_str("PDM_LOGIN_RATE", "10/min")
SESSION_COOKIE_AGE = env_int("PDM_SESSION_HOURS", 12, minimum=1) * 3600
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Until sites carry their own settings, every supply site of a tenant shows local time in this
# zone and these shifts (name=HH:MM-HH:MM, comma-separated; a shift may cross midnight).
PDM_SITE_TIME_ZONE = env_str("PDM_SITE_TIME_ZONE", "Asia/Kolkata")
try:
    ZoneInfo(PDM_SITE_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"PDM_SITE_TIME_ZONE must be an IANA time zone such as Asia/Kolkata, got {PDM_SITE_TIME_ZONE!r}"
    ) from None


def _shifts(raw: str) -> list[dict[str, str]]:
    """`A=06:00-14:00,B=14:00-22:00` -> [{"name": "A", "start": "06:00", "end": "14:00"}, ...]."""
    shifts = []
    for item in (part.strip() for part in raw.split(",") if part.strip()):
        match = re.fullmatch(r"([\w .-]{1,32})=([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)", item)
        if not match or match.group(2, 3) == match.group(4, 5):
            raise ImproperlyConfigured(
                f"PDM_SHIFTS: {item!r} is not NAME=HH:MM-HH:MM with a start different from the end"
            )
        name, h1, m1, h2, m2 = match.groups()
        shifts.append({"name": name.strip(), "start": f"{h1}:{m1}", "end": f"{h2}:{m2}"})
    return shifts


PDM_SHIFTS = _shifts(env_str("PDM_SHIFTS", "A=06:00-14:00,B=14:00-22:00,C=22:00-06:00"))
# How often the dashboard refreshes a range that ends now.
PDM_LIVE_REFRESH_S = env_int("PDM_LIVE_REFRESH_S", 5, minimum=1)
