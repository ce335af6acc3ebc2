"""InfluxDB stopped mid-stream: accepted events are spooled (202), replayed in order, never lost or doubled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingestion.models import SpoolEntry
from ingestion.tasks import spool_replay_task
from tests.ingestion.conftest import post_events
from tests.ingestion.events import T0, body, series

pytestmark = pytest.mark.slow


def test_influxdb_stopped_mid_stream_loses_nothing_and_duplicates_nothing(
    api, asset, influxd, influx_settings
):
    store = influx_settings
    events = series(asset.asset_id, 1000, step_s=10)
    batches = [events[i : i + 100] for i in range(0, 1000, 100)]
    statuses = []
    try:
        for i, batch in enumerate(batches):
            if i == 3:
                influxd.stop()
            if i == 7:
                influxd.start()
            statuses.append(post_events(api, body(batch)).status_code)
        # A client that timed out re-sends two batches: one stored before the outage, one spooled.
        statuses.append(post_events(api, body(batches[1])).status_code)
        statuses.append(post_events(api, body(batches[5])).status_code)
    finally:
        influxd.start()
    assert statuses[:3] == [201, 201, 201]
    # Down, then up again but with older events still spooled: new ones queue behind them.
    assert statuses[3:] == [202] * 9
    assert SpoolEntry.objects.count() == 9

    result = spool_replay_task()
    assert result == {"entries": 9, "events": 900, "remaining": 0}
    assert not SpoolEntry.objects.exists()

    far = T0 + timedelta(days=1)
    points = store.read(measurement="events", asset_id=asset.asset_id, start=T0, end=far)
    assert [p.fields["event_id"] for p in points] == [e["event_id"] for e in events]
    assert [p.time for p in points] == [
        datetime.fromisoformat(e["timestamp"]).astimezone(UTC) for e in events
    ]
    assert store.count(measurement="events", asset_id=asset.asset_id) == 1000

    # With the spool drained, ingest writes straight through again.
    assert post_events(api, body(series(asset.asset_id, 5, start=far))).status_code == 201


def test_replay_with_the_store_still_down_keeps_the_spool(api, asset, influxd, influx_settings):
    try:
        influxd.stop()
        assert post_events(api, body(series(asset.asset_id, 10))).status_code == 202
        result = spool_replay_task()
        assert result["entries"] == 0 and result["remaining"] == 1
        entry = SpoolEntry.objects.get()
        assert entry.attempts == 1 and entry.last_error
    finally:
        influxd.start()
    assert spool_replay_task() == {"entries": 1, "events": 10, "remaining": 0}
    assert influx_settings.count(measurement="events", asset_id=asset.asset_id) == 10
