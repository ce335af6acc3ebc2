"""Soak: the whole stack (as its units run it) under a steady stream; memory, queue and lag sampled.

Starts the stack of tests/e2e/stack.py (own PostgreSQL, Redis, influxd, gunicorn, Celery worker
and beat from deploy/*.service), registers a generator fleet and streams it through the API at
`--rate` events/s for `--minutes`. Every `--sample-s` it records the resident memory (RSS) of
each component (every process of the unit's process group, summed: gunicorn's master and
workers, Celery's main process and pool; postgres with its backends; redis-server; influxd),
the broker's queue depth (/api/v1/health) and the pipeline lag (/metrics
`pdm_pipeline_lag_seconds`, the widest event-time span not yet analysed, max over asset types).

Memory is the resident memory the processes own (RssAnon + RssShmem: `rss_*` in the JSON), not
the file-backed pages of mapped files, which VmRSS also counts (`vmrss_*`, printed beside it):
influxd maps its TSM and TSI files, so its VmRSS grows with the database it serves, and those pages
are the kernel's page cache, dropped under memory pressure and re-read from disk.

Reference, measured in the same run: each component's peak in the last 2 minutes of the warm-up
(`--warmup-min`, default a third of the run, at most 5 min); a garbage-collected heap rises and
falls with its collections, so peak is compared with peak. Goal: no component's peak after the
warm-up is more than 10 % above its reference, and the lag stays bounded (its max in the last
third of the run is not above the max of the middle third by more than 20 %).

The trend under those swings is printed beside the goal's figure: `median_growth_pct`, each
component's median over the last 5 minutes against its median over the first 5 after the warm-up.

    .venv/bin/python benchmarks/soak.py --minutes 30 --real-time --interval-s 1  # a live plant
    .venv/bin/python benchmarks/soak.py --minutes 30            # an accelerated backfill
    .venv/bin/python benchmarks/soak.py --minutes 3 --rate 2000 # a short form

Two shapes of the same rate. `--real-time`: a plant of `--rate` x `--interval-s` machines (2,000
at one reading per second) streams live, each event sent when the wall clock reaches its timestamp,
so the data spans the run's 30 minutes and every run is on the live queue (CONTRACTS §17.4). None
of these machines has the 72 h of history a baseline needs, so nothing is scored against one.
Without it: `--assets` machines (40) send `--interval-s` readings (60 s) as fast as `--rate`
allows, starting weeks back, so the run's 30 minutes carry two months of event time on the
default queue, with baselines trained and scored. InfluxDB keeps a shard per day of event time
(the shard group duration of the 90-day raw retention policy), and influxd's memory follows its shards: that
growth is the data's span, which a live stream adds once a day.

CPU per component (`cpu_pct_after_warmup`, % of one core, the process group's utime + stime and
that of its reaped children, from /proc) says where the cores went.

The lag in event time says how much history waits, not how long: in an accelerated stream it is
capped by the span of history sent. So the run also counts the events the pipeline has analysed
(feature points in InfluxDB, one per event) against those ingest accepted: `analysed_rate_events_s`
(after the warm-up) is the rate the pipeline sustains, and `backlog_catch_up_s` the wall-clock time
it needs for the backlog left at the end. influxd's memory is broken down from its /debug/vars (TSM
write caches per shard, Go heap).

Last line: JSON with `max_rss_growth_pct`, `rss_growth_last_third_pct`, `median_growth_pct`,
`max_vmrss_growth_pct`,
`max_lag_s`, `lag_bounded`,
`analysed_rate_events_s`, `backlog_catch_up_s`, `max_queue_depth`, `max_live_queue_depth`,
`cpu_pct_after_warmup`, `influxd_memory`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def status_kb(pids: list[int], *keys: str) -> int:
    """Sum over ``pids`` of the /proc/<pid>/status lines ``keys`` (kB)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.split(":", 1)[0] in keys:
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def rss_kb(pids: list[int]) -> int:
    """Resident memory, file-backed pages included (VmRSS)."""
    return status_kb(pids, "VmRSS")


