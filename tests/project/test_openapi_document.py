"""The OpenAPI document says what the API does: the framework's error answers on every
operation, links for the stateful walk, and the values the views really send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from tests.factories import AssetFactory, TenantFactory, token_for


@pytest.fixture
def schema(client):
    return client.get("/api/schema/?format=json").json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_api_operation_documents_429_with_retry_after_and_503(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        assert "503" in responses, (method, path)
        if path == "/api/v1/health":  # not throttled, anonymous
            assert "429" not in responses and "401" not in responses
            continue
        assert responses["429"]["headers"]["Retry-After"]["required"] is True, (method, path)
        assert responses["429"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"
        }


def test_operations_with_a_path_value_document_404_and_bodies_document_413_415(schema):
    for path, method, operation in operations(schema):
        if "{" in path:
            assert "404" in operation["responses"], (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(operation["responses"]), (method, path)
            assert list(operation["requestBody"]["content"]) == ["application/json"], (method, path)


def test_links_lead_from_alerts_to_acknowledge_and_resolve_and_from_assets_to_reads(schema):
    ids = {(p, m): o["operationId"] for p, m, o in operations(schema)}
    listed = schema["paths"]["/api/v1/alerts"]["get"]["responses"]["200"]["links"]
    assert listed["AcknowledgeAlert"] == {
        "operationId": ids[("/api/v1/alerts/{alert_id}/acknowledge", "post")],
        "parameters": {"alert_id": "$response.body#/results/0/id"},
    }
    assert listed["ResolveAlert"]["operationId"] == ids[("/api/v1/alerts/{alert_id}/resolve", "post")]
    created = schema["paths"]["/api/v1/assets"]["post"]["responses"]["201"]["links"]
    assert created["GetAssetSignals"]["parameters"] == {"asset_id": "$response.body#/asset_id"}


def test_an_empty_ingest_batch_is_allowed_by_the_schema_and_accepted(schema, db):
    body = schema["paths"]["/api/v1/ingest"]["post"]["requestBody"]
    assert body["required"] is True
    array = body["content"]["application/json"]["schema"]["oneOf"][1]
    assert array["type"] == "array" and "minItems" not in array
    tenant = TenantFactory(name="acme")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'ingest')}")
    response = api.post("/api/v1/ingest", b"[]", content_type="application/json")
    assert response.status_code == 201 and response.json()["accepted"] == 0


def test_an_open_alert_answers_resolution_null_as_its_schema_says(schema, db):
    from assessment.models import Alert

    tenant = TenantFactory(name="acme")
    asset = AssetFactory(tenant=tenant, asset_id="PUMP-01")
    now = datetime.now(UTC)
    Alert.objects.create(
        asset=asset,
        tenant=tenant,
        site="main",
        cause="rule:overcurrent",
        severity="warning",
        opened_at=now - timedelta(hours=1),
        last_seen_at=now,
        explanation="x",
    )
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'read')}")
    alert = api.get("/api/v1/alerts").json()["results"][0]
    assert alert["state"] == "open" and alert["resolution"] is None
    field = schema["components"]["schemas"]["Alert"]["properties"]["resolution"]
    assert field.get("nullable") is True
    acknowledged = api.post(
        f"/api/v1/alerts/{alert['id']}/acknowledge", b"{}", content_type="application/json"
    )
    assert acknowledged.status_code == 200 and acknowledged.json()["resolution"] is None
    resolved = api.post(
        f"/api/v1/alerts/{alert['id']}/resolve",
        b'{"note": "bearing greased"}',
        content_type="application/json",
    )
    assert resolved.json()["resolution"] == "manual"
