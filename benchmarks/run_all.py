"""Run every benchmark script in benchmarks/ in sequence; print each one's last JSON line.

Scripts are the `*.py` files of this folder except this one and helpers whose name starts with
`_`, in name order. `detection.py` and `rul.py` share the fleet cache (`rul.py` runs its own fleets, one
degradation-law family each).
Each script's full output goes to `benchmarks/out/<name>.txt`; on the console each gets a
header, its last JSON line (or its last lines when it failed) and its wall time.

    python benchmarks/run_all.py                  # `make bench`
    python benchmarks/run_all.py --quick          # passes --quick to scripts that mention it
    python benchmarks/run_all.py --only detection rul
    python benchmarks/run_all.py --skip generator --verbose

Exit status: 0 when every script exited 0, else 1. The last line is one JSON object
{script: {"rc", "wall_s", "result"}}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def scripts() -> list[Path]:
    return sorted(
        p for p in HERE.glob("*.py") if not p.name.startswith("_") and p.name != Path(__file__).name
    )


def last_json(text: str) -> dict | None:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--quick", action="store_true", help="pass --quick to the scripts whose source mentions it"
    )
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these scripts (name without .py)")
    p.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="do not run these scripts")
    p.add_argument("--verbose", action="store_true", help="stream each script's output to the console")
    args = p.parse_args(argv)

    todo = [s for s in scripts() if (not args.only or s.stem in args.only) and s.stem not in args.skip]
    unknown = set(args.only or []) - {s.stem for s in scripts()}
    if unknown:
        p.error(f"no such benchmark: {', '.join(sorted(unknown))}")
    OUT.mkdir(exist_ok=True)
    env = dict(os.environ)
    try:  # one code hash for the whole run: the evaluation benchmarks share their fleet cache
        sys.path.insert(0, str(HERE))
        import _fleet_eval

        env.setdefault("PDM_BENCH_CODE_HASH", _fleet_eval.code_hash())
    except Exception as exc:  # the other benchmarks must still run
        print(f"(fleet cache hash not pinned: {exc})")
    summary: dict[str, dict] = {}
    failed = False
    t_all = time.perf_counter()
    for script in todo:
        cmd = [sys.executable, str(script)]
        if args.quick and "--quick" in script.read_text(encoding="utf-8"):
            cmd.append("--quick")
        print(f"== {script.stem}: {' '.join(cmd[1:])}", flush=True)
        log = OUT / f"{script.stem}.txt"
        t0 = time.perf_counter()
        with log.open("w") as fh:
            proc = subprocess.Popen(
                cmd, cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                fh.write(line)
                fh.flush()
                if args.verbose:
                    sys.stdout.write(line)
                    sys.stdout.flush()
            rc = proc.wait()
        wall = time.perf_counter() - t0
        text = log.read_text()
        result = last_json(text)
        if rc == 0 and result is not None:
            print(json.dumps(result))
        else:
            failed = True
            print(f"FAILED (exit {rc}); last lines of {log}:")
            print("\n".join(text.splitlines()[-15:]))
        print(
            f"-- {script.stem}: exit {rc}, {wall:.0f} s (output: {log.relative_to(HERE.parent)})\n",
            flush=True,
        )
        summary[script.stem] = {"rc": rc, "wall_s": round(wall, 1), "result": result}
    print(f"all benchmarks: {time.perf_counter() - t_all:.0f} s, {'FAILED' if failed else 'ok'}")
    print(json.dumps(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
