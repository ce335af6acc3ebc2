"""Admin of forecast versions: read-only, the refusal reason shown, a training queued on demand."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from analytics.forecast.models import ForecastModel
from tests.analytics.forecast.rollups import this_hour, weekly_load, write_rollups
from tests.factories import AssetFactory, TenantFactory

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/admin/analytics/forecastmodel/"


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(user)
    return client


def test_versions_are_listed_read_only_and_the_action_trains_again(admin_client, influx_settings):
    tenant = TenantFactory(name="young")
    AssetFactory(tenant=tenant, asset_id="NEW-1", supply_site="main")
    times, kw = weekly_load(5 * 24, this_hour())
    write_rollups("NEW-1", times[:-1], kw[:-1])
    first = ForecastModel.objects.create(
        tenant=tenant, scope="asset", scope_id="NEW-1", version=1, status="refused",
        refusal_rule="history_too_short", refusal_reason="0 h of history", training_end=times[0],
    )  # fmt: skip

    page = admin_client.get(URL)
    assert page.status_code == 200 and b"forecast of asset NEW-1 v1 (refused)" in page.content
    assert admin_client.get(f"{URL}add/").status_code == 403
    detail = admin_client.post(f"{URL}{first.pk}/change/", {"scope_id": "X"})
    assert detail.status_code == 403 and ForecastModel.objects.get(pk=first.pk).scope_id == "NEW-1"

    resp = admin_client.post(URL, {"action": "train_now", "_selected_action": [first.pk]})
    assert resp.status_code == 302
    newest = ForecastModel.objects.filter(tenant=tenant).order_by("-version").first()
    assert (newest.version, newest.status) == (2, "refused")
    assert newest.refusal_reason.startswith("119 h of history")
