"""Line protocol of ingest rows: `format_rows` against the per-row templates it replaced.

    python benchmarks/line_protocol.py [--assets 20] [--days 0.5] [--chunk 5000] [--repeat 15]

A generator fleet (60 s interval) goes through the ingest path's own `parse_events` and
`event_rows` (18 fields per point: 14 readings, the event id, 3 derived), then each chunk of
--chunk rows is formatted by:

* format_rows   orjson serialises the chunk in one call, one %-template puts the tokens in place
                (the ingest path since 2026-12-02)
* templated     reference: one %-template per row with repr per float
                (`_format_rows_templated`, the ingest path before, and the fallback now)
* format_line   one point at a time (the path of `write(points)`)

Per variant: microseconds of CPU per point, best of --repeat; the ratio says how many times
faster format_rows is than the templated reference measured in the same run. Every variant's
lines are parsed back and must give the same points (values compared as floats), else the run
exits 1. No service is needed. The last line is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def generate(tmp: Path, assets: int, days: float) -> tuple[list[bytes], dict]:
    events, manifest = tmp / "events.jsonl", tmp / "assets.json"
    cmd = [sys.executable, "-m", "generator", "simulate", "--seed", "11", "--assets", str(assets)]
    cmd += ["--days", f"{days:g}", "--interval-s", "60", "--out", str(events), "--manifest", str(manifest)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return events.read_bytes().splitlines(), json.loads(manifest.read_text())


def parsed(body: bytes) -> list[tuple[str, dict, str]]:
    """(series key, fields with floats as floats, time) per line: generator data needs no escapes."""
    out = []
    for line in body.decode().rstrip("\n").split("\n"):
        key, fields, t = line.split(" ")
        values = {}
        for pair in fields.split(","):
            name, _, raw = pair.partition("=")
            values[name] = raw if raw.startswith('"') else float(raw)
        out.append((key, values, t))
    return out


def best_us_per_point(fn, chunks, n: int, repeat: int) -> tuple[float, list[bytes]]:
    best, out = float("inf"), []
    for _ in range(repeat):
        t = time.process_time()
        out = [fn(c) for c in chunks]
        best = min(best, time.process_time() - t)
    return best / n * 1e6, out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--assets", type=int, default=20)
    p.add_argument("--days", type=float, default=0.5)
    p.add_argument("--chunk", type=int, default=5000)
    p.add_argument("--repeat", type=int, default=15)
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="pdm-bench-lp-") as tmp:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdm_project.settings")
        os.environ["PDM_DATA_DIR"] = tmp  # embedded defaults; nothing is read from a database
        for var in ("DATABASE_URL", "INFLUXDB_URL", "CELERY_BROKER_URL"):
            os.environ.pop(var, None)
        import django

        django.setup()
        from ingestion.schemas import MAX_BATCH_EVENTS, parse_events
        from ingestion.services.events import event_rows
        from ingestion.timeseries import PointRows
        from ingestion.timeseries.line_protocol import _format_rows_templated, format_line, format_rows

        lines, manifest = generate(Path(tmp), args.assets, args.days)
        phases = {a["asset_id"]: a.get("phase", "three") for a in manifest["assets"]}
        events = [
            ev
            for i in range(0, len(lines), MAX_BATCH_EVENTS)
            for ev in parse_events(b"[" + b",".join(lines[i : i + MAX_BATCH_EVENTS]) + b"]")
        ]
        assets = {a: SimpleNamespace(phase=ph, pk=None) for a, ph in phases.items()}
        rows, _ = event_rows(events, assets)
        chunks = [
            PointRows(rows.measurement, rows.names, rows.kinds, rows.rows[i : i + args.chunk])
            for i in range(0, len(rows.rows), args.chunk)
        ]
        n = len(rows.rows)

        def per_point(c: PointRows) -> bytes:
            names = c.names
            return "".join(
                format_line(
                    c.measurement, a, {k: v for k, v in zip(names, vals, strict=True) if v is not None}, us
                )
                + "\n"
                for a, us, vals in c.rows
            ).encode()

        variants = {
            "format_rows": format_rows,
            "templated": lambda c: _format_rows_templated(c, c.rows).encode(),
            "format_line": per_point,
        }
        results, outputs = {}, {}
        for name, fn in variants.items():
            results[name], outputs[name] = best_us_per_point(fn, chunks, n, args.repeat)
        reference = [parsed(b) for b in outputs["templated"]]
        same = {name: [parsed(b) for b in out] == reference for name, out in outputs.items()}
        for name, us in results.items():
            print(f"{name:12s} {us:6.2f} us per point  same points as templated: {same[name]}")
        ratio = results["templated"] / results["format_rows"]
        print(f"format_rows is {ratio:.2f}x the templated reference ({n} points, {len(rows.names)} fields)")
        print(
            json.dumps(
                {
                    "points": n,
                    "fields": len(rows.names),
                    "chunk": args.chunk,
                    "us_per_point": {k: round(v, 3) for k, v in results.items()},
                    "speedup_vs_templated": round(ratio, 2),
                    "same_points": same,
                }
            )
        )
        return 0 if all(same.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
