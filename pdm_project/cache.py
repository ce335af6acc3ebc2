"""The Redis cache backend, keeping one redis client per connection pool.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` for every cache call;
with redis-py 5+ that costs more CPU than the round trip itself (~60 us: the client rebuilds
its table of response callbacks), and the ingest path reads the cache on every request
(throttle, registry generation). A `redis.Redis` object is thread-safe and holds no
connection of its own (the pool does, and redis-py resets a pool after fork), so keeping one
per pool changes nothing else.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # Django's private API
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
