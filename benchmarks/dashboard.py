"""The dashboard in Chromium on InfluxDB data: asset page, fleet page and JavaScript size.

    python benchmarks/dashboard.py [--assets 500] [--repeat 3]

Starts a private influxd (pdm_project.devservices) and a gunicorn server of this checkout on a
throwaway SQLite database, fills them (benchmarks/_dashboard_setup.py: 500 machines with an
assessment each; one machine with 30 days of one-minute events of six signals, 43,200 events,
and five-minute health points), logs in with Debian's Chromium through playwright-core
(benchmarks/_dashboard_probe.mjs) and measures, from navigation start (`performance.now()`):

* asset_page_s   the asset page on the 30-day range until the six signal charts are drawn with
                 their data (goal < 1 s)
* fleet_page_s   the fleet page until all 500 rows are in the table and a click on a column's
                 sort has reordered it (interactive; goal < 1.5 s)
* js_gzip_kb     the built JavaScript (frontend/dist/assets/*.js), gzip level 9 (goal <= 300)

References measured in the same run: the browser fetching the asset page's signals request alone
(`ref_asset_api_s`) and the fleet page's two requests alone (`ref_fleet_api_s`); the ratios say
what share of a page's time is the API's. Each figure is the median of --repeat navigations
(the first after the server started included). The build must exist (`make frontend`). The last
line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def js_gzip_kb() -> float:
    files = sorted((ROOT / "frontend" / "dist" / "assets").glob("*.js"))
    if not files:
        raise SystemExit("frontend/dist has no JavaScript: run `make frontend` first")
    return sum(len(gzip.compress(f.read_bytes(), compresslevel=9)) for f in files) / 1024


def run(argv: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout


def wait_for(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - our loopback server
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"no answer at {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from pdm_project.devservices import InfluxdServer, free_port

    kb = js_gzip_kb()
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    start = end - timedelta(days=30)
    z = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="pdm-bench-dash-") as tmp, InfluxdServer.launch() as influx:
        work = Path(tmp)
        env = {
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
        }
        env.update(
            {
                "SQLITE_PATH": str(work / "bench.sqlite3"),
                "INFLUXDB_URL": influx.url,
                "INFLUXDB_DATABASE": "pdm_bench_dashboard",
                "CELERY_BROKER_URL": "",
                "DJANGO_STATIC_ROOT": str(work / "static"),
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(32),
                "API_TOKEN_RATE": "100000/s",
                "PDM_LOGIN_RATE": "1000/min",
                "BENCH_END": z(end),
                "BENCH_ASSETS": str(args.assets),
                "BENCH_PASSWORD": secrets.token_urlsafe(16),
            }
        )
        py = sys.executable
        run([py, "manage.py", "migrate", "--noinput", "-v0"], env)
        run([py, "manage.py", "check_timeseries"], env)
        run([py, "manage.py", "collectstatic", "--noinput", "-v0"], env)
        t = time.perf_counter()
        print(
            run(
                [py, "manage.py", "shell", "-c", (ROOT / "benchmarks" / "_dashboard_setup.py").read_text()],
                env,
            ).strip()
        )
        print(f"setup {time.perf_counter() - t:.1f} s")
        port = free_port()
        log = work / "server.log"
        server = subprocess.Popen(
            [py, "-m", "gunicorn", "pdm_project.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--threads", "4", "--timeout", "120"],
            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/api/v1/health", server, log)
            probe = run(
                ["node", str(ROOT / "benchmarks" / "_dashboard_probe.mjs")],
                {
                    **env,
                    "FRONTEND_DIR": str(ROOT / "frontend"),
                    "BENCH_BASE": base,
                    "BENCH_FROM": z(start),
                    "BENCH_TO": z(end),
                    "BENCH_REPEAT": str(args.repeat),
                },
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    m = json.loads(probe.strip().splitlines()[-1])
    med = {k: statistics.median(v) for k, v in m.items() if k != "asset_points"}
    print(f"asset page, 6 signals x 30 days x 1 min: {med['asset_page_s']:.3f} s (runs {m['asset_page_s']}; "
          f"points per chart {m['asset_points'][0]}); reference signals request alone {med['ref_asset_api_s']:.3f} s "
          f"(page / reference {med['asset_page_s'] / med['ref_asset_api_s']:.1f})")  # fmt: skip
    print(f"fleet page, {args.assets} assets: rows {med['fleet_rows_s']:.3f} s, interactive (sorted) "
          f"{med['fleet_page_s']:.3f} s; reference its two requests alone {med['ref_fleet_api_s']:.3f} s "
          f"(page / reference {med['fleet_page_s'] / med['ref_fleet_api_s']:.1f})")  # fmt: skip
    print(f"JavaScript {kb:.1f} KB gzipped")
    ok = med["asset_page_s"] < 1.0 and med["fleet_page_s"] < 1.5 and kb <= 300
    print("goals (< 1 s, < 1.5 s, <= 300 KB):", "met" if ok else "NOT met")
    print(
        json.dumps(
            {
                "asset_page_s": round(med["asset_page_s"], 3),
                "fleet_page_s": round(med["fleet_page_s"], 3),
                "js_gzip_kb": round(kb, 1),
                "fleet_rows_s": round(med["fleet_rows_s"], 3),
                "ref_asset_api_s": round(med["ref_asset_api_s"], 3),
                "ref_fleet_api_s": round(med["ref_fleet_api_s"], 3),
                "asset_points_per_chart": m["asset_points"][0],
                "assets": args.assets,
                "goals_met": ok,
            }
        )
    )


if __name__ == "__main__":
    main()