def private_kb(pids: list[int]) -> int:
    """Resident memory the processes own: anonymous and shared-memory pages (RssAnon +
    RssShmem), without the file-backed pages of their mapped files (VmRSS - RssFile)."""
    return status_kb(pids, "RssAnon", "RssShmem")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pids: list[int]) -> float:
    """CPU seconds used by ``pids`` and their reaped children (utime + stime + cutime + cstime):
    a Celery pool child replaced after its task limit is counted in its parent once reaped."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])
    return total / CLOCK_TICKS


def group_pids(pid: int) -> list[int]:
    r = subprocess.run(["pgrep", "-g", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in r.stdout.split()]


def components(stack) -> dict[str, list[int]]:
    out = {name.removesuffix(".service"): group_pids(p.pid) for name, p in stack.procs.items()}
    out["postgresql"] = group_pids(stack.postgres.proc.pid)
    out["redis"] = [stack.redis.proc.pid]
    out["influxd"] = [stack.influx._proc.pid]
    return out


def lag_s(base: str) -> float:
    import requests
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"{base}/metrics", timeout=30).text
    lags = [
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "pdm_pipeline_lag_seconds"
    ]
    return max(lags, default=0.0)


def analysed_events(stack, start_us: int, interval_s: int) -> int:
    """Events the pipeline has analysed: feature points (one per event, CONTRACTS §6). Every
    machine of the fleet sends one event each `interval_s` from `start_us`, and a run writes the
    features of its range in time order, so each machine's count is its newest feature point's
    place on that grid. Read with one `last()` per machine: counting the points (`count()` over
    every shard every 10 s) costs influxd more the longer the run, and its query buffers showed up
    as influxd's memory."""
    import requests

    r = requests.get(
        f"{stack.influx.url}/query",
        params={
            "db": "pdm",
            "epoch": "u",
            "q": 'SELECT last("running") FROM "derived"."features" GROUP BY "asset_id"',
        },
        timeout=120,
    )
    r.raise_for_status()
    series = r.json()["results"][0].get("series") or []
    step_us = interval_s * 1_000_000
    return sum((int(s["values"][0][0]) - start_us) // step_us + 1 for s in series)


def influxd_memory(stack) -> dict:
    """What influxd's resident memory holds (its /debug/vars): the TSM write caches of every
    shard (`cache_mb`; a shard's cache is written to disk at 25 MB or once the shard has had no
    write for 10 min), the Go heap in use and the live heap at the last collection (`NextGC` / 2
    under GOGC=100)."""
    import requests

    d = requests.get(f"{stack.influx.url}/debug/vars", timeout=30).json()
    caches = [v["values"] for v in d.values() if isinstance(v, dict) and v.get("name") == "tsm1_cache"]
    mem = d["memstats"]
    return {
        "shards": len(caches),
        "cache_mb": round(sum(c.get("memBytes", 0) for c in caches) / 2**20, 1),
        "heap_inuse_mb": round(mem["HeapInuse"] / 2**20, 1),
        "live_heap_mb": round(mem["NextGC"] / 2 / 2**20, 1),
    }


def accepted_events(base: str) -> float:
    """Events the API accepted so far (/metrics, summed over the web processes)."""
    import requests
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"{base}/metrics", timeout=30).text
    return sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "pdm_ingest_events_accepted_total"
    )


def slope(samples: list[dict], key: str) -> float | None:
    """Least-squares rate of ``key`` per second over the samples."""
    if len(samples) < 2:
        return None
    ts = [s["t_s"] for s in samples]
    ys = [s[key] for s in samples]
    mt, my = sum(ts) / len(ts), sum(ys) / len(ys)
    var = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (y - my) for t, y in zip(ts, ys, strict=True)) / var if var else None


def cpu_share(samples: list[dict]) -> dict[str, float]:
    """Per component, CPU used between the first and last sample, in % of one core."""
    first, last = samples[0], samples[-1]
    span = last["t_s"] - first["t_s"]
    return {
        name: round(100.0 * (last["cpu_s"][name] - first["cpu_s"].get(name, 0.0)) / span, 1)
        for name in last["cpu_s"]
    }


#: the reference of the memory growth is the peak of this span before its start: a garbage-collected
#: heap (influxd's Go runtime, CPython's arenas) rises and falls with its collections, so one sample
#: may be a trough; peak against peak measures the growth of the envelope, which a leak raises
REFERENCE_SPAN_S = 120.0


def reference_peak(samples: list[dict], start_s: float, key: str) -> dict[str, int]:
    """Per component, the peak of ``key`` over the ``REFERENCE_SPAN_S`` before ``start_s``."""
    span = [s for s in samples if start_s - REFERENCE_SPAN_S <= s["t_s"] <= start_s] or samples[:1]
    return {name: max(s[key][name] for s in span) for name in span[0][key]}


