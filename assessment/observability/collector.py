"""The metrics `/metrics` serves, gathered at scrape time (docs/CONTRACTS.md §17.5).

Counts and durations come from the shared store (`pdm_project.metrics`: every web and worker
process adds to it); gauges (spool, pipeline backlog, alerts, queue, workers, beat) are read
from SQL and Redis now, so they are right whichever process is scraped.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from analytics.models import AnalyticsState
from ingestion import health
from ingestion.models import Asset, AssetType
from pdm_project import metrics

from ..models import Alert, AlertState, Severity

COUNTER_HELP = {
    "pdm_ingest_events_accepted_total": "Events accepted by POST /api/v1/ingest (outcome: stored, or spooled while the time-series store is down)",
    "pdm_ingest_rejected_total": "Ingest requests refused, by reason (the HTTP status, CONTRACTS §17.2)",
}
HISTOGRAM_HELP = {
    "pdm_task_duration_seconds": "Wall-clock duration of Celery tasks, by task name and final state",
}


def _lag_by_type() -> tuple[dict[str, float], dict[str, int]]:
    """Per asset type: the widest event-time span not yet analysed, and how many assets have one."""
    lag: dict[str, float] = {t: 0.0 for t in AssetType.values}
    pending: dict[str, int] = {t: 0 for t in AssetType.values}
    rows = AnalyticsState.objects.filter(asset__active=True).values_list(
        "asset__asset_type", "pending_from", "pending_until", "inflight_from", "inflight_until"
    )
    for asset_type, p_from, p_until, i_from, i_until in rows:
        start = min(filter(None, [p_from, i_from]), default=None)
        end = max(filter(None, [p_until, i_until]), default=None)
        if start is None or end is None:
            continue
        pending[asset_type] = pending.get(asset_type, 0) + 1
        lag[asset_type] = max(lag.get(asset_type, 0.0), (end - start).total_seconds())
    return lag, pending


class PlatformCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from self._shared()
        yield from self._spool()
        yield from self._pipeline()
        yield from self._alerts()
        yield from self._services()

    def _shared(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("pdm_metrics_store_up", "1 when the shared counters (Redis) could be read")
        try:
            snap = metrics.metrics_snapshot()
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for name, help_text in COUNTER_HELP.items():
            series = snap.counters.get(name, {})
            label_names = sorted({k for labels in series for k, _ in labels})
            family = CounterMetricFamily(name, help_text, labels=label_names)
            for labels, value in sorted(series.items()):
                d = dict(labels)
                family.add_metric([d.get(k, "") for k in label_names], value)
            yield family
        for name, help_text in HISTOGRAM_HELP.items():
            hseries = snap.histograms.get(name, {})
            label_names = sorted({k for labels in hseries for k, _ in labels})
            hfamily = HistogramMetricFamily(name, help_text, labels=label_names)
            for labels, h in sorted(hseries.items()):
                d = dict(labels)
                buckets = [
                    (metrics._le(b), h.buckets.get(metrics._le(b), 0.0)) for b in metrics.DURATION_BUCKETS_S
                ]
                hfamily.add_metric([d.get(k, "") for k in label_names], buckets, h.sum)
            yield hfamily

    def _spool(self) -> Iterator[Metric]:
        check = health.check_spool()
        if check["status"] == "down":
            return
        for name, key, text in (
            ("pdm_spool_entries", "entries", "Batches waiting in the spool for the time-series store"),
            ("pdm_spool_events", "events", "Events waiting in the spool"),
            (
                "pdm_spool_oldest_age_seconds",
                "oldest_age_s",
                "Wall-clock age of the oldest spooled batch (0 when empty)",
            ),
        ):
            g = GaugeMetricFamily(name, text)
            g.add_metric([], float(check[key]))
            yield g

    def _pipeline(self) -> Iterator[Metric]:
        lag, pending = _lag_by_type()
        g = GaugeMetricFamily(
            "pdm_pipeline_lag_seconds",
            "Widest event-time span received but not yet analysed, over the active assets of each type",
            labels=["asset_type"],
        )
        p = GaugeMetricFamily(
            "pdm_pipeline_assets_pending", "Active assets with events not yet analysed", labels=["asset_type"]
        )
        for asset_type in sorted(lag):
            g.add_metric([asset_type], lag[asset_type])
            p.add_metric([asset_type], pending[asset_type])
        yield g
        yield p
        oldest = (
            AnalyticsState.objects.filter(queued=True, queued_at__isnull=False)
            .order_by("queued_at")
            .values_list("queued_at", flat=True)
        ).first()
        q = GaugeMetricFamily(
            "pdm_pipeline_oldest_queued_age_seconds",
            "Wall-clock age of the oldest analytics run queued and not yet taken (0 when none)",
        )
        q.add_metric([], max(0.0, time.time() - oldest.timestamp()) if oldest else 0.0)
        yield q
        assets = GaugeMetricFamily("pdm_assets_active", "Active assets", labels=["asset_type"])
        counts = dict(Asset.objects.filter(active=True).values_list("asset_type").annotate(n=Count("id")))
        for asset_type in sorted(AssetType.values):
            assets.add_metric([asset_type], counts.get(asset_type, 0))
        yield assets

    def _alerts(self) -> Iterator[Metric]:
        counts: dict[tuple[str, str], int] = defaultdict(int)
        rows = (
            Alert.objects.exclude(state=AlertState.RESOLVED)
            .values_list("state", "severity")
            .annotate(n=Count("id"))
        )
        for state, severity, n in rows:
            counts[(state, severity)] = n
        g = GaugeMetricFamily(
            "pdm_alerts_unresolved",
            "Alerts open or acknowledged, by state and severity",
            labels=["state", "severity"],
        )
        for state in (AlertState.OPEN, AlertState.ACKNOWLEDGED):
            for severity in Severity.values:
                g.add_metric([state.value, severity], counts[(state.value, severity)])
        yield g
        total = CounterMetricFamily(
            "pdm_alerts_opened", "Alerts ever opened, by severity", labels=["severity"]
        )
        opened = dict(Alert.objects.values_list("severity").annotate(n=Count("id")))
        for severity in Severity.values:
            total.add_metric([severity], opened.get(severity, 0))
        yield total

    def _services(self) -> Iterator[Metric]:
        checks = {name: check() for name, check in health.CHECKS.items() if name != "spool"}
        up = GaugeMetricFamily(
            "pdm_component_up",
            "1 when the /api/v1/health check of the component is ok or warning, 0 when down (off: not listed)",
            labels=["component"],
        )
        for name, check in checks.items():
            if check["status"] != "off":
                up.add_metric([name], 0.0 if check["status"] == "down" else 1.0)
        yield up
        broker = checks["broker"]
        if "depth" in broker:
            g = GaugeMetricFamily("pdm_broker_queue_depth", "Celery messages waiting in the default queue")
            g.add_metric([], broker["depth"])
            yield g
            live = GaugeMetricFamily(
                "pdm_broker_live_queue_depth", "Celery messages waiting in the live analytics queue"
            )
            live.add_metric([], broker["live_depth"])
            yield live
        w = GaugeMetricFamily("pdm_workers_alive", "Celery workers whose heartbeat is current")
        w.add_metric([], checks["workers"].get("alive", 0))
        yield w
        age = checks["beat"].get("last_run_age_s")
        if age is not None:
            b = GaugeMetricFamily(
                "pdm_beat_last_run_age_seconds", "Seconds since Celery beat last sent a task"
            )
            b.add_metric([], age)
            yield b
