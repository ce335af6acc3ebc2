"""Isolation-Forest anomaly scores on baseline-normalised features (no Django).

Pipeline (everything is stored in the model object):

1. **Model inputs** (``DEFAULT_MODEL_FEATURES``) — vibration kurtosis plus *load-normalised
   residuals*: for vibration RMS, temperature, current and power factor a small linear
   least-squares model ``target ~ 1 + load means (+ supply voltage for current)`` is fitted
   on the healthy training rows and the model sees ``target - prediction``.  Temperature and
   current follow the load, so shift changes move the raw values a lot but the residuals
   hardly at all; overheating, unbalance or insulation problems show up as residuals.
2. **Normalisation** — ``z = (x - mean) / max(std, floor)`` with the baseline statistics of
   the inputs (:mod:`analytics.baseline`); a missing input gets ``z = 0`` (healthy mean).
   Two aggregates are appended: ``z_l2`` (RMS of the z-scores) and ``z_linf`` (max |z|).
   They make a fault that moves only one input stand out (an Isolation Forest dilutes a
   single-input deviation among the other, irrelevant, inputs).
3. **Isolation Forest** — scikit-learn, ``n_estimators=200``, ``max_samples='auto'``, fixed
   ``random_state``; contamination is not used.  ``r = -score_samples(X)`` (higher = more
   anomalous).
4. **Calibration** — ``q50``, ``q99`` of ``r`` on the training rows;
   ``a = max(0, (r - q50) / max(q99 - q50, 1e-6))``, ``anomaly_score = a / (1 + a)`` in
   [0, 1), so 0.5 is the healthy 99th percentile.  Scores only: no thresholds, no decisions.

Note on the range: an Isolation Forest trained on healthy data cannot isolate a point
outside the training range faster than the "corner" of that data, so ``r`` saturates (about
0.65-0.8 when q50 is about 0.44 and q99 about 0.6): with the contract calibration even a
gross fault scores about 0.55-0.7, not 0.9, and "slightly outside the training range"
scores like "far outside".  ``AnomalyParams.calibration_exponent`` (default
1 = contract) stretches the range above the 99th percentile without moving q50 -> 0 and
q99 -> 0.5.

Scoring walks the fitted trees directly (``tree_.apply`` on cache-sized row chunks) and
reproduces ``IsolationForest.score_samples`` bit for bit (see the tests), a bit faster.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import IsolationForest

from analytics.baseline import DEFAULT_MIN_EVENTS, BaselineError, BaselineStats, baseline_fit

__all__ = [
    "CONTRACT_MODEL_FEATURES",
    "DEFAULT_MODEL_FEATURES",
    "DEFAULT_RESIDUALS",
    "MODEL_VERSION",
    "AnomalyModel",
    "AnomalyParams",
    "ResidualSpec",
    "calibrate",
    "false_anomaly_rate",
    "fit_anomaly_model",
    "score_features",
]

MODEL_VERSION = "iforest-v1"


@dataclass(frozen=True)
class ResidualSpec:
    """A load-normalised derived input ``name = target - ols(regressors)``.

    ``targets`` are tried in order; the first with enough finite training values is used.
    ``squares`` are regressors that also enter squared (I^2 R losses).
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
    # winding temperature follows the load with a thermal lag (15 min and 1 h load means);
    # linear terms only: quadratic fits extrapolate badly to load levels a short (72 h)
    # baseline window has not seen, which shows up as false anomalies
    ResidualSpec(
        "temperature_c__load_residual",
        ("temperature_c__mean_15m",),
        ("power_kw__mean_15m", "power_kw__mean_1h"),
    ),
    # I ~ P / (sqrt(3) V PF): what load and supply voltage do not explain is unbalance or
    # a PF (insulation) problem
    ResidualSpec(
        "current_a__load_residual",
        ("current_a__mean_15m",),
        ("power_kw__mean_15m", "voltage_v__mean_15m"),
    ),
    # induction-motor PF rises with load
    ResidualSpec(
        "power_factor__load_residual",
        ("power_factor__mean_15m",),
        ("power_kw__mean_15m",),
    ),
)

