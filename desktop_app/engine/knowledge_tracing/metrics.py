"""AUC, RMSE and log-loss of probability forecasts of binary outcomes."""
from __future__ import annotations

import numpy as np

_CLIP = 1e-6


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve by ranking (Mann-Whitney U), ties given their average rank;
    NaN when only one class is present."""
    y = np.asarray(y, dtype=bool)
    p = np.asarray(p, dtype=float)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    _, inverse, counts = np.unique(p[order], return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = np.empty(len(p))
    ranks[order] = average_rank[inverse]
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def rmse(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(p, float)) ** 2)))


def logloss(y: np.ndarray, p: np.ndarray) -> float:
    y = np.asarray(y, float)
    p = np.clip(np.asarray(p, float), _CLIP, 1 - _CLIP)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """The evaluation's metric block for one model."""
    return {"auc": auc(y, p), "rmse": rmse(y, p), "logloss": logloss(y, p), "n": int(len(y))}
