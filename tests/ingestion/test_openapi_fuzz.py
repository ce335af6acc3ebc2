"""Schemathesis: requests generated from our own OpenAPI schema never get a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from pdm_project.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


def test_schema_is_served_and_lists_the_ingest_operation(client):
    resp = client.get("/api/schema/?format=json")
    assert resp.status_code == 200
    assert "/api/v1/ingest" in resp.json()["paths"]
    assert client.get("/api/docs/").status_code == 200


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case, fuzz_principal):
    # Aim generated requests at the real asset so they reach the code behind the 404.
    if case.path_parameters and "asset_id" in case.path_parameters:
        case.path_parameters["asset_id"] = "PUMP-01"
    events = case.body if isinstance(case.body, list) else [case.body]
    for ev in events:
        if isinstance(ev, dict) and "asset_id" in ev:
            ev["asset_id"] = "PUMP-01"
    response = case.call(headers={"Authorization": f"Bearer {fuzz_principal}"})
    assert response.status_code < 500, (
        case.method,
        case.formatted_path,
        response.status_code,
        response.text[:500],
    )