def envelope_growth(samples: list[dict], start_s: float, key: str) -> dict[str, float]:
    """Per component, % by which the peak of ``key`` after ``start_s`` exceeds the reference peak."""
    reference = reference_peak(samples, start_s, key)
    after = [s for s in samples if s["t_s"] > start_s]
    return {
        name: round(100.0 * (max(s[key][name] for s in after) - ref) / ref, 1)
        for name, ref in reference.items()
        if ref and after
    }


def median_growth(samples: list[dict], start_s: float, key: str) -> dict[str, float]:
    """Per component, % by which the median of ``key`` over the last ``REFERENCE_SPAN_S`` x 2.5
    of the run exceeds its median over as long just after ``start_s``: the trend under the
    collections' swings, which a leak raises and a transient peak does not."""
    span = 2.5 * REFERENCE_SPAN_S
    first = [s for s in samples if start_s <= s["t_s"] < start_s + span]
    last = [s for s in samples if s["t_s"] >= samples[-1]["t_s"] - span]
    if not first or not last:
        return {}

    def median(window: list[dict], name: str) -> float:
        return statistics.median(s[key][name] for s in window)

    return {
        name: round(100.0 * (median(last, name) - ref) / ref, 1)
        for name in first[0][key]
        if (ref := median(first, name))
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=2000.0, help="events/s sent")
    parser.add_argument("--assets", type=int, default=40)
    parser.add_argument("--interval-s", type=int, default=60)
    parser.add_argument("--sample-s", type=float, default=10.0)
    parser.add_argument("--warmup-min", type=float, default=None)
    parser.add_argument(
        "--real-time",
        action="store_true",
        help="a live plant: the fleet (--rate x --interval-s machines) sends each event at its timestamp",
    )
    args = parser.parse_args()
    if args.real_time:
        args.assets = round(args.rate * args.interval_s)
    warmup_s = 60 * (args.warmup_min if args.warmup_min is not None else min(5.0, args.minutes / 3))

    import django
    import requests
    import yaml

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdm_project.settings")
    django.setup()
    from tests.e2e.stack import Stack

    events_needed = args.rate * args.minutes * 60 * 1.1
    days = math.ceil(events_needed / (args.assets * 86400 / args.interval_s)) + 1
    if args.real_time:
        days = (args.minutes + 5) / 1440
    work = Path(tempfile.mkdtemp(prefix="pdm-soak-"))
    stack = Stack(work)
    stack.write_env()
    samples: list[dict] = []
    try:
        stack.start_all(first=True)
        from datetime import UTC, datetime, timedelta

        if args.real_time:
            # the first event a little after the fleet is registered, on the interval's grid
            start = datetime.fromtimestamp(
                (int(time.time()) // args.interval_s + 1) * args.interval_s + 60, UTC
            )
        else:
            start = (datetime.now(UTC) - timedelta(days=days + 1)).replace(minute=0, second=0, microsecond=0)
        start_us = int(start.timestamp()) * 1_000_000
        scenario = work / "fleet.yaml"
        scenario.write_text(
            yaml.safe_dump(
                {
                    "seed": 3,
                    "duration_days": days,
                    "interval_s": args.interval_s,
                    "start": start.isoformat().replace("+00:00", "Z"),
                    "assets": [{"type": "motor", "count": args.assets}],
                    "faults": [],
                }
            )
        )
        subprocess.run(
            [sys.executable, "-m", "generator", "simulate", "--scenario", str(scenario), "--out", str(work / "sample.jsonl"), "--days", "0.0002" if args.real_time else "0.01",
             "--manifest", str(work / "assets.json")],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        stack.manage("register_fleet", str(work / "assets.json"), "--tenant", "soak", "--create-tenant")
        token = (
            stack.manage("create_api_token", "--tenant", "soak", "--scope", "ingest").strip().splitlines()[-1]
        )
        gen = subprocess.Popen(
            [sys.executable, "-m", "generator", "stream", "--scenario", str(scenario), "--url",
             f"{stack.base}/api/v1/ingest", "--token", token, "--rate", str(args.rate), "--batch-size", "500",
             "--max-events", str(int(args.rate * args.minutes * 60)),
             *(["--real-time"] if args.real_time else [])],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=(work / "generator.err").open("wb"), text=True,
        )  # fmt: skip
        t0 = time.monotonic()
        while gen.poll() is None and time.monotonic() - t0 < args.minutes * 60 + 120:
            t = time.monotonic() - t0
            comps = components(stack)
            health = requests.get(f"{stack.base}/api/v1/health", timeout=30).json()
            samples.append(
                {
                    "t_s": round(t, 1),
                    "rss_kb": {name: rss_kb(pids) for name, pids in comps.items()},
                    "private_kb": {name: private_kb(pids) for name, pids in comps.items()},
                    "cpu_s": {name: cpu_s(pids) for name, pids in (comps | {"generator": [gen.pid]}).items()},
                    "queue_depth": health["checks"]["broker"].get("depth", 0),
                    "live_queue_depth": health["checks"]["broker"].get("live_depth", 0),
                    "lag_s": lag_s(stack.base),
                    "accepted": accepted_events(stack.base),
                    "analysed": analysed_events(stack, start_us, args.interval_s),
                    "influxd": influxd_memory(stack),
                }
            )
            print(json.dumps(samples[-1]), flush=True)
            time.sleep(args.sample_s)
        out, _ = gen.communicate(timeout=600)
        summary = json.loads(out.strip().splitlines()[-1])
    finally:
        stack.stop()

    after = [s for s in samples if s["t_s"] >= warmup_s]
    if len(after) < 2:
        print("the run is too short for its warm-up: raise --minutes or lower --warmup-min", file=sys.stderr)
        return 2
    growth = envelope_growth(samples, warmup_s, "private_kb")
    growth_rss = envelope_growth(samples, warmup_s, "rss_kb")
    last_start = samples[2 * (len(samples) // 3)]["t_s"] if len(samples) >= 3 else warmup_s
    growth_last = envelope_growth(samples, last_start, "private_kb")
    third = len(samples) // 3 or 1
    middle, last = samples[third : 2 * third], samples[2 * third :]
    max_mid = max((s["lag_s"] for s in middle), default=0.0)
    max_last = max((s["lag_s"] for s in last), default=0.0)
    # The pipeline's own throughput after the warm-up (events analysed per second of wall clock)
    # against the ingest rate: the lag is bounded only if it keeps up. The backlog in wall-clock
    # seconds is how long the pipeline needs to catch up at its measured rate once ingest stops.
    analysed_rate = slope(after, "analysed")
    accepted_rate = slope(after, "accepted")
    backlog = samples[-1]["accepted"] - samples[-1]["analysed"]
    result = {
        "minutes": args.minutes,
        "rate_events_s": args.rate,
        "events_accepted": summary["accepted"],
        "events_failed": summary["failed"] + summary["rejected"],
        "achieved_rate_events_s": round(summary["accepted"] / summary["seconds"], 1)
        if summary["seconds"]
        else None,
        "warmup_s": warmup_s,
        "reference_private_mb": {
            k: round(v / 1024, 1) for k, v in reference_peak(samples, warmup_s, "private_kb").items()
        },
        "rss_growth_pct": growth,
        "max_rss_growth_pct": max(growth.values()),
        "goal_max_rss_growth_pct": 10.0,
        "rss_growth_last_third_pct": growth_last,
        "median_growth_pct": median_growth(samples, warmup_s, "private_kb"),
        "vmrss_growth_pct": growth_rss,
        "max_vmrss_growth_pct": max(growth_rss.values()),
        "max_lag_s": max(s["lag_s"] for s in after),
        "lag_bounded": max_last <= 1.2 * max_mid + 60,
        "ingest_rate_after_warmup_events_s": round(accepted_rate, 1) if accepted_rate else None,
        "analysed_rate_events_s": round(analysed_rate, 1) if analysed_rate is not None else None,
        "backlog_events_at_end": int(backlog),
        "backlog_catch_up_s": round(backlog / analysed_rate, 1) if analysed_rate else None,
        "max_queue_depth": max(s["queue_depth"] for s in samples),
        "max_live_queue_depth": max(s["live_queue_depth"] for s in samples),
        # where the two cores went after the warm-up: % of one core per component
        "cpu_pct_after_warmup": cpu_share(after),
        # influxd's memory at the start of the middle and last thirds and at the end
        "influxd_memory": [s["influxd"] | {"t_s": s["t_s"]} for s in (middle[:1] + last[:1] + samples[-1:])],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
