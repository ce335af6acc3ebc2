"""Per-token request throttling (429 with Retry-After), counted in the shared cache (Redis).

A sliding log, as DRF's SimpleRateThrottle: a request is allowed when fewer than N requests
of the same token were allowed within the last `duration` seconds. With Redis the log is a
sorted set updated by one Lua script (one round trip, atomic: DRF's get-then-set lost
concurrent increments across processes, so a token could exceed its rate under load; it also
cost two round trips and a pickle of the whole log per request). The clock is Redis's, so
several web hosts agree on it. Without Redis (LocMemCache: demo, tests) DRF's own algorithm
runs per process. If Redis cannot be reached, requests are let through (logged): throttling
protects the service, it must not take ingest down with it.
"""

from __future__ import annotations

import logging
import secrets
import time
from types import SimpleNamespace
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle

from .auth import ApiPrincipal

logger = logging.getLogger(__name__)

# KEYS[1] the log; ARGV: limit, window (us), a unique member. Returns -1 when the request is
# allowed (and recorded), else the microseconds until a slot frees.
_SLIDING_LOG = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return -1
end
local frees = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return window - (now - tonumber(frees[2]))
"""
_scripts: dict[int, Any] = {}  # redis Script objects, one per client
_warned_at = float("-inf")


def _sliding_log(key: str, num_requests: int, duration: int) -> float | None:
    """None when allowed (and recorded), else the seconds to wait. Redis only."""
    global _warned_at
    backend = caches["default"]
    full_key = backend.make_and_validate_key(key)
    client = backend._cache.get_client(full_key, write=True)  # type: ignore[attr-defined]  # one per pool (pdm_project.cache)
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_SLIDING_LOG)
    try:
        wait_us = script(keys=[full_key], args=[num_requests, duration * 1_000_000, secrets.token_hex(8)])
    except Exception as exc:  # redis down: fail open
        now = time.monotonic()
        if now - _warned_at > 60:
            _warned_at = now
            logger.warning("throttling disabled, the shared cache is unreachable: %s", exc)
        return None
    return None if wait_us < 0 else wait_us / 1_000_000


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"
    cache_format = "throttle-log_%(scope)s_%(ident)s"

    def get_cache_key(self, request, view) -> str:
        principal = request.user
        ident = principal.pk if isinstance(principal, ApiPrincipal) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        if self.rate is None or not isinstance(caches["default"], RedisCache):
            return super().allow_request(request, view)
        self._wait = _sliding_log(self.get_cache_key(request, view), self.num_requests, self.duration)  # type: ignore[attr-defined]  # set by SimpleRateThrottle.__init__
        return self._wait is None

    def allow_principal(self, principal: ApiPrincipal) -> bool:
        """The same check (same bucket) for the ingest fast path, which has no DRF request."""
        return self.allow_request(SimpleNamespace(user=principal), None)

    def wait(self) -> float | None:
        if hasattr(self, "_wait"):
            return self._wait
        return super().wait()
