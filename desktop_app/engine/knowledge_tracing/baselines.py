"""The simple baselines of the evaluation, on rows sorted by student then time.

Both use only what precedes a row in the same student's sequence, like the online model.
"""
from __future__ import annotations

import numpy as np

from desktop_app.engine.knowledge_tracing.logistic import Group, fit_logistic, predict_logistic


def prior_counts(seq_key: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the successes and failures earlier in its sequence (rows grouped by
    `seq_key` are taken in the order given)."""
    order = np.argsort(seq_key, kind="stable")
    key, yy = seq_key[order], y[order].astype(float)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, int)
    cum = np.cumsum(yy) - yy
    cnt = np.arange(len(yy), dtype=float)
    lengths = np.diff(np.r_[starts, len(yy)])
    succ = cum - np.repeat(cum[starts], lengths)
    att = cnt - np.repeat(cnt[starts], lengths)
    s, f = np.empty(len(y)), np.empty(len(y))
    s[order], f[order] = succ, att - succ
    return s, f


def skill_means(skill: np.ndarray, y: np.ndarray, n_skills: int) -> np.ndarray:
    """Training success rate per skill; skills without rows get the overall rate."""
    n = np.bincount(skill, minlength=n_skills)
    overall = float(y.mean()) if len(y) else 0.5
    return np.where(n > 0, np.bincount(skill, y, n_skills) / np.maximum(n, 1), overall)


def running_accuracy(seq_key: np.ndarray, skill: np.ndarray, y: np.ndarray, means: np.ndarray) -> np.ndarray:
    """(successes + m) / (attempts + 1): the student's accuracy on the skill so far, with one
    pseudo-answer at the skill's training mean m."""
    s, f = prior_counts(seq_key, y)
    return (s + means[skill]) / (s + f + 1.0)


def _pfa_inputs(seq_key: np.ndarray, skill: np.ndarray, y: np.ndarray, n_skills: int, l2: float):
    s, f = prior_counts(seq_key, y)
    x = np.column_stack([np.log1p(s), np.log1p(f)])
    groups = [Group(skill, n_skills, l2), Group(skill, n_skills, l2, column=0),
              Group(skill, n_skills, l2, column=1)]
    return x, groups


def pfa(train: tuple[np.ndarray, np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray, np.ndarray],
        n_skills: int, l2: float = 0.01) -> np.ndarray:
    """Performance Factors Analysis: logit = b_k + g_k log(1+successes_k) + r_k log(1+failures_k)
    per skill k (shared slopes plus lightly penalised per-skill deviations, so a skill seen only
    in test falls back to the shared slopes). Each argument triple is (seq_key, skill, y)."""
    x, groups = _pfa_inputs(*train, n_skills, l2)
    fit = fit_logistic(train[2], x, groups)
    xt, gt = _pfa_inputs(*test, n_skills, l2)
    return predict_logistic(fit, xt, gt)
