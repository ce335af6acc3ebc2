"""Fleet scenarios resolved: a validated scenario becomes concrete assets and faults.

`build_fleet()` turns a validated scenario (`generator.scenario_schema`) into concrete
`AssetSpec`s (rated values, bearing geometry, ISO 10816-3 class) and `FaultSpec`s (mode, onset,
failure time in seconds from the start). Everything random here is drawn from the scenario
seed. `scenario_from_flags()` builds the scenario of the CLI's quick flags (``--assets``,
``--faults``) in the same format, so both paths are validated alike.

The schema's public names (`ScenarioModel`, `ScenarioError`, `validate_scenario`,
`load_scenario`, ...) are re-exported here: callers load and build from one module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from pydantic import ValidationError

from .energy import draw_extra_loss_pct
from .laws import REFERENCE_LAW, Law, draw_law
from .scenario_schema import (
    ASSET_TYPES,
    BEARINGS,
    FAULT_MODES,
    FaultModel,
    ScenarioError,
    ScenarioModel,
    SiteModel,
    _check_consistency,
    _expand_groups,
    _fault_asset_index,
    _Planned,
    _pydantic_to_scenario_error,
)
from .scenario_schema import load_scenario as load_scenario  # re-exported: load, then build here
from .scenario_schema import validate_scenario as validate_scenario  # re-exported likewise

# ISO 10816-3 zone boundaries, velocity RMS mm/s (10-1000 Hz): (A/B, B/C, C/D).
ISO_ZONES: dict[tuple[int, str], tuple[float, float, float]] = {
    (1, "rigid"): (2.3, 4.5, 7.1),
    (1, "flexible"): (3.5, 7.1, 11.0),
    (2, "rigid"): (1.4, 2.8, 4.5),
    (2, "flexible"): (2.3, 4.5, 7.1),
}

_THREE_PHASE_DEFAULTS: dict[str, dict[str, Any]] = {
    "motor": dict(rated_power_kw=15.0, rated_voltage_v=415.0, rated_rpm=1480.0, rated_pf=0.85,
                  efficiency=0.91, bearing="6309", foundation="rigid",
                  shift_loads=(0.80, 0.75, 0.55), weekly_off_action="stop"),
    "pump": dict(rated_power_kw=7.5, rated_voltage_v=415.0, rated_rpm=2920.0, rated_pf=0.87,
                 efficiency=0.89, bearing="6308", foundation="rigid",
                 shift_loads=(0.85, 0.85, 0.75), weekly_off_action="reduced"),
    "fan": dict(rated_power_kw=3.7, rated_voltage_v=415.0, rated_rpm=1440.0, rated_pf=0.82,
                efficiency=0.87, bearing="6206", foundation="flexible",
                shift_loads=(0.75, 0.75, 0.60), weekly_off_action="stop"),
    "compressor": dict(rated_power_kw=37.0, rated_voltage_v=415.0, rated_rpm=1480.0, rated_pf=0.87,
                       efficiency=0.93, bearing="6312", foundation="rigid",
                       shift_loads=(0.90, 0.85, 0.65), weekly_off_action="stop"),
}  # fmt: skip
_SINGLE_PHASE_DEFAULTS: dict[str, Any] = dict(
    rated_power_kw=0.75, rated_voltage_v=230.0, rated_rpm=1420.0, rated_pf=0.78, efficiency=0.74,
    bearing="6204",
)  # fmt: skip
# `--assets K` cycles through these profiles: (type, phase).
DEFAULT_MIX: tuple[tuple[str, str], ...] = (
    ("motor", "three"),
    ("pump", "three"),
    ("fan", "three"),
    ("compressor", "three"),
    ("fan", "single"),
)


# --------------------------------------------------------------------------- resolved fleet


@dataclass(frozen=True, slots=True)
class BearingGeometry:
    n_balls: int
    ball_diameter_mm: float
    pitch_diameter_mm: float
    contact_angle_deg: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_balls": self.n_balls,
            "ball_diameter_mm": self.ball_diameter_mm,
            "pitch_diameter_mm": self.pitch_diameter_mm,
            "contact_angle_deg": self.contact_angle_deg,
        }


@dataclass(frozen=True, slots=True)
class AssetSpec:
    index: int
    asset_id: str
    name: str
    asset_type: str
    phase: str
    rated_voltage_v: float
    rated_current_a: float
    rated_power_kw: float
    rated_rpm: float
    rated_pf: float
    efficiency: float
    iso_group: int
    foundation: str
    bearing: BearingGeometry
    location: str
    shift_loads: tuple[float, float, float]
    weekly_off_action: str

    @property
    def zones(self) -> tuple[float, float, float]:
        """ISO 10816-3 (A/B, B/C, C/D) velocity RMS boundaries for this machine, mm/s."""
        return ISO_ZONES[(self.iso_group, self.foundation)]

    @property
    def pole_pairs(self) -> int:
        return max(1, round(3000.0 / self.rated_rpm))


@dataclass(frozen=True, slots=True)
class FaultSpec:
    asset_index: int
    mode: str
    onset_s: float
    failure_s: float
    law: Law = REFERENCE_LAW
    extra_loss_pct: float = 0.0  # extra loss at failure, % of rated output (generator/energy.py)


@dataclass(frozen=True)
class Fleet:
    scenario: ScenarioModel
    assets: tuple[AssetSpec, ...]
    faults: dict[int, FaultSpec]
    commissioned: tuple[date, ...]

    @property
    def seed(self) -> int:
        return self.scenario.seed

    @property
    def start(self) -> datetime:
        return scenario_start(self.scenario)

    @property
    def interval_s(self) -> int:
        return self.scenario.interval_s

    @property
    def n_steps(self) -> int:
        return int(self.scenario.duration_days * 86_400 // self.scenario.interval_s)

    @property
    def duration_s(self) -> float:
        return self.n_steps * float(self.scenario.interval_s)


def rated_current(power_kw: float, voltage_v: float, phase: str, pf: float, efficiency: float) -> float:
    """Full-load line current from output power: P / (k V pf eta), k = sqrt(3) or 1."""
    k = math.sqrt(3.0) if phase == "three" else 1.0
    return power_kw * 1000.0 / (k * voltage_v * pf * efficiency)


def _resolve_asset(index: int, planned: _Planned, site: SiteModel) -> AssetSpec:
    g = planned.group
    base = dict(_THREE_PHASE_DEFAULTS[g.type])
    if g.phase == "single":
        base.update(_SINGLE_PHASE_DEFAULTS)
    power = g.rated_power_kw or base["rated_power_kw"]
    voltage = g.rated_voltage_v or base["rated_voltage_v"]
    rpm = g.rated_rpm or base["rated_rpm"]
    pf = g.rated_pf or base["rated_pf"]
    eff = g.efficiency or base["efficiency"]
    bearing = g.bearing or base["bearing"]
    if isinstance(bearing, str):
        geom = BearingGeometry(*BEARINGS[bearing])
    else:
        geom = BearingGeometry(
            bearing.n_balls, bearing.ball_diameter_mm, bearing.pitch_diameter_mm, bearing.contact_angle_deg
        )
    phase_label = "1ph " if g.phase == "single" else ""
    name = g.name or f"{g.type.capitalize()} {planned.ordinal} ({phase_label}{power:g} kW)"
    if g.name and g.count > 1:
        name = f"{g.name} {planned.ordinal}"
    line = "ABCD"[(index // 5) % 4]
    location = g.location or f"{site.name} / Line {line}"
    return AssetSpec(
        index=index,
        asset_id=planned.asset_id,
        name=name,
        asset_type=g.type,
        phase=g.phase,
        rated_voltage_v=float(voltage),
        rated_current_a=round(rated_current(power, voltage, g.phase, pf, eff), 2),
        rated_power_kw=float(power),
        rated_rpm=float(rpm),
        rated_pf=float(pf),
        efficiency=float(eff),
        iso_group=int(g.iso_group),
        foundation=g.foundation or base["foundation"],
        bearing=geom,
        location=location,
        shift_loads=tuple(g.shift_loads or base["shift_loads"]),
        weekly_off_action=g.weekly_off_action or base["weekly_off_action"],
    )


def stream_rng(seed: int, *key: int) -> np.random.Generator:
    """An independent, reproducible random stream for (seed, *key)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