#: the input list of docs/CONTRACTS.md §8.1 (raw features, no residuals): use it with
#: ``AnomalyParams(features=CONTRACT_MODEL_FEATURES, residuals=(), aggregates=())``
CONTRACT_MODEL_FEATURES: tuple[str, ...] = (
    "voltage_deviation_pct",
    "frequency_deviation_hz",
    "power_factor",
    "load_factor",
    "current_a__mean_15m",
    "current_a__std_1h",
    "temperature_c__mean_15m",
    "vibration_rms_mm_s__mean_15m",
    "vibration_rms_mm_s__std_1h",
    "vibration_kurtosis__mean_15m",
)

#: candidate model inputs, in order (columns with too few finite training values are dropped)
DEFAULT_MODEL_FEATURES: tuple[str, ...] = (
    # bearing outer/inner race (kurtosis and RMS up), imbalance 1x / misalignment 2x (RMS up)
    "vibration_rms_mm_s__load_residual_15m",
    "vibration_rms_mm_s__load_residual_1h",
    "vibration_kurtosis__mean_15m",
    "vibration_kurtosis__mean_1h",
    # overheating without vibration
    "temperature_c__load_residual",
    # electrical: unbalance / sag raise current, insulation degradation lowers PF
    "current_a__load_residual",
    "power_factor__load_residual",
)


@dataclass(frozen=True)
class AnomalyParams:
    n_estimators: int = 200
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
    #: aggregate inputs appended to the normalised features: "z_l2" (RMS of the z-scores)
    #: and "z_linf" (max |z|); they let a fault that moves a single input stand out
    aggregates: tuple[str, ...] = ("z_l2", "z_linf")
    #: a -> a ** calibration_exponent before a / (1 + a); 1.0 is the contract calibration
    calibration_exponent: float = 1.0
    #: rows per scoring chunk (keeps the chunk in cache while all trees walk it)
    score_chunk_rows: int = 32768


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
        return (self.target, *self.regressors)

    def _terms(self, frame: pd.DataFrame) -> list[np.ndarray]:
        """Regressor terms: (x - center) / scale for regressors, (x / scale)^2 for squares."""
        terms = []
        nreg = len(self.regressors)
        for j, name in enumerate((*self.regressors, *self.squares)):
            if j < nreg:
                terms.append((_col(frame, name) - self.center[j]) / self.scale[j])
            else:
                u = _col(frame, name) / self.scale[j]
                terms.append(u * u)
        return terms

    def design(self, frame: pd.DataFrame) -> np.ndarray:
        return np.column_stack([np.ones(len(frame)), *self._terms(frame)])

    def apply(self, frame: pd.DataFrame) -> np.ndarray:
        """``target - prediction`` (NaN where an input is missing)."""
        pred = np.full(len(frame), self.coef[0])
        for j, term in enumerate(self._terms(frame)):
            pred += self.coef[j + 1] * term
        return _col(frame, self.target) - pred

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


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    col = frame[name]
    if col.dtype != np.float64:
        col = pd.to_numeric(col, errors="coerce")
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def _finite_share(frame: pd.DataFrame, name: str) -> float:
    if len(frame) == 0:
        return 0.0
    return float(np.isfinite(_col(frame, name)).mean())


def _fit_residual(spec: ResidualSpec, frame: pd.DataFrame, min_share: float) -> FittedResidual | None:
    if any(_finite_share(frame, r) < min_share for r in (*spec.regressors, *spec.squares)):
        return None
    for target in spec.targets:
        if _finite_share(frame, target) < min_share:
            continue
        y = _col(frame, target)
        raw = np.column_stack([_col(frame, r) for r in (*spec.regressors, *spec.squares)])
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


def calibrate(raw: np.ndarray, q50: float, q99: float, exponent: float = 1.0) -> np.ndarray:
    """``a = max(0, (r - q50)/(q99 - q50))``; ``score = a / (1 + a)`` in [0, 1).

    ``exponent`` (default 1 = contract) raises ``a`` to a power first; it keeps q50 -> 0
    and q99 -> 0.5 but stretches the range above the healthy 99th percentile.
    """
    span = max(q99 - q50, 1e-6)
    a = np.maximum(0.0, (np.asarray(raw, dtype=np.float64) - q50) / span)
    if exponent != 1.0:
        a = a**exponent
    with np.errstate(invalid="ignore"):
        out = a / (1.0 + a)
    return np.where(np.isinf(a), 1.0 - np.finfo(np.float64).epsneg, out)


