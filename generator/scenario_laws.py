"""Scenario format of a fault's degradation law (`faults[i].law`, `degradation.families`).

A law is given either as a family name (its parameters are then drawn from the seed) or as an object
with `family` and any of that family's parameters (the others drawn). The bounds below are what the
formulas of `generator/laws.py` accept (the default draw ranges are narrower, `laws.RANGES`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

FamilyName = Literal[
    "exponential", "power_law", "logistic", "linear_accelerating", "step_ramp", "intermittent"
]


class _Law(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def fixed(self) -> dict[str, float]:
        """The parameters the scenario fixes (the others are drawn)."""
        return {k: float(v) for k, v in self.model_dump(exclude={"family"}).items() if v is not None}


class ExponentialLaw(_Law):
    family: Literal["exponential"]
    rate: float | None = Field(default=None, ge=1, le=12)


class PowerLaw(_Law):
    family: Literal["power_law"]
    exponent: float | None = Field(default=None, ge=1, le=6)


class LogisticLaw(_Law):
    family: Literal["logistic"]
    steepness: float | None = Field(default=None, ge=4, le=30)
    midpoint: float | None = Field(default=None, ge=0.2, le=0.9)


class LinearAcceleratingLaw(_Law):
    family: Literal["linear_accelerating"]
    linear_share: float | None = Field(default=None, gt=0, lt=1)
    knee: float | None = Field(default=None, ge=0.2, le=0.9)
    exponent: float | None = Field(default=None, ge=1.5, le=4)


class StepRampLaw(_Law):
    family: Literal["step_ramp"]
    step_at: float | None = Field(default=None, ge=0.05, le=0.8)
    step_height: float | None = Field(default=None, gt=0, le=0.9)


class IntermittentLaw(_Law):
    family: Literal["intermittent"]
    exponent: float | None = Field(default=None, ge=1, le=3)
    quiet_level: float | None = Field(default=None, ge=0, le=0.9)
    bursts_per_life: float | None = Field(default=None, ge=1, le=200)
    burst_duration: float | None = Field(default=None, gt=0, le=0.1)


LawModel = Annotated[
    ExponentialLaw | PowerLaw | LogisticLaw | LinearAcceleratingLaw | StepRampLaw | IntermittentLaw,
    Field(discriminator="family"),
]
# loc parts pydantic adds for union branches; they are not scenario keys
UNION_TAGS = frozenset(
    {
        "exponential",
        "power_law",
        "logistic",
        "linear_accelerating",
        "step_ramp",
        "intermittent",
        "tagged-union[...]",
    }
)
