"""A site's supply means from InfluxDB's sums against the same means from its raw readings.

    python benchmarks/site_supply.py [--assets 2000] [--repeat 3]

The first assessment run of a supply site to reach a grid point needs every peer's 15-min mean
voltage and frequency at that point and at the one before (docs/CONTRACTS.md §15.6). A throwaway
influxd (pdm_project.devservices) holds ``--assets`` machines reading once a second for the 26
minutes those two windows span. In the same run:

* ``sums_s``: the platform's read, ``assessment.services.supply._site_means``: InfluxDB sums
  and counts each machine's readings per window (``TimeSeriesStore.window_totals``);
* ``raw_s``: the reference, the same means from the raw readings: ``read_assets`` 100 machines
  at a time and ``assessment.supply.window_means`` over each machine's arrays;
* ``ratio`` = raw / sums; the two answers are checked equal (1e-9 relative) for every machine.

Timings are the median of ``--repeat`` runs; ``influxd_peak_mb`` is influxd's largest resident
memory sampled every 50 ms before the reads and during each (the raw reads run second, so theirs
starts from what the sums left). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._bench_django import setup_django

GRID_S = 600
WINDOW_S = 900
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def load(n_assets: int, grid_s: int) -> list[str]:
    """Readings once a second of ``n_assets`` machines over the 26 min before ``grid_s``: a bus at
    415 V and 50 Hz with per-machine feeder drops and noise."""
    from ingestion.timeseries import PointRows, get_store

    store = get_store()
    store.setup()
    ids = [f"M-{i:04d}" for i in range(n_assets)]
    t_s = np.arange(grid_s - GRID_S - WINDOW_S - 60, grid_s + 1, dtype=np.int64)
    rng = np.random.default_rng(7)
    for i, asset_id in enumerate(ids):
        volts = 415.0 - 0.002 * i + rng.normal(0, 1.5, t_s.size)
        hz = 50.0 + rng.normal(0, 0.02, t_s.size)
        rows = [
            (asset_id, int(t) * 1_000_000, (float(v), float(f)))
            for t, v, f in zip(t_s.tolist(), volts.tolist(), hz.tolist(), strict=True)
        ]
        store.write_rows(PointRows("events", ("voltage_v", "frequency_hz"), (float, float), rows))
    return ids


def raw_means(ids: list[str], at_us: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """The reference: every reading of the windows' span into Python, then ``window_means``."""
    from assessment.supply import MEAN_WINDOW_US, window_means
    from ingestion.timeseries import get_store

    store = get_store()
    start = EPOCH + timedelta(microseconds=int(at_us.min()) - MEAN_WINDOW_US)
    end = EPOCH + timedelta(microseconds=int(at_us.max()) + 1)
    out: dict[str, dict[str, np.ndarray]] = {}
    for i in range(0, len(ids), 100):
        chunk = store.read_assets(
            measurement="events",
            asset_ids=ids[i : i + 100],
            start=start,
            end=end,
            fields=["voltage_v", "frequency_hz"],
        )
        for asset_id, pts in chunk.items():
            times = np.array([(p.time - EPOCH) // timedelta(microseconds=1) for p in pts], dtype=np.int64)
            out[asset_id] = {
                key: window_means(times, np.array([p.fields[field] for p in pts], dtype=np.float64), at_us)
                for key, field in (("voltage", "voltage_v"), ("frequency", "frequency_hz"))
            }
    return out


class PeakRss:
    """influxd's largest resident memory (MB) while the block runs, sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kb, self._stop = pid, 0, threading.Event()

    def _sample(self) -> None:
        while not self._stop.is_set():
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(fn, repeat: int, pid: int) -> tuple[float, float, object]:
    times, peaks, result = [], [], None
    for _ in range(repeat):
        with PeakRss(pid) as rss:
            started = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - started)
        peaks.append(rss.peak_kb / 1024)
    return statistics.median(times), max(peaks), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from pdm_project.devservices import InfluxdServer

    grid_s = int(time.time()) // GRID_S * GRID_S - GRID_S
    at_us = np.array([grid_s - GRID_S, grid_s], dtype=np.int64) * 1_000_000
    with (
        tempfile.TemporaryDirectory(prefix="pdm-site-bench-") as data_dir,
        InfluxdServer.launch() as server,
    ):
        setup_django(server.url, data_dir)
        from assessment.services.supply import _site_means

        started = time.perf_counter()
        ids = load(args.assets, grid_s)
        loaded_s = time.perf_counter() - started
        print(
            f"{args.assets} machines, {args.assets * (GRID_S + WINDOW_S + 61):,} readings in {loaded_s:.0f} s"
        )
        pid = server.pid
        assert pid is not None
        with PeakRss(pid) as idle:
            time.sleep(1.0)
        sums_s, sums_peak, sums = timed(lambda: _site_means(ids, at_us), args.repeat, pid)
        raw_s, raw_peak, raw = timed(lambda: raw_means(ids, at_us), args.repeat, pid)
        assert sorted(sums) == sorted(raw) == sorted(ids)  # type: ignore[call-overload]
        for asset_id in ids:
            for key in ("voltage", "frequency"):
                a, b = sums[asset_id][key], raw[asset_id][key]  # type: ignore[index]
                assert np.allclose(a, b, rtol=1e-9, atol=0), (asset_id, key, a, b)
        result = {
            "assets": args.assets,
            "readings_per_window": args.assets * WINDOW_S,
            "sums_s": round(sums_s, 3),
            "raw_s": round(raw_s, 3),
            "ratio": round(raw_s / sums_s, 1),
            "influxd_peak_mb": {
                "before": round(idle.peak_kb / 1024),
                "sums": round(sums_peak),
                "raw": round(raw_peak),
            },
        }
    print(
        f"site means of {args.assets} machines at 2 grid points: sums {sums_s:.2f} s, raw {raw_s:.2f} s "
        f"({result['ratio']}x); influxd {idle.peak_kb / 1024:.0f} MB before, peak {sums_peak:.0f} MB (sums), "
        f"{raw_peak:.0f} MB (raw)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