def false_anomaly_rate(scores: Iterable[float] | np.ndarray | pd.Series, threshold: float = 0.5) -> float:
    """Share of (finite) scores >= 0.5, i.e. above the healthy 99th percentile."""
    s = np.asarray(scores, dtype=np.float64)
    s = s[np.isfinite(s)]
    return float(np.mean(s >= threshold)) if s.size else float("nan")


def _average_path_length(n: np.ndarray) -> np.ndarray:
    """c(n): average path length of an unsuccessful BST search (Liu et al.)."""
    n = np.asarray(n, dtype=np.float64)
    out = np.zeros_like(n)
    out[n == 2] = 1.0
    big = n > 2
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


def _node_depths(tree) -> np.ndarray:
    """Depth of every node, root = 1 (as sklearn's ``compute_node_depths``)."""
    left, right = tree.children_left, tree.children_right
    depth = np.zeros(tree.node_count, dtype=np.float64)
    depth[0] = 1.0
    for node in range(tree.node_count):  # children always have larger ids than parents
        if left[node] >= 0:
            depth[left[node]] = depth[node] + 1.0
            depth[right[node]] = depth[node] + 1.0
    return depth


@dataclass
class AnomalyModel:
    """Fitted anomaly model; serialisable with joblib (``dumps``/``loads``/``save``/``load``)."""

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
    calibration_exponent: float = 1.0
    params: AnomalyParams = field(default_factory=AnomalyParams)
    _node_values: list[np.ndarray] | None = field(default=None, repr=False, compare=False)

    # -- inputs ------------------------------------------------------------------------------
    def _raw_inputs(self, features: pd.DataFrame) -> np.ndarray:
        """Raw model inputs as a (d, n) array: feature columns and fitted residuals."""
        derived = {r.name: r for r in self.residuals}
        rows = np.empty((len(self.features), len(features)))
        for k, name in enumerate(self.features):
            rows[k] = derived[name].apply(features) if name in derived else _col(features, name)
        return rows

    def model_frame(self, features: pd.DataFrame) -> pd.DataFrame:
        """Raw (un-normalised) model inputs: feature columns plus fitted residuals."""
        return pd.DataFrame(self._raw_inputs(features).T, index=features.index, columns=self.features)

    def design_matrix(self, features: pd.DataFrame, n_imputed: np.ndarray | None = None) -> np.ndarray:
        """Normalised, imputed model input matrix, float32 (n, d + aggregates).

        z = (x - mean) / max(std, floor); a missing input gets z = 0 (the healthy mean) and
        is counted in ``n_imputed`` (an int array of length n, if given); the aggregates are
        computed on the z-scores.
        """
        raw = self._raw_inputs(features)
        d = raw.shape[0]
        z = np.empty((d + len(self.aggregates), raw.shape[1]))
        for k, name in enumerate(self.features):
            st = self.baseline.stats(name)
            row = raw[k]
            bad = ~np.isfinite(row)
            row -= st.mean
            row /= self.baseline.scale_of(name)
            row[bad] = 0.0
            if n_imputed is not None:
                n_imputed += bad
            np.clip(row, -1e15, 1e15, out=z[k])
        zz = z[:d]
        for j, agg in enumerate(self.aggregates):
            if agg == "z_l2":
                np.sqrt(np.mean(zz * zz, axis=0), out=z[d + j])
            elif agg == "z_linf":
                np.max(np.abs(zz), axis=0, out=z[d + j])
            else:  # pragma: no cover - validated at fit time
                raise ValueError(f"unknown aggregate {agg!r}")
        # float32 is what the trees compare against
        return np.ascontiguousarray(z.T, dtype=np.float32)

    @property
    def input_names(self) -> list[str]:
        """Columns of :meth:`design_matrix`: normalised features, then the aggregates."""
        return [*self.features, *self.aggregates]

    # -- scoring -----------------------------------------------------------------------------
    def _values(self) -> list[np.ndarray]:
        if self._node_values is None:
            vals = []
            for est in self.forest.estimators_:
                tree = est.tree_
                vals.append(_node_depths(tree) + _average_path_length(tree.n_node_samples) - 1.0)
            self._node_values = vals
        return self._node_values

    def raw_from_matrix(self, x: np.ndarray) -> np.ndarray:
        """``-IsolationForest.score_samples`` of a design matrix (higher = more anomalous)."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        n = x.shape[0]
        depths = np.zeros(n)
        values = self._values()
        trees = [est.tree_ for est in self.forest.estimators_]
        step = max(1, int(self.params.score_chunk_rows))
        for lo in range(0, n, step):
            xs = x[lo : lo + step]
            acc = depths[lo : lo + step]
            for tree, val in zip(trees, values, strict=True):
                acc += val[tree.apply(xs)]
        denom = len(trees) * float(_average_path_length(np.array([self.forest.max_samples_]))[0])
        return 2.0 ** (-depths / denom)

    def raw_scores(self, features: pd.DataFrame) -> np.ndarray:
        return self.raw_from_matrix(self.design_matrix(features))

    def score_frame(self, features: pd.DataFrame) -> pd.DataFrame:
        """Columns ``anomaly_score``, ``anomaly_raw`` (r) and ``n_imputed`` for every row."""
        n_imp = np.zeros(len(features), dtype=np.int64)
        raw = self.raw_from_matrix(self.design_matrix(features, n_imp))
        return pd.DataFrame(
            {
                "anomaly_score": calibrate(raw, self.q50, self.q99, self.calibration_exponent),
                "anomaly_raw": raw,
                "n_imputed": n_imp,
            },
            index=features.index,
        )

    def score(self, features: pd.DataFrame) -> pd.Series:
        """``anomaly_score`` in [0, 1) for every row of a feature table."""
        raw = self.raw_scores(features)
        return pd.Series(
            calibrate(raw, self.q50, self.q99, self.calibration_exponent),
            index=features.index,
            name="anomaly_score",
        )

    # -- metadata / persistence ----------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """JSON-friendly description (without the trees)."""
        return {
            "version": self.version,
            "features": list(self.features),
            "aggregates": list(self.aggregates),
            "calibration_exponent": self.calibration_exponent,
            "residuals": [r.to_dict() for r in self.residuals],
            "baseline": self.baseline.to_dict(),
            "q50": self.q50,
            "q99": self.q99,
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

    ``baseline``: optional pre-fitted statistics; columns it covers are normalised with
    it, the others (e.g. the residuals) get statistics fitted on ``features``.
    Raises :class:`BaselineError` for too few rows or no usable input column.
    """
    p = params or AnomalyParams()
    unknown = [a for a in p.aggregates if a not in ("z_l2", "z_linf")]
    if unknown:
        raise ValueError(f"unknown aggregates: {unknown}")
    n = len(features)
    if n < p.min_events:
        raise BaselineError(f"anomaly model needs at least {p.min_events} events, got {n}")
    residuals = tuple(
        r for r in (_fit_residual(s, features, p.min_finite_fraction) for s in p.residuals) if r is not None
    )
    derived = {r.name for r in residuals}
    residual_names = {s.name for s in p.residuals}
    chosen: list[str] = []
    for name in p.features:
        if name in residual_names:
            if name in derived:
                chosen.append(name)
        elif _finite_share(features, name) >= p.min_finite_fraction:
            chosen.append(name)
    residuals = tuple(r for r in residuals if r.name in chosen)
    if not chosen:
        raise BaselineError("no model input column has enough finite values in the baseline window")
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
        calibration_exponent=float(p.calibration_exponent),
        params=p,
    )
    inputs = shell.model_frame(features)
    stats = baseline_fit(inputs, columns=chosen, min_events=p.min_events)
    if baseline is not None:
        merged = dict(stats.columns)
        merged.update({c: baseline.stats(c) for c in chosen if c in baseline})
        stats = BaselineStats(
            columns=merged,
            n_rows=stats.n_rows,
            window_start=stats.window_start,
            window_end=stats.window_end,
            floors={**stats.floors, **{c: f for c, f in baseline.floors.items() if c in chosen}},
        )
    shell.baseline = stats
    x = shell.design_matrix(features)
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
    if isinstance(features.index, pd.DatetimeIndex) and n:
        shell.train_start, shell.train_end = features.index.min(), features.index.max()
    return shell


def score_features(model: AnomalyModel, features: pd.DataFrame) -> pd.Series:
    """Convenience wrapper: ``model.score(features)``."""
    return model.score(features)


def model_feature_sources(model: AnomalyModel) -> dict[str, Sequence[str]]:
    """For traceability: which feature-table columns each model input is built from."""
    derived = {r.name: r.sources for r in model.residuals}
    return {name: derived.get(name, (name,)) for name in model.features}
