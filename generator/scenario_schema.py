"""Scenario format: the JSON/YAML schema of a fleet scenario, its loading and validation.

A scenario is JSON or YAML (see docs/generator.md for every key). Validation refuses
unknown keys and impossible values with a `ScenarioError` that names the offending key
and the rule it breaks, so the CLI can print one clear line and exit 2. This module only
says what a valid scenario is; turning one into concrete assets and faults is
`generator.scenario.build_fleet`, which draws everything random from the scenario seed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from .energy import DEFAULT_IDLE_LOAD_FACTOR
from .laws import FAMILIES
from .scenario_laws import UNION_TAGS, FamilyName, LawModel

FAULT_MODES = ("bearing_outer", "bearing_inner", "imbalance", "misalignment", "overheating", "electrical")
ASSET_TYPES = ("motor", "pump", "fan", "compressor")
PHASES = ("healthy", "incipient", "degrading", "failed")

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

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ID_PREFIX = {"motor": "MTR", "pump": "PMP", "fan": "FAN", "compressor": "CMP"}


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


def _fault_asset_index(ref: str | int, ids: list[str]) -> int | None:
    if isinstance(ref, int):
        return ref if 0 <= ref < len(ids) else None
    try:
        return ids.index(ref)
    except ValueError:
        return None
