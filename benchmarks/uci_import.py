"""The UCI household power import at full size: fetch-from-file, transform, validate, load.

    python benchmarks/uci_import.py [--rows 2075259] [--workdir /tmp/pdm_uci_bench] [--store influxdb|sql]
                                    [--broker redis://127.0.0.1:6379/N]

The real archive cannot be downloaded here, so a file in its exact format and at its full size
(2,075,259 one-minute rows from 2006-12-16 17:24, about 1.25 % of rows ``?`` in outage runs,
``ingestion.uci.sample.full_size_archive``) is written once into ``--workdir`` and reused.
Then, in the same run:

* ``reference_read_s``: a bare ``pandas.read_csv`` of the archive (C engine, ``?`` as NaN): the
  least any import must spend;
* ``import_s``: ``manage.py import_uci --file ARCHIVE --tenant bench`` in a child process, on a
  temporary SQLite registry and the time-series store of ``--store`` (``influxdb``: a private
  influxd on loopback, the production store; ``sql``: the embedded SQL store), its wall time,
  CPU time (``import_cpu_s``, user + system: the figure that does not depend on how much of the
  machine the run was given) and peak resident memory (``peak_rss_mb``, the child's
  ``ru_maxrss``);
* ``stages_s``: the command's own stage timings, and ``startup_s`` = ``import_s`` minus their sum
  (interpreter, Django set-up and the command's imports);
* the hand-off of the meter's readings to the pipeline (features and energy rollups, as for
  ingested events): with ``--broker`` (default ``$REDIS_URL``) the command queues the run on a
  Celery queue of its own, as a deployment with workers does, and the queue is deleted at the
  end (``handoff`` = ``queued``); without a broker the run happens inside the command (eager,
  ``handoff`` = ``in-process``, stage ``pipeline``);
* ``ratio`` = import_s / reference_read_s.

Claims: import_s < 120, peak_rss_mb < 2048. The stage split is printed to stderr; the last line
is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _drop_queue(url: str, queue: str) -> None:
    """Delete the benchmark's queue (the wake-up it holds has no worker to go to)."""
    import redis

    client = redis.Redis.from_url(url)
    client.delete(queue, *client.keys(f"_kombu.binding*.{queue}"))
    client.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_075_259)
    ap.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "pdm_uci_bench"))
    ap.add_argument("--store", choices=("influxdb", "sql"), default="influxdb")
    ap.add_argument("--broker", default=os.environ.get("REDIS_URL", ""), help="Redis URL ('' = eager)")
    args = ap.parse_args()
    import pandas as pd

    from ingestion.uci.sample import full_size_archive
    from pdm_project.devservices import InfluxdServer

    work = Path(args.workdir)
    archive = work / f"household_power_consumption_{args.rows}.zip"
    if not archive.exists():
        t0 = time.perf_counter()
        full_size_archive(archive, rows=args.rows)
        print(
            f"wrote {archive} ({archive.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )

    t0 = time.perf_counter()
    ref = pd.read_csv(archive, sep=";", na_values=["?"], low_memory=False)
    reference_read_s = time.perf_counter() - t0
    assert len(ref) == args.rows, len(ref)
    del ref

    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "INFLUXDB_URL", "CELERY_BROKER_URL", "REDIS_URL")
        }
        env.update(
            SQLITE_PATH=str(Path(tmp) / "bench.sqlite3"),
            PDM_DATA_DIR=tmp,
            DJANGO_SETTINGS_MODULE="pdm_project.settings",
        )
        queue = f"pdm-uci-bench-{os.getpid()}"
        if args.broker:
            env.update(CELERY_BROKER_URL=args.broker, CELERY_TASK_DEFAULT_QUEUE=queue)
            stack.callback(_drop_queue, args.broker, queue)
        if args.store == "influxdb":
            server = stack.enter_context(InfluxdServer.launch())
            env.update(INFLUXDB_URL=server.url, INFLUXDB_DATABASE="bench")
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
        subprocess.run(
            [
                *manage,
                "shell",
                "-c",
                "from ingestion.models import Tenant; Tenant.objects.create(name='bench')",
            ],
            env=env,
            check=True,
        )
        out = Path(tmp) / "out"
        cmd = [*manage, "import_uci", "--file", str(archive), "--output", str(out), "--tenant", "bench"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        cpu0 = _children_cpu_s()
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        import_s = time.perf_counter() - t0
        import_cpu_s = _children_cpu_s() - cpu0
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
    stages = summary["timings_s"]
    startup_s = import_s - sum(stages.values())
    load = os.getloadavg()[0]
    print(
        f"import {import_s:.1f} s wall, {import_cpu_s:.1f} s CPU (load average {load:.1f}): startup "
        f"{startup_s:.1f} s, " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()),
        file=sys.stderr,
    )
    result = {
        "store": args.store,
        "handoff": "queued" if args.broker else "in-process",
        "rows": summary["rows"],
        "rows_good": summary["rows_good"],
        "rows_rejected": summary["rows_rejected"],
        "hourly_rows": summary["hourly_rows"],
        "store_written": summary.get("store", {}).get("written"),
        "startup_s": round(startup_s, 2),
        "stages_s": stages,
        "reference_read_s": round(reference_read_s, 2),
        "import_s": round(import_s, 2),
        "import_cpu_s": round(import_cpu_s, 2),
        "ratio": round(import_s / reference_read_s, 2),
        "peak_rss_mb": round(max(peak_kb, before) / 1024, 1),
        "load_average_1m": round(load, 1),
        "claims": {"import_under_120_s": import_s < 120, "peak_under_2048_mb": peak_kb / 1024 < 2048},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
