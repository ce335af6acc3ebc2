"""The anomaly model's inputs (docs/CONTRACTS.md §8.1): which rows are scored, which feature columns
are candidates, and the load-normalised residuals (no Django).

Temperature, reactive power and (a little) vibration follow the load, so a shift change moves
their raw values a lot; each residual is ``target - ols(load terms)``, fitted on the healthy
training rows, and hardly moves with the load while a cooling loss or insulation degradation
still shows.  The fitted residuals are stored inside the pickled model (``FittedResidual``),
so their field names are part of the stored format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: feature column that says a row may be scored (docs/CONTRACTS.md §6.7)
SCORABLE_COLUMN = "running_1h"


@dataclass(frozen=True)
class ResidualSpec:
    """A load-normalised derived input ``name = target - ols(regressors)``.

    ``targets`` are tried in order; the first with enough finite training values is used.  A
    target ``"a - b"`` is the difference of two columns (temperature above ambient).
    ``squares`` are regressors that also enter squared (I^2 R losses, V^2 magnetising).
    """

    name: str
    targets: tuple[str, ...]
    regressors: tuple[str, ...]
    squares: tuple[str, ...] = ()


DEFAULT_RESIDUALS: tuple[ResidualSpec, ...] = (
    # vibration may follow load / speed a little; the residual removes that, a fault stays
    ResidualSpec(
        "vibration_rms_mm_s__load_residual_15m",
        ("vibration_rms_mm_s__mean_15m",),
        ("power_kw__mean_15m",),
    ),
    ResidualSpec(
        "vibration_rms_mm_s__load_residual_1h",
        ("vibration_rms_mm_s__mean_1h",),
        ("power_kw__mean_1h",),
    ),
    # The frame's rise above ambient follows the losses with a thermal lag (15 min and 1 h
    # load means). Without an ambient reading the 15 min temperature mean is the target, and
    # the room's daily swing stays in the residual (measured: the healthy residual sd is about
    # 4 degC with it, 1 degC above ambient, so a cooling loss shows 4x later without ambient).
    ResidualSpec(
        "temperature_c__load_residual",
        ("temperature_c - ambient_temperature_c", "temperature_c__mean_15m"),
        ("power_kw__mean_15m", "power_kw__mean_1h"),
    ),
    # Induction motor, per event: P = a0 + b x, Q = q0 V^2 + c x^2 V with x the load, so the
    # reactive power is a quadratic in P plus a V^2 term. Insulation degradation or a supply
    # unbalance adds reactive current the load does not explain. Instantaneous values: a 15 min
    # mean over a shift change or an idle period would mix load levels on a curved relation.
    ResidualSpec(
        "reactive_power_kvar__load_residual",
        ("reactive_power_kvar",),
        ("power_kw",),
        ("power_kw", "voltage_v"),
    ),
)

#: candidate model inputs, in order (columns with too few finite training values are dropped)
DEFAULT_MODEL_FEATURES: tuple[str, ...] = (
    # bearing outer/inner race (kurtosis and RMS up), imbalance 1x / misalignment 2x (RMS up,
    # kurtosis down towards a sine's 1.5)
    "vibration_rms_mm_s__load_residual_15m",
    "vibration_rms_mm_s__load_residual_1h",
    "vibration_kurtosis__mean_15m",
    "vibration_kurtosis__mean_1h",
    # overheating (cooling loss) without vibration
    "temperature_c__load_residual",
    # electrical: insulation degradation / supply unbalance draw reactive current
    "reactive_power_kvar__load_residual",
)


def _split_target(target: str) -> tuple[str, ...]:
    """``"a - b"`` -> ("a", "b"); a plain column name -> (name,)."""
    return tuple(part.strip() for part in target.split(" - "))


def _target(frame: pd.DataFrame, target: str) -> np.ndarray:
    parts = _split_target(target)
    out = column(frame, parts[0])
    for name in parts[1:]:
        out = out - column(frame, name)
    return out


@dataclass(frozen=True)
class FittedResidual:
    name: str
    target: str
    regressors: tuple[str, ...]
    squares: tuple[str, ...]
    coef: tuple[float, ...]  # intercept first, then regressors, then squares
    center: tuple[float, ...]  # regressor centring (numerical conditioning)
    scale: tuple[float, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*_split_target(self.target), *self.regressors, *self.squares)))

    def _terms(self, frame: pd.DataFrame) -> list[np.ndarray]:
        """Regressor terms: (x - center) / scale for regressors, (x / scale)^2 for squares."""
        terms = []
        nreg = len(self.regressors)
        for j, name in enumerate((*self.regressors, *self.squares)):
            if j < nreg:
                terms.append((column(frame, name) - self.center[j]) / self.scale[j])
            else:
                u = column(frame, name) / self.scale[j]
                terms.append(u * u)
        return terms

    def design(self, frame: pd.DataFrame) -> np.ndarray:
        return np.column_stack([np.ones(len(frame)), *self._terms(frame)])

    def apply(self, frame: pd.DataFrame) -> np.ndarray:
        """``target - prediction`` (NaN where an input is missing)."""
        pred = np.full(len(frame), self.coef[0])
        for j, term in enumerate(self._terms(frame)):
            pred += self.coef[j + 1] * term
        residual: np.ndarray = _target(frame, self.target) - pred
        return residual

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "target": self.target,
            "regressors": list(self.regressors),
            "squares": list(self.squares),
            "coef": list(self.coef),
            "center": list(self.center),
            "scale": list(self.scale),
        }


def column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    col = frame[name]
    if col.dtype != np.float64:
        col = pd.to_numeric(col, errors="coerce")
    values: np.ndarray = col.to_numpy(dtype=np.float64, na_value=np.nan)
    return values


def finite_share(values: np.ndarray) -> float:
    return float(np.isfinite(values).mean()) if len(values) else 0.0


def scorable_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows the model trains on and scores: the machine has run through the whole window
    (``running_1h == 1``, docs/CONTRACTS.md §6.7).  Where the operating state is unknown (null:
    no rated current, or a frame without the column, e.g. pure-math callers) every row counts."""
    if SCORABLE_COLUMN not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    scorable: np.ndarray = column(frame, SCORABLE_COLUMN) != 0.0
    return scorable


def fit_residual(spec: ResidualSpec, frame: pd.DataFrame, min_share: float) -> FittedResidual | None:
    regs = (*spec.regressors, *spec.squares)
    if any(finite_share(column(frame, r)) < min_share for r in regs):
        return None
    for target in spec.targets:
        y = _target(frame, target)
        if finite_share(y) < min_share:
            continue
        raw = np.column_stack([column(frame, r) for r in regs])
        ok = np.isfinite(y) & np.isfinite(raw).all(axis=1)
        if ok.sum() < 10:
            continue
        center = raw[ok].mean(axis=0)
        scale = raw[ok].std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        fitted = FittedResidual(
            spec.name, target, spec.regressors, spec.squares, (), tuple(center), tuple(scale)
        )
        design = fitted.design(frame)[ok]
        coef, *_ = np.linalg.lstsq(design, y[ok], rcond=None)
        return FittedResidual(
            spec.name,
            target,
            spec.regressors,
            spec.squares,
            tuple(map(float, coef)),
            tuple(map(float, center)),
            tuple(map(float, scale)),
        )
    return None
