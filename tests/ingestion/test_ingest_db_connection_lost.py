"""A database session ended under the web process (a PostgreSQL restart, a failover, an operator's
`pg_terminate_backend`) is an outage the client can retry: ingest answers 503 with Retry-After,
whichever path (the fast path or DRF's) met the dead connection first, never a 500."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import AssetFactory, TenantFactory, token_for
from tests.ingestion.events import T0, body, event


def terminate_this_session() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/api/v1/ingest", "/api/v1/ingest?via=drf"])
def test_a_terminated_database_session_is_503_with_retry_after_not_500(path):
    assert connection.vendor == "postgresql"
    tenant = TenantFactory()
    asset = AssetFactory(tenant=tenant)
    token = token_for(tenant, "ingest")  # never used before: its lookup must reach the database
    terminate_this_session()
    try:
        response = APIClient().generic(
            "POST", path, body([event(asset.asset_id, T0)]), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )  # fmt: skip
        assert response.status_code == 503, response.content
        assert response["Retry-After"]
        assert response.json()["detail"].startswith("database")
    finally:
        connection.close()