# spawn-key namespaces
KEY_FLEET = 1_000_000  # fleet-wide streams: (KEY_FLEET, n)
KEY_ASSET = 0  # per-asset streams: (asset_index, n)


def default_start(duration_days: float, now: datetime | None = None) -> datetime:
    """Today's 00:00 UTC minus the duration in whole days: the run ends before today begins,
    so its events are neither in the future nor (for runs under 90 days) beyond retention.
    The same flags give the same start all day; pass a start for reruns on other days."""
    now = now or datetime.now(UTC)
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=math.ceil(duration_days))


def resolve_start(scenario: ScenarioModel, now: datetime | None = None) -> ScenarioModel:
    if scenario.start is not None:
        return scenario
    return scenario.model_copy(update={"start": default_start(scenario.duration_days, now)})


def scenario_start(scenario: ScenarioModel) -> datetime:
    """The start of a scenario that `resolve_start` has resolved (build_fleet does)."""
    if scenario.start is None:
        raise ScenarioError("--start", "required", "the scenario has no start: resolve_start() sets one")
    return scenario.start


def build_fleet(scenario: ScenarioModel) -> Fleet:
    scenario = resolve_start(scenario)
    planned = _expand_groups(scenario)
    assets = tuple(_resolve_asset(i, p, scenario.site) for i, p in enumerate(planned))
    ids = [a.asset_id for a in assets]
    duration = int(scenario.duration_days * 86_400 // scenario.interval_s) * float(scenario.interval_s)
    start = scenario_start(scenario)
    faults: dict[int, FaultSpec] = {}
    for f in scenario.faults:
        idx = _fault_asset_index(f.asset, ids)
        assert idx is not None  # checked in validation
        rng = stream_rng(scenario.seed, idx, 90)
        onset_frac = rng.uniform(0.15, 0.30)
        fail_frac = rng.uniform(0.85, 0.95)
        if f.onset is not None:
            onset_s = (f.onset.astimezone(UTC) - start).total_seconds()
        elif f.onset_days is not None:
            onset_s = f.onset_days * 86_400.0
        else:
            onset_s = onset_frac * duration
        if f.failure is not None:
            failure_s = (f.failure.astimezone(UTC) - start).total_seconds()
        elif f.time_to_failure_days is not None:
            failure_s = onset_s + f.time_to_failure_days * 86_400.0
        else:
            failure_s = max(fail_frac * duration, onset_s + 0.5 * (duration - onset_s))
        if failure_s <= onset_s:
            raise ScenarioError(f"--scenario faults[{idx}]", "order", "failure must come after onset")
        faults[idx] = FaultSpec(
            idx,
            f.mode,
            float(onset_s),
            float(failure_s),
            _fault_law(scenario, idx, f),
            draw_extra_loss_pct(stream_rng(scenario.seed, idx, 92), f.mode, f.extra_loss_pct),
        )
    rng = stream_rng(scenario.seed, KEY_FLEET, 7)
    commissioned = tuple((start - timedelta(days=float(rng.uniform(180, 12 * 365)))).date() for _ in assets)
    return Fleet(scenario=scenario, assets=assets, faults=faults, commissioned=commissioned)


def _fault_law(scenario: ScenarioModel, idx: int, f: FaultModel) -> Law:
    """The fault's law from its own stream (seed, asset, 91): the family as given or drawn from
    `degradation.families`, then its parameters (docs/generator.md, "Degradation laws")."""
    deg = scenario.degradation
    rng = stream_rng(scenario.seed, idx, 91)
    if f.law is None:
        return draw_law(rng, families=deg.families, exponential_rate=deg.growth_rate)
    return draw_law(rng, family=f.law.family, fixed=f.law.fixed(), exponential_rate=deg.growth_rate)


def scenario_from_flags(
    *,
    base: ScenarioModel | None = None,
    seed: int | None = None,
    assets: str | None = None,
    days: float | None = None,
    interval_s: int | None = None,
    faults: list[str] | None = None,
    start: datetime | None = None,
    anchor_interval_s: float | None = None,
    families: list[str] | None = None,
) -> ScenarioModel:
    """Build (or override) a scenario from CLI flags. Raises ScenarioError naming the flag."""
    data: dict[str, Any] = base.model_dump(mode="json") if base is not None else {}
    if seed is not None:
        data["seed"] = seed
    if days is not None:
        data["duration_days"] = days
    if interval_s is not None:
        data["interval_s"] = interval_s
    if start is not None:
        data["start"] = start.isoformat()
    if anchor_interval_s is not None:
        data.setdefault("waveform", {})["anchor_interval_s"] = anchor_interval_s
    if families:
        data.setdefault("degradation", {})["families"] = list(families)
    if assets is not None:
        data["assets"] = parse_assets_flag(assets)
        data["faults"] = []
    if faults:
        n_assets = sum(int(g.get("count", 1)) for g in data.get("assets", [{"count": 1}]))
        for mode in faults:
            if mode not in FAULT_MODES:
                raise ScenarioError(
                    "--faults", "choice", f"unknown failure mode {mode!r}; valid: {', '.join(FAULT_MODES)}"
                )
        if len(faults) > n_assets:
            raise ScenarioError(
                "--faults", "at_most_assets", f"{len(faults)} fault modes for {n_assets} asset(s)"
            )
        rng = stream_rng(int(data.get("seed", 0)), KEY_FLEET, 3)
        chosen = sorted(rng.choice(n_assets, size=len(faults), replace=False).tolist())
        data["faults"] = [{"asset": int(i), "mode": m} for i, m in zip(chosen, faults, strict=True)]
    try:
        scenario = ScenarioModel.model_validate(data)
    except ValidationError as exc:
        err = _pydantic_to_scenario_error(exc, "--scenario")
        flag = {
            "seed": "--seed",
            "duration_days": "--days",
            "interval_s": "--interval-s",
            "start": "--start",
            "waveform.anchor_interval_s": "--anchor-interval-s",
            "degradation.families": "--families",
        }.get(err.option.removeprefix("--scenario ").strip())
        if flag:
            raise ScenarioError(flag, err.rule, err.message) from None
        raise err from None
    _check_consistency(scenario, "--scenario")
    return scenario


def parse_assets_flag(text: str) -> list[dict[str, Any]]:
    """`K` (cycle through DEFAULT_MIX) or `motor=4,pump=2,fan:single=1`."""
    text = text.strip()
    if text.isdigit():
        k = int(text)
        if k < 1:
            raise ScenarioError("--assets", "positive", "need at least one asset")
        if k > 100_000:
            raise ScenarioError("--assets", "range", "at most 100000 assets")
        return [{"type": t, "phase": p} for t, p in (DEFAULT_MIX[i % len(DEFAULT_MIX)] for i in range(k))]
    groups: list[dict[str, Any]] = []
    for part in text.split(","):
        name, sep, count = part.partition("=")
        kind, _, phase = name.strip().partition(":")
        if not sep or kind not in ASSET_TYPES or phase not in ("", "single", "three"):
            raise ScenarioError(
                "--assets",
                "format",
                f"expected K or TYPE[:single|three]=N[,...] with TYPE in {', '.join(ASSET_TYPES)}; got {part!r}",
            )
        try:
            n = int(count)
        except ValueError:
            raise ScenarioError("--assets", "format", f"count {count!r} is not an integer") from None
        if n < 1:
            raise ScenarioError("--assets", "positive", f"count for {kind} must be >= 1")
        groups.append({"type": kind, "count": n, "phase": phase or "three"})
    return groups
