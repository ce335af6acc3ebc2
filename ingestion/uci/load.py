"""Load the validated UCI data: parquet files and the readings of a ``meter`` asset.

The store holds one ``events`` point per covered hour of the meter (CONTRACTS §3.5): the hour's
mean ``voltage_v``, ``current_a``, ``power_kw`` (active), ``reactive_power_kvar``, and from them
``apparent_power_kva = sqrt(P^2 + Q^2)`` and ``power_factor = P / S``. The data set ends in
2010, far beyond the raw retention (§5.1); the points are moved forward by a whole number of
weeks (``shift_weeks``, so weekday and hour of day are kept) and only the hours inside the raw
retention are written; the parquet files keep the original times.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import transaction

from ingestion.handoff import AssetSpan, spans_of_points
from ingestion.models import Asset, AssetType, Foundation, IsoGroup, Phase, Tenant
from ingestion.timeseries import get_store
from ingestion.timeseries.base import FieldValue, Point

WRITE_CHUNK = 5000
_NS = uuid.UUID("6f1c7d0e-0b5e-4d43-9a53-2f2a2b7c0e11")


@dataclass(frozen=True)
class LoadResult:
    shift_weeks: int
    written: int
    beyond_retention: int
    spans: tuple[AssetSpan, ...] = ()  # what was written, for the hand-off to the pipeline


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Atomic write: ``path`` appears only complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp, compression="zstd")
    tmp.replace(path)


def meter_ensure(*, tenant: Tenant, asset_id: str, name: str) -> Asset:
    """The meter asset, created when absent; an existing asset of another tenant or type refused."""
    asset = Asset.objects.filter(asset_id=asset_id).first()
    if asset is None:
        asset = Asset(
            asset_id=asset_id,
            tenant=tenant,
            name=name,
            asset_type=AssetType.METER,
            phase=Phase.SINGLE,
            rated_voltage_v=230.0,
            rated_current_a=60.0,
            rated_power_kw=13.8,
            rated_rpm=1.0,
            iso_group=IsoGroup.GROUP_2,
            foundation=Foundation.RIGID,
            location="Sceaux (Hauts-de-Seine), France",
        )
        asset.full_clean()
        asset.save()
        return asset
    if asset.tenant_id != tenant.pk:
        raise ValueError(f"--asset-id: {asset_id} belongs to another tenant")
    if asset.asset_type != AssetType.METER:
        raise ValueError(f"--asset-id: {asset_id} is a {asset.asset_type}, not a meter")
    return asset


def auto_shift_weeks(last_hour: pd.Timestamp, now: datetime) -> int:
    """Whole weeks that move the last hour into the week before ``now``."""
    return max(0, int((pd.Timestamp(now) - last_hour) // pd.Timedelta(weeks=1)))


def meter_points(hourly: pd.DataFrame, *, asset_id: str, shift_weeks: int) -> list[Point]:
    p = hourly["active_power_kw"].to_numpy(dtype=float)
    q = hourly["reactive_power_kvar"].to_numpy(dtype=float)
    s = np.hypot(p, q)
    with np.errstate(invalid="ignore", divide="ignore"):
        pf = np.where(s > 0, p / s, np.nan)
    shift = timedelta(weeks=shift_weeks)
    times = [t.to_pydatetime() + shift for t in hourly["time"]]
    values = {
        "voltage_v": hourly["voltage_v"].to_numpy(dtype=float).tolist(),
        "current_a": hourly["current_a"].to_numpy(dtype=float).tolist(),
        "power_kw": p.tolist(),
        "reactive_power_kvar": q.tolist(),
        "apparent_power_kva": s.tolist(),
        "power_factor": pf.tolist(),
    }
    points = []
    for k, t in enumerate(times):
        fields: dict[str, FieldValue] = {n: v[k] for n, v in values.items() if math.isfinite(v[k])}
        fields["event_id"] = str(uuid.uuid5(_NS, f"{asset_id}|{t.isoformat()}"))
        points.append(Point("events", asset_id, t, fields))
    return points


def meter_load(
    *, hourly: pd.DataFrame, asset: Asset, shift_weeks: int | None, now: datetime | None = None
) -> LoadResult:
    """Write the hours that, once shifted, fall inside the raw retention and not after ``now``;
    only those are turned into points."""
    now = now or datetime.now(UTC)
    if shift_weeks is None:
        shift_weeks = auto_shift_weeks(hourly["time"].iloc[-1], now)
    shifted = hourly["time"] + pd.Timedelta(weeks=shift_weeks)
    retention = settings.RAW_RETENTION
    keep = shifted <= pd.Timestamp(now)
    if retention is not None:
        keep &= shifted >= pd.Timestamp(now - retention)
    points = meter_points(hourly[keep], asset_id=asset.asset_id, shift_weeks=shift_weeks)
    store = get_store()
    written = 0
    with transaction.atomic():
        for k in range(0, len(points), WRITE_CHUNK):
            written += store.write(points[k : k + WRITE_CHUNK])
    return LoadResult(
        shift_weeks=shift_weeks,
        written=written,
        beyond_retention=len(hourly) - len(points),
        spans=tuple(spans_of_points(points)),
    )
