"""Command line: python -m generator {simulate,stream,invalid} ...

Bad input (unknown mode, negative days, unknown scenario keys, ...) prints one line
naming the option and the rule it breaks and exits 2; never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .laws import FAMILIES
from .scenario import build_fleet, resolve_start, scenario_from_flags
from .scenario_schema import FAULT_MODES, RAW_RETENTION_DAYS, ScenarioError, ScenarioModel, load_scenario

MAX_FUTURE_SKEW = timedelta(minutes=5)


class CliError(ScenarioError):
    pass


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r} (rule: positive)") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r} (rule: positive)")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number >= 0, got {text!r} (rule: non_negative)"
        ) from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r} (rule: non_negative)")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an integer >= 1, got {text!r} (rule: positive_integer)"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r} (rule: positive_integer)")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an integer >= 0, got {text!r} (rule: non_negative_integer)"
        ) from None
    if value < 0 or value >= 2**63:
        raise argparse.ArgumentTypeError(
            f"must be an integer in 0..2^63-1, got {text!r} (rule: non_negative_integer)"
        )
    return value


def _faults(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    if not modes:
        raise argparse.ArgumentTypeError("needs at least one mode (rule: choice)")
    for m in modes:
        if m not in FAULT_MODES:
            raise argparse.ArgumentTypeError(
                f"unknown failure mode {m!r}; valid: {', '.join(FAULT_MODES)} (rule: choice)"
            )
    return modes


def _families(text: str) -> list[str]:
    names = [m.strip() for m in text.split(",") if m.strip()]
    if not names:
        raise argparse.ArgumentTypeError("needs at least one law family (rule: choice)")
    for m in names:
        if m not in FAMILIES:
            raise argparse.ArgumentTypeError(
                f"unknown law family {m!r}; valid: {', '.join(FAMILIES)} (rule: choice)"
            )
    return names


def _utc(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an ISO 8601 time such as 2025-01-01T00:00:00Z, got {text!r} (rule: iso_datetime)"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"needs a timezone, e.g. 2025-01-01T00:00:00Z for UTC, got {text!r} (rule: timezone_required)"
        )
    return value.astimezone(UTC)


def _batch_size(text: str) -> int:
    value = _positive_int(text)
    if value > 10_000:
        raise argparse.ArgumentTypeError(f"at most 10000 events per batch, got {value} (rule: range)")
    return value


def _url(text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"must be an http(s) URL, got {text!r} (rule: url)")
    return text


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        if "(rule:" not in message:
            rule = (
                "required" if "required" in message else "choice" if "invalid choice" in message else "usage"
            )
            message = f"{message} (rule: {rule})"
        self.exit(2, f"{self.prog}: error: {message}\n")


def _scenario_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("scenario")
    g.add_argument("--scenario", metavar="FILE", help="JSON/YAML scenario; flags below override it")
    g.add_argument("--seed", type=_seed, help="random seed (default 0)")
    g.add_argument(
        "--assets",
        metavar="K|TYPE=N,...",
        help="K assets cycling motor, pump, fan, compressor, 1-phase fan; or e.g. motor=4,pump=2,fan:single=1",
    )
    g.add_argument("--days", type=_positive_float, help="duration in days (default 7)")
    g.add_argument("--interval-s", type=_positive_int, help="sample interval in seconds (default 60)")
    g.add_argument(
        "--faults",
        type=_faults,
        metavar="MODE[,MODE...]",
        help=f"give these failure modes to that many assets (seeded choice); modes: {', '.join(FAULT_MODES)}",
    )
    g.add_argument(
        "--families",
        type=_families,
        metavar="FAMILY[,FAMILY...]",
        help=f"degradation-law families the faults draw from (default all): {', '.join(FAMILIES)}",
    )
    g.add_argument(
        "--start",
        type=_utc,
        metavar="ISO_UTC",
        help="first sample, e.g. 2025-01-01T00:00:00Z (default: the --days just before today, 00:00 UTC)",
    )
    g.add_argument(
        "--anchor-interval-s",
        type=_non_negative_float,
        help="seconds between synthesised vibration windows (0: one window per event; default 3600)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m generator", description="Digital-twin data generator (docs/generator.md)"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sim = sub.add_parser("simulate", help="write events, labels and the asset manifest")
    _scenario_flags(sim)
    sim.add_argument("--out", required=True, metavar="EVENTS.jsonl")
    sim.add_argument("--labels", metavar="LABELS.jsonl")
    sim.add_argument("--manifest", metavar="ASSETS.json")
    sim.add_argument("--labels-format", choices=("events", "intervals"), default="events")
    sim.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        help="processes for simulation/formatting (output identical)",
    )
    sim.set_defaults(func=cmd_simulate)

    st = sub.add_parser("stream", help="post events to an ingest URL")
    _scenario_flags(st)
    st.add_argument("--url", required=True, type=_url)
    st.add_argument(
        "--token", default=os.environ.get("PDM_INGEST_TOKEN"), help="bearer token (or $PDM_INGEST_TOKEN)"
    )
    st.add_argument(
        "--rate", type=_non_negative_float, default=1000.0, help="events/s when accelerated (0: no limit)"
    )
    st.add_argument("--batch-size", type=_batch_size, default=500)
    mode = st.add_mutually_exclusive_group()
    mode.add_argument("--accelerate", dest="real_time", action="store_false", help="send at --rate (default)")
    mode.add_argument(
        "--real-time",
        dest="real_time",
        action="store_true",
        help="send each event at its timestamp (start: now)",
    )
    st.add_argument("--max-retries", type=_non_negative_float, default=8)
    st.add_argument("--timeout", type=_positive_float, default=30.0, help="seconds per request")
    st.add_argument("--max-events", type=_positive_int, help="stop after this many events")
    st.add_argument("--manifest", metavar="ASSETS.json", help="also write the asset manifest")
    st.set_defaults(func=cmd_stream, real_time=False)

    inv = sub.add_parser("invalid", help="write the labelled corpus of invalid ingest bodies")
    inv.add_argument("--out", required=True, metavar="FILE.jsonl")
    inv.set_defaults(func=cmd_invalid)
    return parser


def _scenario(args: argparse.Namespace, *, default_start: datetime | None = None) -> ScenarioModel:
    base = load_scenario(args.scenario) if args.scenario else None
    start = args.start
    if start is None and default_start is not None and (base is None or base.start is None):
        start = default_start
    scenario = scenario_from_flags(
        base=base,
        seed=args.seed,
        assets=args.assets,
        days=args.days,
        interval_s=args.interval_s,
        faults=args.faults,
        start=start,
        anchor_interval_s=args.anchor_interval_s,
        families=args.families,
    )
    return resolve_start(scenario)


def _check_writable(option: str, path: str | None) -> None:
    if path is None:
        return
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise CliError(option, "writable", f"directory {parent} does not exist")
    if Path(path).is_dir():
        raise CliError(option, "writable", f"{path} is a directory")


def _check_not_future(scenario: ScenarioModel) -> None:
    assert scenario.start is not None
    fleet_steps = int(scenario.duration_days * 86_400 // scenario.interval_s)
    last = scenario.start + timedelta(seconds=(fleet_steps - 1) * scenario.interval_s)
    if last > datetime.now(UTC) + MAX_FUTURE_SKEW:
        raise CliError(
            "--start/--days",
            "future_timestamp",
            f"the last event ({last:%Y-%m-%dT%H:%M:%SZ}) would be in the future, which ingest refuses; "
            "choose an earlier --start or fewer --days",
        )


def _note_retention(scenario: ScenarioModel) -> None:
    assert scenario.start is not None
    oldest_ok = datetime.now(UTC) - timedelta(days=RAW_RETENTION_DAYS)
    if scenario.start < oldest_ok:
        print(
            f"note: events before {oldest_ok:%Y-%m-%d} are older than the default raw retention "
            f"({RAW_RETENTION_DAYS} days); ingest refuses them (rule: beyond_retention)",
            file=sys.stderr,
        )


def cmd_simulate(args: argparse.Namespace) -> int:
    from .output import write_simulation

    for option, path in (("--out", args.out), ("--labels", args.labels), ("--manifest", args.manifest)):
        _check_writable(option, path)
    scenario = _scenario(args)
    _check_not_future(scenario)
    _note_retention(scenario)
    fleet = build_fleet(scenario)
    result = write_simulation(
        fleet, args.out, args.labels, args.manifest, labels_format=args.labels_format, workers=args.workers
    )
    rate = result.events / result.seconds if result.seconds > 0 else float("inf")
    print(
        f"wrote {result.events} events for {result.assets} assets to {args.out} "
        f"in {result.seconds:.1f} s ({rate:,.0f} events/s)"
    )
    return 0


def cmd_stream(args: argparse.Namespace) -> int:
    from .output import manifest
    from .stream import Sender, fleet_event_stream, floor_now, print_summary, stream_events

    if not args.token:
        raise CliError("--token", "required", "a bearer token is required (or set PDM_INGEST_TOKEN)")
    _check_writable("--manifest", args.manifest)
    interval = args.interval_s
    if interval is None and args.scenario:
        interval = load_scenario(args.scenario).interval_s
    default_start = floor_now(interval or 60) if args.real_time else None
    scenario = _scenario(args, default_start=default_start)
    if not args.real_time:
        _check_not_future(scenario)
        _note_retention(scenario)
    fleet = build_fleet(scenario)
    if args.manifest:
        import json

        Path(args.manifest).write_text(json.dumps(manifest(fleet), indent=2) + "\n", encoding="utf-8")
    sender = Sender(
        args.url, args.token, timeout=args.timeout, max_retries=int(args.max_retries), log=sys.stderr
    )
    try:
        summary = stream_events(
            fleet_event_stream(fleet),
            sender,
            batch_size=args.batch_size,
            rate=args.rate,
            real_time=args.real_time,
            max_events=args.max_events,
            progress=sys.stderr,
        )
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print_summary(summary)
    return 0 if summary.rejected == 0 and summary.failed == 0 else 1


def cmd_invalid(args: argparse.Namespace) -> int:
    from .invalid import write_corpus

    _check_writable("--out", args.out)
    n = write_corpus(args.out)
    print(f"wrote {n} invalid cases to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ScenarioError as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 1


if __name__ == "__main__":
    sys.exit(main())
