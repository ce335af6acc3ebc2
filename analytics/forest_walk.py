"""Isolation Forest scoring by walking the fitted trees directly (no Django).

``IsolationForest.score_samples`` recomputes every tree's node depths on each call and walks the
whole input per tree; here the per-node path lengths are computed once per model and the trees
walk cache-sized row chunks (``tree_.apply``).  The result equals ``-score_samples`` bit for bit
(tests/analytics/test_anomaly_math.py), a bit faster.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import IsolationForest


def _average_path_length(n: np.ndarray) -> np.ndarray:
    """c(n): average path length of an unsuccessful BST search (Liu et al.)."""
    n = np.asarray(n, dtype=np.float64)
    out = np.zeros_like(n)
    out[n == 2] = 1.0
    big = n > 2
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


def _node_depths(tree: Any) -> np.ndarray:
    """Depth of every node, root = 1 (as sklearn's ``compute_node_depths``)."""
    left, right = tree.children_left, tree.children_right
    depth = np.zeros(tree.node_count, dtype=np.float64)
    depth[0] = 1.0
    for node in range(tree.node_count):  # children always have larger ids than parents
        if left[node] >= 0:
            depth[left[node]] = depth[node] + 1.0
            depth[right[node]] = depth[node] + 1.0
    return depth


def node_values(forest: IsolationForest) -> list[np.ndarray]:
    """Per tree: the path length of a sample ending in each node (depth plus c(n) of its leaf)."""
    vals = []
    for est in forest.estimators_:
        tree = est.tree_
        vals.append(_node_depths(tree) + _average_path_length(tree.n_node_samples) - 1.0)
    return vals


def forest_raw_scores(
    forest: IsolationForest, values: list[np.ndarray], x: Any, chunk_rows: int
) -> np.ndarray:
    """``-IsolationForest.score_samples`` of a design matrix (higher = more anomalous)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = x.shape[0]
    depths = np.zeros(n)
    trees = [est.tree_ for est in forest.estimators_]
    step = max(1, int(chunk_rows))
    for lo in range(0, n, step):
        xs = x[lo : lo + step]
        acc = depths[lo : lo + step]
        for tree, val in zip(trees, values, strict=True):
            acc += val[tree.apply(xs)]
    denom = len(trees) * float(_average_path_length(np.array([forest.max_samples_]))[0])
    return 2.0 ** (-depths / denom)
