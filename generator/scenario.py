"""Fleet scenarios: the file/flag format, its validation, and the resolved fleet.

A scenario is JSON or YAML (see docs/generator.md for every key). Validation refuses
unknown keys and impossible values with a `ScenarioError` that names the offending key
and the rule it breaks, so the CLI can print one clear line and exit 2.

`build_fleet()` turns a validated scenario into concrete `AssetSpec`s (rated values,
bearing geometry, ISO 10816-3 class) and `FaultSpec`s (mode, onset, failure time in
seconds from the start). Everything random here is drawn from the scenario seed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from .energy import DEFAULT_IDLE_LOAD_FACTOR, draw_extra_loss_pct
from .laws import FAMILIES, REFERENCE_LAW, Law, draw_law
from .scenario_laws import UNION_TAGS, FamilyName, LawModel

FAULT_MODES = ("bearing_outer", "bearing_inner", "imbalance", "misalignment", "overheating", "electrical")
ASSET_TYPES = ("motor", "pump", "fan", "compressor")
PHASES = ("healthy", "incipient", "degrading", "failed")

# ISO 10816-3 zone boundaries, velocity RMS mm/s (10-1000 Hz): (A/B, B/C, C/D).
ISO_ZONES: dict[tuple[int, str], tuple[float, float, float]] = {
    (1, "rigid"): (2.3, 4.5, 7.1),
    (1, "flexible"): (3.5, 7.1, 11.0),
    (2, "rigid"): (1.4, 2.8, 4.5),
    (2, "flexible"): (2.3, 4.5, 7.1),
}

RAW_RETENTION_DAYS = 90  # the platform's default raw retention (ingest refuses older events)

# Catalogue-like deep-groove geometry (approximate): n balls, ball d, pitch D (mm), angle.
BEARINGS: dict[str, tuple[int, float, float, float]] = {
    "6204": (8, 7.938, 33.5, 0.0),
    "6205": (9, 7.94, 39.04, 0.0),
    "6206": (9, 9.525, 46.0, 0.0),
    "6308": (8, 15.081, 65.0, 0.0),
    "6309": (8, 17.462, 72.5, 0.0),
    "6312": (8, 22.225, 85.0, 0.0),
    # Rexnord ZA-2115 double-row roller bearing of the NASA IMS run-to-failure rig.
    "ZA-2115": (16, 8.407, 71.501, 15.17),
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
_ID_PREFIX = {"motor": "MTR", "pump": "PMP", "fan": "FAN", "compressor": "CMP"}
# `--assets K` cycles through these profiles: (type, phase).
DEFAULT_MIX: tuple[tuple[str, str], ...] = (
    ("motor", "three"),
    ("pump", "three"),
    ("fan", "three"),
    ("compressor", "three"),
    ("fan", "single"),
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ScenarioError(ValueError):
    """Bad scenario input: `option` names the key or flag, `rule` the rule it breaks."""

    def __init__(self, option: str, rule: str, message: str):
        super().__init__(f"{option}: {message} (rule: {rule})")
        self.option = option
        self.rule = rule
        self.message = message


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BearingModel(_Strict):
    n_balls: int = Field(ge=3, le=60)
    ball_diameter_mm: float = Field(gt=0)
    pitch_diameter_mm: float = Field(gt=0)
    contact_angle_deg: float = Field(default=0.0, ge=0, le=45)


class AssetGroupModel(_Strict):
    type: Literal["motor", "pump", "fan", "compressor"]
    count: int = Field(default=1, ge=1, le=10_000)
    phase: Literal["single", "three"] = "three"
    id_prefix: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$")
    name: str | None = Field(default=None, max_length=150)
    location: str | None = Field(default=None, max_length=200)
    rated_power_kw: float | None = Field(default=None, gt=0, le=50_000)
    rated_voltage_v: float | None = Field(default=None, ge=100, le=850)
    rated_rpm: float | None = Field(default=None, ge=300, le=20_000)
    rated_pf: float | None = Field(default=None, ge=0.5, le=0.98)
    efficiency: float | None = Field(default=None, ge=0.5, le=0.99)
    iso_group: Literal[1, 2] = 2
    foundation: Literal["rigid", "flexible"] | None = None
    bearing: str | BearingModel | None = None
    shift_loads: tuple[float, float, float] | None = None
    weekly_off_action: Literal["stop", "reduced", "run"] | None = None

    @field_validator("bearing")
    @classmethod
    def _known_bearing(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in BEARINGS:
            raise ValueError(f"unknown bearing designation; known: {', '.join(BEARINGS)}")
        if isinstance(value, BearingModel) and value.ball_diameter_mm >= value.pitch_diameter_mm:
            raise ValueError("ball diameter must be smaller than the pitch diameter")
        return value

    @field_validator("shift_loads")
    @classmethod
    def _loads(cls, value: Any) -> Any:
        if value is not None and not all(0.05 <= x <= 1.15 for x in value):
            raise ValueError("each shift load must be within 0.05-1.15 of rated")
        return value


class FaultModel(_Strict):
    asset: str | int
    mode: Literal["bearing_outer", "bearing_inner", "imbalance", "misalignment", "overheating", "electrical"]
    onset: AwareDatetime | None = None
    onset_days: float | None = Field(default=None, ge=0)
    failure: AwareDatetime | None = None
    time_to_failure_days: float | None = Field(default=None, gt=0)
    law: LawModel | None = None  # a family name or {family, params...}; None: drawn from the seed
    extra_loss_pct: float | None = Field(default=None, ge=0, le=20)  # None: drawn (generator/energy.py)

    @field_validator("law", mode="before")
    @classmethod
    def _family_name(cls, value: Any) -> Any:
        return {"family": value} if isinstance(value, str) else value


class SiteModel(_Strict):
    name: str = Field(default="Pune plant", max_length=120)
    utc_offset_h: float = Field(default=5.5, ge=-12, le=14)
    ambient_mean_c: float = Field(default=27.0, ge=-20, le=45)
    seasonal_amplitude_c: float = Field(default=6.0, ge=0, le=20)
    diurnal_amplitude_c: float = Field(default=5.0, ge=0, le=15)
    indoor_offset_c: float = Field(default=3.0, ge=0, le=15)
    sag_rate_per_week: float = Field(default=3.0, ge=0, le=500)
    swell_rate_per_week: float = Field(default=1.0, ge=0, le=500)
    freq_excursion_rate_per_week: float = Field(default=1.0, ge=0, le=100)


class ScheduleModel(_Strict):
    shift_starts_h: tuple[float, float, float] = (6.0, 14.0, 22.0)
    weekly_off: (
        Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] | None
    ) = "sunday"
    changeover_minutes: float = Field(default=15.0, ge=0, le=120)
    break_minutes: float = Field(default=30.0, ge=0, le=120)
    idle_load: float = Field(default=0.12, ge=0.02, le=0.5)
    unplanned_stops_per_week: float = Field(default=0.5, ge=0, le=50)
    idle_spells_per_week: float = Field(default=2.0, ge=0, le=100)  # 10-60 min idle running (waiting)

    @field_validator("shift_starts_h")
    @classmethod
    def _order(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        a, b, c = value
        if not (0 <= a < b < c < 24):
            raise ValueError("shift starts must be increasing hours within 0-24")
        return value


class WaveformModel(_Strict):
    sample_rate_hz: float = Field(default=20480.0, ge=10_000, le=200_000)
    window_s: float = Field(default=0.2, gt=0, le=10)
    anchor_interval_s: float = Field(default=3600.0, ge=0, le=86_400)


class DegradationModel(_Strict):
    families: tuple[FamilyName, ...] = FAMILIES  # a fault without `law` draws its family from these
    growth_rate: float | None = Field(default=None, ge=1, le=12)  # fixes the exponential family's rate
    incipient_fraction: float = Field(default=0.5, gt=0, lt=1)
    post_failure_s: float = Field(default=3600.0, ge=0, le=30 * 86_400)

    @field_validator("families")
    @classmethod
    def _families(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("give at least one law family")
        if len(set(value)) != len(value):
            raise ValueError("law families must be unique")
        return value


class EnergyModel(_Strict):
    # idle running: running with power_kw / rated_power_kw (CONTRACTS §6.3 load_factor) below this
    idle_load_factor: float = Field(default=DEFAULT_IDLE_LOAD_FACTOR, gt=0, lt=1)


class ScenarioModel(_Strict):
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    start: AwareDatetime | None = None  # None: resolve_start() -> the days just before today
    duration_days: float = Field(default=7.0, gt=0, le=3660)
    interval_s: int = Field(default=60, ge=1, le=86_400)
    site: SiteModel = SiteModel()
    schedule: ScheduleModel = ScheduleModel()
    waveform: WaveformModel = WaveformModel()
    degradation: DegradationModel = DegradationModel()
    energy: EnergyModel = EnergyModel()
    assets: list[AssetGroupModel] = Field(default_factory=lambda: [AssetGroupModel(type="motor")])
    faults: list[FaultModel] = Field(default_factory=list)

    @field_validator("start")
    @classmethod
    def _utc_whole_seconds(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        if value.microsecond:
            raise ValueError("start must be a whole second")
        return value


# --------------------------------------------------------------------------- loading


def _pydantic_to_scenario_error(exc: ValidationError, prefix: str) -> ScenarioError:
    err = exc.errors(include_url=False)[0]
    loc = ""
    for part in err["loc"]:
        if isinstance(part, int):
            loc += f"[{part}]"
        else:
            # Union branches show up as extra loc parts; keep only real keys.
            if (
                part in ("str", "int", "BearingModel", "literal['stop','reduced','run']")
                or part in UNION_TAGS
            ):
                continue
            if part.startswith(("literal[", "tagged-union[")):
                continue
            loc += f".{part}" if loc else str(part)
    rules = {
        "extra_forbidden": ("unknown_key", "unknown key"),
        "missing": ("required", "required key is missing"),
        "literal_error": ("choice", err["msg"].lower()),
        "greater_than": ("range", err["msg"].lower()),
        "greater_than_equal": ("range", err["msg"].lower()),
        "less_than": ("range", err["msg"].lower()),
        "less_than_equal": ("range", err["msg"].lower()),
        "timezone_aware": ("timezone_required", "timestamp needs a timezone (use ...Z for UTC)"),
        "union_tag_invalid": ("choice", f"unknown law family; valid: {', '.join(FAMILIES)}"),
        "union_tag_not_found": ("required", "a law needs its family"),
        "value_error": ("value", err["msg"].removeprefix("Value error, ")),
    }
    rule, message = rules.get(err["type"], ("type", err["msg"].lower()))
    option = f"{prefix} {loc}".strip() if loc else prefix
    return ScenarioError(option, rule, message)


def validate_scenario(data: Any, *, source: str = "--scenario") -> ScenarioModel:
    """Validate a decoded scenario document; raises ScenarioError."""
    if not isinstance(data, dict):
        raise ScenarioError(source, "type_object", "a scenario must be a JSON/YAML object")
    try:
        scenario = ScenarioModel.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_to_scenario_error(exc, source) from None
    _check_consistency(scenario, source)
    return scenario


def load_scenario(path: str | Path) -> ScenarioModel:
    """Read a .json/.yaml/.yml scenario file; raises ScenarioError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError("--scenario", "readable", f"cannot read {path}: {exc.strerror}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml  # local import: only needed for YAML scenarios

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ScenarioError("--scenario", "yaml_invalid", f"{path} is not valid YAML ({exc})") from None
        data = _yaml_datetimes_to_str(data)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError("--scenario", "json_invalid", f"{path} is not valid JSON ({exc})") from None
    return validate_scenario(data)


def _yaml_datetimes_to_str(data: Any) -> Any:
    # YAML turns unquoted timestamps into (possibly naive) datetimes; hand pydantic strings.
    if isinstance(data, dict):
        return {k: _yaml_datetimes_to_str(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_yaml_datetimes_to_str(v) for v in data]
    if isinstance(data, datetime):
        return data.isoformat()
    if isinstance(data, date):
        return data.isoformat()
    return data


def _check_consistency(scenario: ScenarioModel, source: str) -> None:
    total = sum(g.count for g in scenario.assets)
    if total < 1:
        raise ScenarioError(f"{source} assets", "required", "a fleet needs at least one asset")
    steps = int(scenario.duration_days * 86_400 // scenario.interval_s)
    if steps < 1:
        raise ScenarioError(f"{source} duration_days", "range", "the duration holds no sample interval")
    ws = scenario.waveform
    n = round(ws.sample_rate_hz * ws.window_s)
    if not 256 <= n <= 1 << 18:
        raise ScenarioError(
            f"{source} waveform.window_s", "range", f"window must hold 256-262144 samples, got {n}"
        )
    if ws.sample_rate_hz * ws.window_s < 0.05 * ws.sample_rate_hz:
        raise ScenarioError(f"{source} waveform.window_s", "range", "window must be at least 0.05 s")
    ids = [a.asset_id for a in _expand_groups(scenario)]
    if len(set(ids)) != len(ids):
        raise ScenarioError(f"{source} assets", "unique", "asset ids must be unique")
    seen: set[int] = set()
    for i, f in enumerate(scenario.faults):
        idx = _fault_asset_index(f.asset, ids)
        if idx is None:
            raise ScenarioError(f"{source} faults[{i}].asset", "unknown_asset", f"no asset {f.asset!r}")
        if idx in seen:
            raise ScenarioError(f"{source} faults[{i}].asset", "unique", "one fault plan per asset")
        seen.add(idx)
        if f.onset is not None and f.onset_days is not None:
            raise ScenarioError(f"{source} faults[{i}]", "exclusive", "give onset or onset_days, not both")
        if f.failure is not None and f.time_to_failure_days is not None:
            raise ScenarioError(
                f"{source} faults[{i}]", "exclusive", "give failure or time_to_failure_days, not both"
            )


def _fault_asset_index(ref: str | int, ids: list[str]) -> int | None:
    if isinstance(ref, int):
        return ref if 0 <= ref < len(ids) else None
    try:
        return ids.index(ref)
    except ValueError:
        return None


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


@dataclass(frozen=True, slots=True)
class _Planned:
    asset_id: str
    group: AssetGroupModel
    ordinal: int  # 1-based position within its type, for names


def _expand_groups(scenario: ScenarioModel) -> list[_Planned]:
    out: list[_Planned] = []
    per_type: dict[str, int] = {}
    for group in scenario.assets:
        for _ in range(group.count):
            n = len(out) + 1
            per_type[group.type] = per_type.get(group.type, 0) + 1
            prefix = group.id_prefix or _ID_PREFIX[group.type]
            out.append(_Planned(f"{prefix}-{n:03d}", group, per_type[group.type]))
    return out


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
