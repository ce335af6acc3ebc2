"""Health checks and Prometheus metrics (docs/operations.md, docs/CONTRACTS.md §17.5)."""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ImproperlyConfigured

from .env import env_float, env_int, env_list, env_str

# /metrics: readable from these networks (CIDR) without a token, and from anywhere with
# `Authorization: Bearer <PDM_METRICS_TOKEN>`. Behind a reverse proxy the client address
# is the proxy's: set a token, or list only the Prometheus server's own address.
METRICS_ALLOWED_NETWORKS = env_list("PDM_METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
try:
    METRICS_NETWORKS = [ipaddress.ip_network(n, strict=False) for n in METRICS_ALLOWED_NETWORKS]
except ValueError as exc:
    raise ImproperlyConfigured(f"PDM_METRICS_ALLOWED_NETWORKS: {exc}") from None
METRICS_TOKEN = env_str("PDM_METRICS_TOKEN")
# How often each process adds its counts to the shared store (Redis).
METRICS_FLUSH_S = env_float("PDM_METRICS_FLUSH_S", 1.0)
# A worker writes its heartbeat this often; it counts as gone after three missed beats.
WORKER_HEARTBEAT_S = env_int("PDM_WORKER_HEARTBEAT_S", 10, minimum=1)
# /api/v1/health: queue depth above this is a warning; beat silent this long is down
# (the shortest schedule, spool replay, sends every 30 s).
HEALTH_QUEUE_DEPTH_WARN = env_int("PDM_HEALTH_QUEUE_DEPTH_WARN", 1000, minimum=0)
HEALTH_BEAT_STALE_S = env_int("PDM_HEALTH_BEAT_STALE_S", 120, minimum=1)
