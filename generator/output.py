"""Events, labels and the asset manifest: fast, deterministic JSON writers.

Events are written time-major (all assets' readings of one instant, in asset order,
then the next instant), one Canonical Sensor Event v1 per line. Each line is formatted
from numpy columns with a fixed %-template (fixed decimals per field), so the same
seed and scenario give byte-identical files. Event ids are random-looking UUIDs (version
4 layout) drawn from the asset's own seeded stream: never uuid4().

Labels (JSON lines): `labels.py` writes every line but the per-event ones,
  {"type":"event", "asset_id", "timestamp", "phase", "grid": [...]}   one per event, same
                                                                      order as the events
which `labels_format="intervals"` replaces by phase spans (much smaller for long runs).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from pdm_project.contract import FIELD_RANGES, SCHEMA_VERSION

from . import fastjson as fj
from .fleet import (
    SIGNALS,
    STREAM_EVENT_IDS,
    AssetSchedule,
    AssetSeries,
    SiteSeries,
    asset_schedule,
    simulate_asset,
    simulate_site,
)
from .grid import GRID_FREQ, GRID_SAG, GRID_SWELL
from .labels import label_head_lines
from .scenario import Fleet, stream_rng
from .scenario_schema import PHASES

# decimals per field; every value is clipped into the contract's range before formatting
DECIMALS = {
    "voltage_v": 2,
    "current_a": 3,
    "power_factor": 4,
    "frequency_hz": 3,
    "temperature_c": 2,
    "vibration_rms_mm_s": 3,
    "vibration_peak_g": 4,
    "vibration_kurtosis": 3,
    "rpm": 1,
    "ambient_temperature_c": 2,
    "vibration_1x_mm_s": 3,
    "vibration_2x_mm_s": 3,
    "envelope_bpfo_g": 5,  # a healthy envelope line is ~0.001 g
    "envelope_bpfi_g": 5,
}
GRID_JSON = [
    json.dumps([name for bit, name in ((GRID_SAG, "sag"), (GRID_SWELL, "swell"), (GRID_FREQ, "freq_excursion")) if code & bit], separators=(",", ":"))
    for code in range(8)
]  # fmt: skip
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_UUID_POS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])


def _clip_bounds(name: str) -> tuple[float, float]:
    lo, lo_inc, hi, _ = FIELD_RANGES[name]
    step = 10.0 ** -DECIMALS[name]
    return (lo if lo_inc else lo + step), hi


_BOUNDS = {name: _clip_bounds(name) for name in SIGNALS}
_INT_DIGITS = {name: fj.int_digits_for(*_BOUNDS[name]) for name in SIGNALS}


def timestamp_strings(start_epoch: float, t_rel: np.ndarray) -> list[str]:
    secs = (np.int64(round(start_epoch)) + np.rint(t_rel).astype(np.int64)).astype("datetime64[s]")
    return [s + "Z" for s in np.datetime_as_string(secs, unit="s").tolist()]


def uuid_bytes(raw: np.ndarray) -> np.ndarray:
    """(E, 16) random bytes -> (E, 36) canonical UUID text with version-4 / RFC 4122 variant bits."""
    b = raw.copy()
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80
    hexd = np.empty((b.shape[0], 32), dtype=np.uint8)
    hexd[:, 0::2] = _HEX[b >> 4]
    hexd[:, 1::2] = _HEX[b & 0x0F]
    out = np.full((b.shape[0], 36), ord("-"), dtype=np.uint8)
    out[:, _UUID_POS] = hexd
    return out


def uuid_strings(raw: np.ndarray) -> list[str]:
    return uuid_bytes(raw).astype(np.uint32).view("<U36").ravel().tolist()


def event_ids(seed: int, asset_index: int, n: int) -> np.ndarray:
    return np.frombuffer(
        stream_rng(seed, asset_index, STREAM_EVENT_IDS).bytes(16 * n), dtype=np.uint8
    ).reshape(n, 16)


@dataclass
class EventBlock:
    lines: list[str]  # event JSON objects, no newline
    labels: list[str]  # per-event label JSON objects, no newline (empty if not asked for)
    t_rel: np.ndarray  # seconds from start per event (for real-time pacing)


class _GroupFormatter:
    """Formats time blocks of one simulated group of assets (time-major order) as bytes."""

    def __init__(self, fleet: Fleet, site: SiteSeries, series: list[AssetSeries], ts_all: list[str]):
        self.site = site
        self.cols = {}
        for name in SIGNALS:
            lo, hi = _BOUNDS[name]
            self.cols[name] = np.clip(np.stack([s.signals[name] for s in series]), lo, hi)
        self.emit = np.stack([s.emit for s in series])
        self.phase = np.stack([s.phase for s in series])
        self.ids = np.stack([event_ids(fleet.seed, s.asset.index, site.t_rel.shape[0]) for s in series])
        self.asset_ids = fj.text_table([s.asset.asset_id for s in series])
        self.timestamps = np.frombuffer("".join(ts_all).encode("ascii"), dtype=np.uint8).reshape(
            len(ts_all), -1
        )
        self.phase_names = fj.text_table(list(PHASES))
        self.grid_json = fj.text_table(GRID_JSON)

    def _select(self, k0: int, k1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = self.emit.shape[0]
        mask = self.emit[:, k0:k1].T.ravel()  # time-major
        a_idx = np.tile(np.arange(a), k1 - k0)[mask]
        k_idx = np.repeat(np.arange(k0, k1), a)[mask]
        return mask, a_idx, k_idx

    def block_bytes(self, k0: int, k1: int, with_labels: bool) -> tuple[np.ndarray, np.ndarray, int]:
        """(event lines, label lines, count); the lines are uint8 arrays of UTF-8/ASCII text."""
        mask, a_idx, k_idx = self._select(k0, k1)
        e = int(mask.sum())
        empty = np.zeros(0, dtype=np.uint8)
        if e == 0:
            return empty, empty, 0
        aid = self.asset_ids[a_idx]
        ts = self.timestamps[k_idx]
        parts = [
            '{"event_id":"',
            uuid_bytes(self.ids[:, k0:k1].transpose(1, 0, 2).reshape(-1, 16)[mask]),
            '","asset_id":"',
            aid,
            '","timestamp":"',
            ts,
            '"',
        ]
        for name in SIGNALS:
            values = self.cols[name][:, k0:k1].T.ravel()[mask]
            parts.append(f',"{name}":')
            parts.append(fj.Decimal(values, DECIMALS[name], _INT_DIGITS[name]))
        parts.append(f',"schema_version":"{SCHEMA_VERSION}"}}\n')
        events = fj.assemble_array(parts, e)
        labels = empty
        if with_labels:
            ph = self.phase[:, k0:k1].T.ravel()[mask]
            gb = np.broadcast_to(self.site.grid_bits[k0:k1, None], (k1 - k0, len(self.asset_ids))).ravel()[
                mask
            ]
            labels = fj.assemble_array(
                [
                    '{"type":"event","asset_id":"',
                    aid,
                    '","timestamp":"',
                    ts,
                    '","phase":"',
                    self.phase_names[ph],
                    '","grid":',
                    self.grid_json[gb],
                    "}\n",
                ],
                e,
            )
        return events, labels, e

    def block(self, k0: int, k1: int, with_labels: bool) -> EventBlock:
        events, labels, e = self.block_bytes(k0, k1, with_labels)
        _, _, k_idx = self._select(k0, k1)
        lines = events.tobytes().decode("ascii").split("\n")[:-1] if e else []
        labs = labels.tobytes().decode("ascii").split("\n")[:-1] if labels.size else []
        return EventBlock(lines, labs, self.site.t_rel[k_idx])


# Worker-process state, inherited through fork (never pickled).
_SIM_CTX: tuple[Fleet, SiteSeries, dict[int, AssetSchedule]] | None = None
_FMT_CTX: _GroupFormatter | None = None


def _simulate_job(index: int) -> AssetSeries:
    assert _SIM_CTX is not None
    fleet, site, schedules = _SIM_CTX
    return simulate_asset(fleet, fleet.assets[index], site, schedules.get(index))


def _format_job(args: tuple[int, int, bool]) -> tuple[np.ndarray, np.ndarray, int]:
    assert _FMT_CTX is not None
    return _FMT_CTX.block_bytes(*args)


def _group_size(fleet: Fleet, max_events: int = 12_000_000) -> int:
    return max(1, min(len(fleet.assets), max_events // max(1, fleet.n_steps)))


def _pool(workers: int):  # -> multiprocessing.pool.Pool
    import multiprocessing as mp

    return mp.get_context("fork").Pool(workers)


def _simulate_group(
    fleet: Fleet, site: SiteSeries, indices: list[int], schedules: dict[int, AssetSchedule], workers: int
) -> list[AssetSeries]:
    global _SIM_CTX
    if workers <= 1 or len(indices) < 2:
        return [simulate_asset(fleet, fleet.assets[i], site, schedules.get(i)) for i in indices]
    _SIM_CTX = (fleet, site, schedules)
    try:
        with _pool(workers) as pool:
            return pool.map(_simulate_job, indices, chunksize=1)
    finally:
        _SIM_CTX = None


def _block_ranges(t_steps: int, n_assets: int, block_events: int) -> list[tuple[int, int]]:
    step = max(1, block_events // max(1, n_assets))
    return [(k0, min(t_steps, k0 + step)) for k0 in range(0, t_steps, step)]


def iter_event_blocks(
    fleet: Fleet,
    site: SiteSeries | None = None,
    schedules: dict[int, AssetSchedule] | None = None,
    block_events: int = 50_000,
    with_labels: bool = True,
    workers: int = 1,
) -> Iterator[EventBlock]:
    """Events in time-major order, in blocks. Fleets of more than ~12M events are simulated
    in groups of assets, each group written time-ordered after the previous one."""
    site = site or simulate_site(fleet)
    schedules = schedules or {}
    ts_all = timestamp_strings(site.start_epoch, site.t_rel)
    gsize = _group_size(fleet)
    n_assets = len(fleet.assets)
    for g0 in range(0, n_assets, gsize):
        indices = list(range(g0, min(n_assets, g0 + gsize)))
        series = _simulate_group(fleet, site, indices, schedules, workers)
        fmt = _GroupFormatter(fleet, site, series, ts_all)
        for k0, k1 in _block_ranges(site.t_rel.shape[0], len(indices), block_events):
            block = fmt.block(k0, k1, with_labels)
            if block.lines:
                yield block


def _iter_block_bytes(
    fleet: Fleet,
    site: SiteSeries,
    schedules: dict[int, AssetSchedule],
    with_labels: bool,
    workers: int,
    block_events: int = 50_000,
) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
    global _FMT_CTX
    ts_all = timestamp_strings(site.start_epoch, site.t_rel)
    gsize = _group_size(fleet)
    n_assets = len(fleet.assets)
    for g0 in range(0, n_assets, gsize):
        indices = list(range(g0, min(n_assets, g0 + gsize)))
        series = _simulate_group(fleet, site, indices, schedules, workers)
        fmt = _GroupFormatter(fleet, site, series, ts_all)
        del series
        ranges = _block_ranges(site.t_rel.shape[0], len(indices), block_events)
        if workers <= 1:
            for k0, k1 in ranges:
                yield fmt.block_bytes(k0, k1, with_labels)
            continue
        _FMT_CTX = fmt
        try:
            with _pool(workers) as pool:
                pending = []
                it = iter(ranges)
                for rng in it:
                    pending.append(pool.apply_async(_format_job, ((rng[0], rng[1], with_labels),)))
                    if len(pending) >= 2 * workers:
                        break
                while pending:
                    result = pending.pop(0).get()
                    nxt = next(it, None)
                    if nxt is not None:
                        pending.append(pool.apply_async(_format_job, ((nxt[0], nxt[1], with_labels),)))
                    yield result
        finally:
            _FMT_CTX = None


def manifest(fleet: Fleet) -> dict[str, Any]:
    """The asset manifest (`register_fleet` registers assets from exactly these keys)."""
    out = []
    for a, commissioned in zip(fleet.assets, fleet.commissioned, strict=True):
        out.append(
            {
                "asset_id": a.asset_id,
                "name": a.name,
                "asset_type": a.asset_type,
                "phase": a.phase,
                "rated_voltage_v": a.rated_voltage_v,
                "rated_current_a": a.rated_current_a,
                "rated_power_kw": a.rated_power_kw,
                "rated_rpm": a.rated_rpm,
                "iso_group": a.iso_group,
                "foundation": a.foundation,
                "bearing": a.bearing.as_dict(),
                "location": a.location,
                "commissioned_at": commissioned.isoformat(),
            }
        )
    return {"assets": out}


@dataclass
class SimulateResult:
    events: int
    assets: int
    seconds: float


def write_simulation(
    fleet: Fleet,
    events_out: IO[bytes] | Path | str,
    labels_out: IO[bytes] | Path | str | None = None,
    manifest_out: IO[bytes] | Path | str | None = None,
    labels_format: str = "events",
    workers: int = 1,
) -> SimulateResult:
    """Simulate the fleet and write events (JSON lines), labels and the manifest.

    Targets are paths or binary streams. `workers` > 1 simulates assets and formats
    blocks in forked worker processes; the bytes written do not depend on it.
    """
    import time

    t0 = time.perf_counter()
    site = simulate_site(fleet)
    schedules = {a.index: asset_schedule(fleet, a, site) for a in fleet.assets}
    count = 0
    with _open(events_out) as ev_f, _open(labels_out) as lab_f:
        if lab_f is not None:
            head = label_head_lines(fleet, site, schedules, labels_format)
            lab_f.write(("\n".join(head) + "\n").encode())
        per_event = lab_f is not None and labels_format == "events"
        assert ev_f is not None  # events_out is a path or a stream, never None
        for ev, lab, n in _iter_block_bytes(fleet, site, schedules, per_event, workers):
            # uint8 arrays support the buffer protocol; numpy's stubs do not declare it for IO.write
            ev_f.write(ev)  # type: ignore[call-overload]
            if per_event and lab_f is not None:
                lab_f.write(lab)  # type: ignore[call-overload]
            count += n
    if manifest_out is not None:
        with _open(manifest_out) as f:
            assert f is not None  # manifest_out is not None here
            f.write((json.dumps(manifest(fleet), indent=2) + "\n").encode())
    return SimulateResult(count, len(fleet.assets), time.perf_counter() - t0)


class _open:
    """Context manager over a path (opened for binary writing) or an already open binary stream."""

    def __init__(self, target: IO[bytes] | Path | str | None):
        self.target = target
        self.fh: IO[bytes] | None = None

    def __enter__(self) -> IO[bytes] | None:
        if self.target is None:
            return None
        if isinstance(self.target, str | Path):
            self.fh = open(self.target, "wb")
            return self.fh
        return self.target

    def __exit__(self, *exc: object) -> None:
        if self.fh is not None:
            self.fh.close()
