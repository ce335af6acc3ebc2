"""Anomaly scores: an Isolation Forest plus an open-ended distance, both on baseline-normalised
load residuals (no Django).

Pipeline (everything is stored in the model object; docs/CONTRACTS.md §8):

1. **Model inputs** (``DEFAULT_MODEL_FEATURES``) - vibration kurtosis plus *load-normalised
   residuals*: vibration RMS, the temperature rise and the reactive power each get a small
   linear least-squares model ``target ~ 1 + load terms`` fitted on the healthy training rows,
   and the model sees ``target - prediction``.  Temperature and reactive power follow the
   load, so shift changes move the raw values a lot but the residuals hardly at all; a
   cooling loss or insulation degradation shows up as a residual.
2. **Normalisation** - ``z = (x - mean) / max(std, floor)`` with the baseline statistics of
   the inputs (:mod:`analytics.baseline`); a missing input gets ``z = 0`` (healthy mean).
   Two aggregates are appended for the forest: ``z_l2`` (RMS of the z-scores) and ``z_linf``
   (max |z|); they make a fault that moves one input stand out.
3. **Isolation Forest** - scikit-learn, ``n_estimators=100``, ``max_samples='auto'``, fixed
   ``random_state``; contamination is not used.  ``r = -score_samples(X)`` (higher = more
   anomalous).
4. **Distance** - ``d = z_l2``, the RMS of the normalised inputs.  A forest trained on healthy
   data isolates every point beyond the training range at about the same depth, so ``r``
   saturates and cannot say "twice as far"; ``d`` keeps growing with the fault.
5. **Calibration** - each term is mapped so that its training median is 0 and its training
   99.9th percentile is 1: ``a_f = max(0, (r - q50) / (q999 - q50))``, ``a_d`` likewise with
   ``d50``, ``d999``; ``a = max(a_f, a_d)`` and ``anomaly_score = a / (1 + a)`` in [0, 1), so
   0.5 is where the more alarmed of the two reaches its healthy 99.9th percentile.  Scores
   only: no thresholds, no decisions.

Only rows where the machine is running steadily are trained on and scored (``scorable_rows``):
a stopped machine has no vibration signature, and the hour after a start mixes standstill into
the rolling windows.

Where each step lives: the inputs and residuals in :mod:`analytics.anomaly_inputs`, the tree walk
that reproduces ``IsolationForest.score_samples`` bit for bit in :mod:`analytics.forest_walk`, the
calibration in :mod:`analytics.anomaly_calibration`; this module holds the model that ties them
together, its training and its persistence, and is the public face of all of them (``__all__``).
Stored models are joblib pickles that name their classes by module: ``AnomalyModel``,
``AnomalyParams``, ``ResidualSpec`` and ``FittedResidual`` must stay importable from here.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import IsolationForest

from analytics.anomaly_calibration import calibrate, combine_calibrated, false_anomaly_rate
from analytics.anomaly_inputs import (
    DEFAULT_MODEL_FEATURES,
    DEFAULT_RESIDUALS,
    SCORABLE_COLUMN,
    FittedResidual,
    ResidualSpec,
    column,
    finite_share,
    fit_residual,
    scorable_rows,
)
from analytics.baseline import DEFAULT_MIN_EVENTS, BaselineError, BaselineStats, baseline_fit
from analytics.forest_walk import forest_raw_scores, node_values

__all__ = [
    "DEFAULT_MODEL_FEATURES",
    "DEFAULT_RESIDUALS",
    "MODEL_VERSION",
    "SCORABLE_COLUMN",
    "AnomalyModel",
    "AnomalyParams",
    "FittedResidual",
    "ResidualSpec",
    "calibrate",
    "combine_calibrated",
    "false_anomaly_rate",
    "fit_anomaly_model",
    "scorable_rows",
    "score_features",
]

#: formula generation of the score (docs/CONTRACTS.md §8, change control); v2: steady-running
#: rows only, temperature rise above ambient and reactive-power residuals, forest + distance
MODEL_VERSION = "iforest-v2"


@dataclass(frozen=True)
class AnomalyParams:
    #: 100 trees (Liu et al.'s default; 200 before iforest-v2): the tree walk is most of the
    #: scoring cost, and on the benchmark fleets 200, 100 and 50 trees gave the same AUC, lead
    #: and false-positive rate (docs/CONTRACTS.md §8.1)
    n_estimators: int = 100
    max_samples: Any = "auto"
    features: tuple[str, ...] = DEFAULT_MODEL_FEATURES
    residuals: tuple[ResidualSpec, ...] = DEFAULT_RESIDUALS
    #: a candidate input is used only if it is non-null in at least this share of the
    #: training rows (docs/CONTRACTS.md §8.1)
    min_finite_fraction: float = 0.95
    min_events: int = DEFAULT_MIN_EVENTS
    q_low: float = 0.50
    #: 0.5 is anchored at this training quantile, the healthy 99.9th percentile: with the 99th,
    #: fresh healthy data (out of sample) measured 1-9 % at or above 0.5 on generator fleets
    q_high: float = 0.999
    #: aggregate inputs appended to the normalised features for the forest: "z_l2" (RMS of
    #: the z-scores) and "z_linf" (max |z|); they let a fault that moves a single input stand out
    aggregates: tuple[str, ...] = ("z_l2", "z_linf")
    #: 0.5 sits this many median-to-p99.9 spans above the median (out-of-sample allowance)
    anchor_margin: float = 1.5
    #: rows per scoring chunk (keeps the chunk in cache while all trees walk it)
    score_chunk_rows: int = 32768


def _rms(z: np.ndarray) -> np.ndarray:
    """Root mean square over the inputs (axis 0) of a (d, n) array."""
    return np.sqrt(np.mean(z * z, axis=0)) if z.shape[0] else np.zeros(z.shape[1])


@dataclass
class AnomalyModel:
    """Fitted anomaly model; serialisable with joblib (``dumps``/``loads``/``save``/``load``).

    ``q50``/``q99``: the forest's raw score ``r`` at the training median and 99.9th percentile
    (the name ``q99`` is kept for stored models); ``d50``/``d999``: the same for the distance
    ``d``.  A model stored before the distance term existed has NaN there and scores with the
    forest alone, as it did when it was trained.
    """

    version: str
    features: list[str]
    baseline: BaselineStats
    residuals: tuple[FittedResidual, ...]
    q50: float
    q99: float
    train_start: pd.Timestamp | None
    train_end: pd.Timestamp | None
    n_train: int
    sklearn_version: str
    random_state: int
    forest: IsolationForest
    aggregates: tuple[str, ...] = ()
    params: AnomalyParams = field(default_factory=AnomalyParams)
    d50: float = math.nan
    d999: float = math.nan
    anchor_margin: float = 1.0
    _node_values: list[np.ndarray] | None = field(default=None, repr=False, compare=False)

    # -- inputs ------------------------------------------------------------------------------
    def _raw_inputs(self, features: pd.DataFrame) -> np.ndarray:
        """Raw model inputs as a (d, n) array: feature columns and fitted residuals."""
        derived = {r.name: r for r in self.residuals}
        rows = np.empty((len(self.features), len(features)))
        for k, name in enumerate(self.features):
            rows[k] = derived[name].apply(features) if name in derived else column(features, name)
        return rows

    def model_frame(self, features: pd.DataFrame) -> pd.DataFrame:
        """Raw (un-normalised) model inputs: feature columns plus fitted residuals."""
        return pd.DataFrame(self._raw_inputs(features).T, index=features.index, columns=self.features)

    def normalised(self, features: pd.DataFrame, n_imputed: np.ndarray | None = None) -> np.ndarray:
        """z-scores of the model inputs, float64 (d, n).

        z = (x - mean) / max(std, floor); a missing input gets z = 0 (the healthy mean) and
        is counted in ``n_imputed`` (an int array of length n, if given).
        """
        z = self._raw_inputs(features)
        for k, name in enumerate(self.features):
            row = z[k]
            bad = ~np.isfinite(row)
            row -= self.baseline.stats(name).mean
            row /= self.baseline.scale_of(name)
            row[bad] = 0.0
            if n_imputed is not None:
                n_imputed += bad
            np.clip(row, -1e15, 1e15, out=row)
        return z

    def _matrix(self, z: np.ndarray) -> np.ndarray:
        """Forest input (n, d + aggregates), float32, from the z-scores (d, n)."""
        d = z.shape[0]
        x = np.empty((z.shape[1], d + len(self.aggregates)), dtype=np.float32)
        x[:, :d] = z.T
        for j, agg in enumerate(self.aggregates):
            if agg == "z_l2":
                x[:, d + j] = _rms(z)
            elif agg == "z_linf":
                x[:, d + j] = np.max(np.abs(z), axis=0)
            else:  # pragma: no cover - validated at fit time
                raise ValueError(f"unknown aggregate {agg!r}")
        return x

    def design_matrix(self, features: pd.DataFrame, n_imputed: np.ndarray | None = None) -> np.ndarray:
        """Normalised, imputed forest input matrix, float32 (n, d + aggregates)."""
        return self._matrix(self.normalised(features, n_imputed))

    @property
    def input_names(self) -> list[str]:
        """Columns of :meth:`design_matrix`: normalised features, then the aggregates."""
        return [*self.features, *self.aggregates]

    # -- scoring -----------------------------------------------------------------------------
    def _values(self) -> list[np.ndarray]:
        if self._node_values is None:
            self._node_values = node_values(self.forest)
        return self._node_values

    def raw_from_matrix(self, x: np.ndarray) -> np.ndarray:
        """``-IsolationForest.score_samples`` of a design matrix (higher = more anomalous)."""
        return forest_raw_scores(self.forest, self._values(), x, self.params.score_chunk_rows)

    def raw_scores(self, features: pd.DataFrame) -> np.ndarray:
        return self.raw_from_matrix(self.design_matrix(features))

    def distances(self, features: pd.DataFrame) -> np.ndarray:
        """``d = z_l2``: RMS of the normalised inputs (open-ended: grows with the deviation)."""
        return _rms(self.normalised(features))

    def score_frame(self, features: pd.DataFrame) -> pd.DataFrame:
        """Columns ``anomaly_score``, ``anomaly_raw`` (r), ``anomaly_distance`` (d) and
        ``n_imputed`` (docs/CONTRACTS.md §8.3); NaN on rows that are not scored (the machine
        is not running steadily, :func:`scorable_rows`)."""
        keep = scorable_rows(features)
        rows = features if keep.all() else features[keep]
        n_imp = np.zeros(len(rows), dtype=np.int64)
        z = self.normalised(rows, n_imp)
        raw = self.raw_from_matrix(self._matrix(z))
        dist = _rms(z)
        out = pd.DataFrame(
            {
                "anomaly_score": self.calibrated(raw, dist),
                "anomaly_raw": raw,
                "anomaly_distance": dist,
                "n_imputed": n_imp,
            },
            index=rows.index,
        )
        return out if keep.all() else out.reindex(features.index)

    def calibrated(self, raw: np.ndarray, distance: np.ndarray) -> np.ndarray:
        """§8.2: ``a = max(a_forest, a_distance)``, ``anomaly_score = a / (1 + a)``."""
        if not (math.isfinite(self.d50) and math.isfinite(self.d999)):
            return calibrate(raw, self.q50, self.q99)  # stored before the distance term
        return combine_calibrated(
            raw, distance, self.q50, self.q99, self.d50, self.d999, margin=self.anchor_margin
        )

    def score(self, features: pd.DataFrame) -> pd.Series:
        """``anomaly_score`` in [0, 1) for every scorable row of a feature table (else NaN)."""
        return self.score_frame(features)["anomaly_score"].rename("anomaly_score")

    # -- metadata / persistence ----------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """JSON-friendly description (without the trees)."""
        return {
            "version": self.version,
            "features": list(self.features),
            "aggregates": list(self.aggregates),
            "residuals": [r.to_dict() for r in self.residuals],
            "baseline": self.baseline.to_dict(),
            "q50": self.q50,
            "q99": self.q99,
            "distance": "z_l2",
            "d50": self.d50,
            "d999": self.d999,
            "anchor_margin": self.anchor_margin,
            "train_start": None if self.train_start is None else self.train_start.isoformat(),
            "train_end": None if self.train_end is None else self.train_end.isoformat(),
            "n_train": self.n_train,
            "sklearn_version": self.sklearn_version,
            "random_state": self.random_state,
            "n_estimators": len(self.forest.estimators_),
        }

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_node_values"] = None  # derived cache, rebuilt on demand
        return state

    def dumps(self) -> bytes:
        buf = io.BytesIO()
        joblib.dump(self, buf)
        return buf.getvalue()

    @staticmethod
    def loads(data: bytes) -> AnomalyModel:
        model = joblib.load(io.BytesIO(data))
        if not isinstance(model, AnomalyModel):
            raise TypeError("payload is not an AnomalyModel")
        return model

    def save(self, path: str) -> None:
        joblib.dump(self, path)

    @staticmethod
    def load(path: str) -> AnomalyModel:
        model = joblib.load(path)
        if not isinstance(model, AnomalyModel):
            raise TypeError(f"{path} does not contain an AnomalyModel")
        return model


def fit_anomaly_model(
    features: pd.DataFrame,
    *,
    random_state: int = 0,
    params: AnomalyParams | None = None,
    baseline: BaselineStats | None = None,
) -> AnomalyModel:
    """Train the model on the feature table of a healthy baseline window.

    Only the rows of steady running (:func:`scorable_rows`) are used.  ``features`` holds the
    stored features joined with the events' own readings (the instantaneous residuals and the
    temperature above ambient need them).  ``baseline``: optional pre-fitted statistics;
    columns it covers are normalised with it, the others (e.g. the residuals) get statistics
    fitted on ``features``.  Raises :class:`BaselineError` for too few rows or no usable input.
    """
    p = params or AnomalyParams()
    unknown = [a for a in p.aggregates if a not in ("z_l2", "z_linf")]
    if unknown:
        raise ValueError(f"unknown aggregates: {unknown}")
    features = features[scorable_rows(features)]
    n = len(features)
    if n < p.min_events:
        raise BaselineError(f"anomaly model needs at least {p.min_events} events of steady running, got {n}")
    chosen, residuals = _choose_inputs(features, p)
    shell = AnomalyModel(
        version=MODEL_VERSION,
        features=chosen,
        baseline=BaselineStats(columns={}, n_rows=n),
        residuals=residuals,
        q50=math.nan,
        q99=math.nan,
        train_start=None,
        train_end=None,
        n_train=n,
        sklearn_version=sklearn.__version__,
        random_state=int(random_state),
        forest=IsolationForest(),
        aggregates=tuple(p.aggregates),
        params=p,
    )
    shell.baseline = _input_stats(shell, features, p, baseline)
    _fit_forest(shell, features, p, random_state)
    if isinstance(features.index, pd.DatetimeIndex) and n:
        shell.train_start, shell.train_end = features.index.min(), features.index.max()
    return shell


def _choose_inputs(features: pd.DataFrame, p: AnomalyParams) -> tuple[list[str], tuple[FittedResidual, ...]]:
    """The model inputs, in ``p.features`` order: residuals that could be fitted and feature
    columns non-null in at least ``min_finite_fraction`` of the training rows."""
    residuals = tuple(
        r for r in (fit_residual(s, features, p.min_finite_fraction) for s in p.residuals) if r is not None
    )
    derived = {r.name for r in residuals}
    residual_names = {s.name for s in p.residuals}
    chosen: list[str] = []
    for name in p.features:
        if name in residual_names:
            if name in derived:
                chosen.append(name)
        elif finite_share(column(features, name)) >= p.min_finite_fraction:
            chosen.append(name)
    residuals = tuple(r for r in residuals if r.name in chosen)
    if not chosen:
        raise BaselineError("no model input column has enough finite values in the baseline window")
    return chosen, residuals


def _input_stats(
    shell: AnomalyModel, features: pd.DataFrame, p: AnomalyParams, baseline: BaselineStats | None
) -> BaselineStats:
    """Normalisation statistics of the inputs: fitted on the training rows, replaced by the
    pre-fitted ``baseline`` for the columns it covers (and its floors)."""
    chosen = shell.features
    stats = baseline_fit(shell.model_frame(features), columns=chosen, min_events=p.min_events)
    if baseline is None:
        return stats
    merged = dict(stats.columns)
    merged.update({c: baseline.stats(c) for c in chosen if c in baseline})
    return BaselineStats(
        columns=merged,
        n_rows=stats.n_rows,
        window_start=stats.window_start,
        window_end=stats.window_end,
        floors={**stats.floors, **{c: f for c, f in baseline.floors.items() if c in chosen}},
    )


def _fit_forest(shell: AnomalyModel, features: pd.DataFrame, p: AnomalyParams, random_state: int) -> None:
    """Fit the forest on the normalised inputs and anchor both terms' calibration (§8.2) at their
    training median and 99.9th percentile."""
    z = shell.normalised(features)
    x = shell._matrix(z)
    forest = IsolationForest(
        n_estimators=p.n_estimators,
        max_samples=p.max_samples,
        random_state=random_state,
        n_jobs=1,
    )
    forest.fit(x)
    shell.forest = forest
    raw = shell.raw_from_matrix(x)
    shell.q50, shell.q99 = (float(v) for v in np.quantile(raw, [p.q_low, p.q_high]))
    shell.d50, shell.d999 = (float(v) for v in np.quantile(_rms(z), [p.q_low, p.q_high]))
    shell.anchor_margin = float(p.anchor_margin)


def score_features(model: AnomalyModel, features: pd.DataFrame) -> pd.Series:
    """Convenience wrapper: ``model.score(features)``."""
    return model.score(features)


def model_feature_sources(model: AnomalyModel) -> dict[str, Sequence[str]]:
    """For traceability: which feature-table columns each model input is built from."""
    derived = {r.name: r.sources for r in model.residuals}
    return {name: derived.get(name, (name,)) for name in model.features}
