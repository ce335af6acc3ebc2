"""The page at `/`: it answers 200 to anyone and links the API docs, the admin and the live
fleet health; a signed-in tenant member is named, and the fleet link works with that session."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from ingestion.models import TenantMember
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


def test_an_anonymous_visitor_gets_the_landing_page_with_its_links():
    response = Client().get("/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for href in ("/api/docs/", "/admin/", "/api/v1/fleet/health", "/api/v1/alerts", "/api/v1/health"):
        assert f'href="{href}"' in html, href
    assert 'href="/admin/login/?next=/"' in html
    assert "<script" not in html  # a plain page; the dashboard replaces it


def test_a_signed_in_member_is_named_and_the_fleet_health_link_answers_for_the_session():
    tenant = TenantFactory(name="plant-a")
    user = get_user_model().objects.create_user("operator", password="a long password 1")
    TenantMember.objects.create(user=user, tenant=tenant)
    client = Client()
    client.force_login(user)

    page = client.get("/").content.decode()
    fleet = client.get("/api/v1/fleet/health")

    assert "Signed in as <strong>operator</strong> of tenant <strong>plant-a</strong>" in page
    assert fleet.status_code == 200
    assert fleet.json()["counts"] is not None


def test_a_login_without_a_tenant_is_told_the_fleet_links_will_refuse_it():
    user = get_user_model().objects.create_user("visitor", password="a long password 2")
    client = Client()
    client.force_login(user)

    assert "not a member of any tenant" in client.get("/").content.decode()
    assert client.get("/api/v1/fleet/health").status_code == 403
