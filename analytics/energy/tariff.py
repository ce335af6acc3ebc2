"""A site's tariff as data: validation, time-of-day slots and power-factor slabs (no Django).

One *version* holds every rate of the tariff order from its effective date on (site-local
date, 00:00 site time) until the next version (docs/CONTRACTS.md §18.5). Validation returns
``Problem(field, rule, message)`` for every entry point, so the admin form, the API and the
tests name the same field and rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeGuard

import numpy as np

from ingestion.site_rules import clock_slot, half_hour_clock_problem

from .calendar import BLOCKS_PER_DAY

#: the keys of one version (the API's and the admin's fields; docs/CONTRACTS.md §18.5)
VERSION_KEYS = (
    "effective_from",
    "name",
    "currency",
    "billing_basis",
    "energy_rate",
    "tod_slots",
    "pf_reference",
    "pf_incentive_pct_per_step",
    "pf_penalty_pct_per_step",
    "pf_penalty_threshold",
    "pf_steep_penalty_pct_per_step",
    "pf_leading_counts",
    "demand_rate_per_kva",
    "demand_min_share",
    "fixed_monthly",
)
BILLING_BASES = ("kwh", "kvah")
CURRENCIES = ("INR",)
PF_FIELDS = (
    "pf_incentive_pct_per_step",
    "pf_penalty_pct_per_step",
    "pf_penalty_threshold",
    "pf_steep_penalty_pct_per_step",
)
RATE_FIELDS = ("energy_rate", "demand_rate_per_kva", "fixed_monthly")
MAX_RATE = 1e9


@dataclass(frozen=True)
class Problem:
    field: str
    rule: str
    message: str


@dataclass(frozen=True)
class Slot:
    name: str
    start_slot: int  # half-hour of the site day
    end_slot: int
    multiplier: float


@dataclass(frozen=True)
class TariffVersion:
    effective_from: date
    billing_basis: str = "kwh"
    energy_rate: float = 0.0
    slots: tuple[Slot, ...] = ()
    pf_reference: float | None = None
    pf_incentive_pct_per_step: float = 0.0
    pf_penalty_pct_per_step: float = 0.0
    pf_penalty_threshold: float | None = None
    pf_steep_penalty_pct_per_step: float = 0.0
    pf_leading_counts: bool = False
    demand_rate_per_kva: float = 0.0
    demand_min_share: float = 0.0
    fixed_monthly: float = 0.0
    currency: str = "INR"
    name: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TariffVersion:
        """A version from validated data (see ``tariff_problems``)."""
        slots = tuple(
            Slot(
                s["name"],
                clock_slot(s["start"]),
                clock_slot(s["end"]),
                float(s["multiplier"]),
            )
            for s in data.get("tod_slots") or []
        )
        effective = data["effective_from"]
        if isinstance(effective, str):
            effective = date.fromisoformat(effective)

        def num(name: str, default: float = 0.0) -> float:
            value = data.get(name)
            return default if value is None else float(value)

        return cls(
            effective_from=effective,
            billing_basis=data.get("billing_basis", "kwh"),
            energy_rate=num("energy_rate"),
            slots=slots,
            pf_reference=None if data.get("pf_reference") is None else float(data["pf_reference"]),
            pf_incentive_pct_per_step=num("pf_incentive_pct_per_step"),
            pf_penalty_pct_per_step=num("pf_penalty_pct_per_step"),
            pf_penalty_threshold=(
                None if data.get("pf_penalty_threshold") is None else float(data["pf_penalty_threshold"])
            ),
            pf_steep_penalty_pct_per_step=num("pf_steep_penalty_pct_per_step"),
            pf_leading_counts=bool(data.get("pf_leading_counts", False)),
            demand_rate_per_kva=num("demand_rate_per_kva"),
            demand_min_share=num("demand_min_share"),
            fixed_monthly=num("fixed_monthly"),
            currency=data.get("currency", "INR"),
            name=data.get("name", ""),
        )

    def slot_multipliers(self) -> np.ndarray:
        """Multiplier of each half-hour of the site day (1 outside every slot)."""
        table = np.ones(BLOCKS_PER_DAY)
        for slot in self.slots:
            k = slot.start_slot
            while True:
                table[k] = slot.multiplier
                k = (k + 1) % BLOCKS_PER_DAY
                if k == slot.end_slot:
                    break
        return table

    def slot_names(self) -> list[str]:
        names = [""] * BLOCKS_PER_DAY
        for slot in self.slots:
            k = slot.start_slot
            while True:
                names[k] = slot.name
                k = (k + 1) % BLOCKS_PER_DAY
                if k == slot.end_slot:
                    break
        return names


@dataclass(frozen=True)
class PfAdjustment:
    """The power-factor slab outcome of one billing month (§18.6)."""

    pf: float | None  # energy-weighted kWh / kVAh of the month
    pf_billed: float | None  # rounded half up to 2 decimals
    steps_above: int = 0
    steps_below: int = 0  # between the reference and the second threshold
    steps_steep: int = 0  # below the second threshold
    pct: float = 0.0  # % of the energy charge added (negative: incentive)
    slabs: list[str] = field(default_factory=list)


def pf_billed(pf: float) -> float:
    """PF rounded half up to two decimals (from its shortest decimal form)."""
    return float(Decimal(repr(pf)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def pf_adjustment(version: TariffVersion | None, kwh: float, kvah: float) -> PfAdjustment:
    """Incentive or penalty as a signed % of the energy charge, from the month's PF.

    Steps are whole 0.01 of the billed PF: above the reference each earns the incentive rate;
    below it each costs the penalty rate down to the second threshold and the steep rate
    below that. Without a reference or without apparent energy there is no adjustment.
    """
    if kvah <= 0 or not math.isfinite(kvah):
        return PfAdjustment(pf=None, pf_billed=None)
    pf = kwh / kvah
    billed = pf_billed(pf)
    if version is None or version.pf_reference is None:
        return PfAdjustment(pf=pf, pf_billed=billed)
    hundredths = round(billed * 100)
    ref = round(version.pf_reference * 100)
    threshold = 0 if version.pf_penalty_threshold is None else round(version.pf_penalty_threshold * 100)
    above = max(0, hundredths - ref)
    below = max(0, ref - max(hundredths, threshold))
    steep = max(0, threshold - hundredths)
    pct = (
        below * version.pf_penalty_pct_per_step
        + steep * version.pf_steep_penalty_pct_per_step
        - above * version.pf_incentive_pct_per_step
    )
    slabs = []
    if above:
        slabs.append(
            f"{above} step(s) above {version.pf_reference:.2f}: -{version.pf_incentive_pct_per_step:g} % each"
        )
    if below:
        slabs.append(
            f"{below} step(s) below {version.pf_reference:.2f}: +{version.pf_penalty_pct_per_step:g} % each"
        )
    if steep:
        slabs.append(
            f"{steep} step(s) below {threshold / 100:.2f}: +{version.pf_steep_penalty_pct_per_step:g} % each"
        )
    return PfAdjustment(pf, billed, above, below, steep, pct, slabs)


def billing_demand_kva(
    version: TariffVersion, max_demand_kva: float, contract_demand_kva: float | None
) -> float:
    """The month's maximum demand, at least the tariff's share of the contract demand."""
    if contract_demand_kva is None:
        return max_demand_kva
    return max(max_demand_kva, version.demand_min_share * contract_demand_kva)


# --- validation ---------------------------------------------------------------------------


def _is_number(value: Any) -> TypeGuard[int | float]:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _rate_problem(name: str, value: Any, required: bool = True) -> Problem | None:
    if value is None:
        return Problem(name, "required", f"{name} is required") if required else None
    if not _is_number(value):
        return Problem(name, "type", f"{name} must be a finite number, got {value!r}")
    if value < 0:
        return Problem(name, "negative_rate", f"{name} must not be negative, got {value:g}")
    if value > MAX_RATE:
        return Problem(name, "range", f"{name} must be at most {MAX_RATE:g}")
    return None


def _two_decimals(value: float) -> bool:
    return abs(value * 100 - round(value * 100)) < 1e-9


def _pf_problem(name: str, value: Any) -> Problem | None:
    if not _is_number(value) or not 0.5 <= value <= 1.0:
        return Problem(name, "range", f"{name} must be a power factor between 0.50 and 1.00, got {value!r}")
    if not _two_decimals(value):
        return Problem(name, "two_decimals", f"{name} must have at most two decimals (slabs step by 0.01)")
    return None


def _slots_problems(slots: Any) -> list[Problem]:
    if slots is None:
        return []
    if not isinstance(slots, list):
        return [Problem("tod_slots", "format", "tod_slots must be a list of {name, start, end, multiplier}")]
    problems: list[Problem] = []
    taken: list[str] = [""] * BLOCKS_PER_DAY
    names: set[str] = set()
    for i, slot in enumerate(slots):
        where = f"tod_slots[{i}]"
        if not isinstance(slot, dict) or set(slot) != {"name", "start", "end", "multiplier"}:
            problems.append(
                Problem(where, "format", f"{where} must have exactly name, start, end and multiplier")
            )
            continue
        name = slot["name"]
        if not isinstance(name, str) or not 1 <= len(name) <= 40:
            problems.append(Problem(f"{where}.name", "format", f"{where}.name must be 1-40 characters"))
            continue
        if name in names:
            problems.append(Problem(f"{where}.name", "duplicate_name", f"slot name {name!r} is used twice"))
            continue
        names.add(name)
        clock = [half_hour_clock_problem(slot[k], f"{where}.{k}") for k in ("start", "end")]
        bad = [(k, c) for k, c in zip(("start", "end"), clock, strict=True) if c]
        if bad:
            problems.extend(Problem(f"{where}.{k}", c[0], c[1]) for k, c in bad)
            continue
        rate = _rate_problem(f"{where}.multiplier", slot["multiplier"])
        if rate:
            problems.append(rate)
            continue
        start, end = clock_slot(slot["start"]), clock_slot(slot["end"])
        if start == end:
            problems.append(Problem(where, "empty_slot", f"slot {name} starts and ends at {slot['start']}"))
            continue
        k = start
        while k != end:
            if taken[k]:
                problems.append(
                    Problem(
                        "tod_slots",
                        "overlapping_slots",
                        f"time-of-day slots {taken[k]} and {name} overlap at {k // 2:02d}:{k % 2 * 30:02d}",
                    )
                )
                break
            taken[k] = name
            k = (k + 1) % BLOCKS_PER_DAY
    return problems


def _pf_problems(data: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    reference = data.get("pf_reference")
    if reference is None:
        set_fields = [f for f in PF_FIELDS if data.get(f) not in (None, 0, 0.0)]
        if set_fields:
            problems.append(
                Problem(set_fields[0], "requires_reference", f"{set_fields[0]} needs pf_reference to be set")
            )
        return problems
    ref_problem = _pf_problem("pf_reference", reference)
    if ref_problem:
        return [ref_problem]
    for name in ("pf_incentive_pct_per_step", "pf_penalty_pct_per_step", "pf_steep_penalty_pct_per_step"):
        problem = _rate_problem(name, data.get(name), required=False)
        if problem:
            problems.append(problem)
        elif data.get(name) is not None and data[name] > 100:
            problems.append(Problem(name, "range", f"{name} must be at most 100 % per step"))
    threshold = data.get("pf_penalty_threshold")
    if threshold is not None:
        problem = _pf_problem("pf_penalty_threshold", threshold)
        if problem:
            problems.append(problem)
        elif round(threshold * 100) >= round(reference * 100):
            problems.append(
                Problem(
                    "pf_penalty_threshold",
                    "slabs_out_of_order",
                    f"the second threshold ({threshold:.2f}) must lie below the reference PF ({reference:.2f})",
                )
            )
    elif data.get("pf_steep_penalty_pct_per_step") not in (None, 0, 0.0):
        problems.append(
            Problem("pf_penalty_threshold", "required", "the steep penalty slab needs pf_penalty_threshold")
        )
    normal, steep = data.get("pf_penalty_pct_per_step"), data.get("pf_steep_penalty_pct_per_step")
    if not problems and _is_number(normal) and _is_number(steep) and threshold is not None and steep < normal:
        problems.append(
            Problem(
                "pf_steep_penalty_pct_per_step",
                "slabs_out_of_order",
                f"the slab below {threshold:.2f} ({steep:g} % per step) must be at least as steep as the one "
                f"above it ({normal:g} % per step)",
            )
        )
    return problems


def tariff_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Every problem of one tariff version (empty when valid)."""
    problems: list[Problem] = [
        Problem(key, "unknown_field", f"unknown field {key!r}; a version has {', '.join(VERSION_KEYS)}")
        for key in data
        if key not in VERSION_KEYS
    ]
    name = data.get("name", "")
    if not isinstance(name, str) or len(name) > 200:
        problems.append(Problem("name", "format", "name must be text of at most 200 characters"))
    if not isinstance(data.get("pf_leading_counts", False), bool):
        problems.append(Problem("pf_leading_counts", "type", "pf_leading_counts must be true or false"))
    effective = data.get("effective_from")
    if isinstance(effective, str):
        try:
            effective = date.fromisoformat(effective)
        except ValueError:
            problems.append(Problem("effective_from", "format", "effective_from must be a date YYYY-MM-DD"))
    elif effective is not None and not isinstance(effective, date):
        problems.append(Problem("effective_from", "format", "effective_from must be a date YYYY-MM-DD"))
    if effective is None:
        problems.append(Problem("effective_from", "required", "effective_from is required"))
    if data.get("billing_basis", "kwh") not in BILLING_BASES:
        problems.append(
            Problem("billing_basis", "choice", f"billing_basis must be one of {', '.join(BILLING_BASES)}")
        )
    if data.get("currency", "INR") not in CURRENCIES:
        problems.append(Problem("currency", "choice", "currency must be INR"))
    for name in RATE_FIELDS:
        problem = _rate_problem(name, data.get(name), required=name == "energy_rate")
        if problem:
            problems.append(problem)
    share = data.get("demand_min_share")
    if share is not None and (not _is_number(share) or not 0 <= share <= 1):
        problems.append(
            Problem(
                "demand_min_share", "range", "demand_min_share must be between 0 and 1 of the contract demand"
            )
        )
    problems += _slots_problems(data.get("tod_slots"))
    problems += _pf_problems(data)
    return problems


def versions_problems(versions: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Problems of a whole version list, fields prefixed ``versions[i].``; dates must differ."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, version in enumerate(versions):
        if not isinstance(version, Mapping):
            problems.append(Problem(f"versions[{i}]", "format", f"versions[{i}] must be an object"))
            continue
        for p in tariff_problems(version):
            problems.append(Problem(f"versions[{i}].{p.field}", p.rule, p.message))
        key = str(version.get("effective_from"))
        if key in seen:
            problems.append(
                Problem(
                    f"versions[{i}].effective_from",
                    "duplicate_effective_date",
                    f"versions[{seen[key]}] and versions[{i}] both take effect on {key}",
                )
            )
        seen.setdefault(key, i)
    return problems


def version_index(versions: Sequence[TariffVersion], local_days: np.ndarray) -> np.ndarray:
    """Index (into ``versions``, sorted by date) of the version in effect on each local day
    number (days since 1970-01-01); -1 before the first."""
    starts = np.array([(v.effective_from - date(1970, 1, 1)).days for v in versions], dtype=np.int64)
    return np.searchsorted(starts, np.asarray(local_days, dtype=np.int64), side="right") - 1
