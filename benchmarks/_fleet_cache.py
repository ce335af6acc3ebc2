"""On-disk cache of the evaluation fleets' results (``var/bench-cache/``, or ``$PDM_BENCH_CACHE``).

A fleet's record is stored under a key made of the fleet configuration and a hash of the code
that produces it (generator, ingestion, analytics, assessment, knowledge library, and the
`_fleet_*.py` modules here), so `make bench` simulates each fleet once for both benchmarks and
any code change re-runs it (`run_all.py` computes the hash once and passes it on in
``PDM_BENCH_CODE_HASH``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from _fleet_config import ROOT, FleetConfig

CODE_DIRS = ("generator", "ingestion", "analytics", "assessment", "pdm_project", "docs/knowledge")
CACHE_DIR = Path(os.environ.get("PDM_BENCH_CACHE", ROOT / "var" / "bench-cache"))
FORMAT = 6  # bump when the extracted record changes


def code_hash() -> str:
    h = hashlib.sha256()
    files = sorted(Path(__file__).resolve().parent.glob("_fleet_*.py"))
    for d in CODE_DIRS:
        files += sorted(p for p in (ROOT / d).rglob("*") if p.suffix in (".py", ".md", ".yaml", ".json"))
    for p in files:
        if "__pycache__" in p.parts or "tests" in p.parts:
            continue
        h.update(str(p.relative_to(ROOT)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def cache_key(cfg: FleetConfig, code: str) -> str:
    blob = json.dumps([FORMAT, asdict(cfg), code], sort_keys=True)
    return f"fleet-s{cfg.seed}-{cfg.end}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"
