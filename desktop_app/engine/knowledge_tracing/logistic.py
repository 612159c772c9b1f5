"""L2-regularised logistic regression over one-hot groups, dense features and per-group
slopes, fitted by preconditioned L-BFGS written out in numpy (no scipy, no sklearn).

Why this shape: every model we fit (our mastery model, PFA) is "intercept + per-category
offsets (concept, question) + dense features, some with per-concept slopes". One-hot
gradients are `np.bincount`s, so a full gradient over 500k rows costs a few milliseconds and
no sparse-matrix library is needed. L-BFGS runs in variables scaled by the inverse square
root of the Hessian's diagonal bound (0.25 * counts + L2), which makes 17k rarely-seen
question offsets converge as fast as the shared weights. Products use `einsum` rather than
BLAS: no worker threads to oversubscribe a busy 2-core machine, and sums that do not depend
on the thread count, so a fit gives the same parameters everywhere.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Group:
    """A categorical term: row r adds `coef[index[r]]` (times `x[:, column]` if column given).

    `index` -1 means "no category" (adds nothing). `l2` pulls each coefficient towards 0,
    i.e. towards the shared intercept or the shared slope.
    """

    index: np.ndarray
    size: int
    l2: float
    column: int | None = None


@dataclass
class LogisticFit:
    intercept: float
    weights: np.ndarray  # one per dense column
    groups: list[np.ndarray] = field(default_factory=list)  # coefficients per Group
    iterations: int = 0


def _lbfgs(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray,
           scale: np.ndarray, *, maxiter: int, memory: int = 10, gtol: float = 1e-4) -> tuple[np.ndarray, int]:
    """Minimise fg in scaled variables x = scale * v; stop on relative max-gradient `gtol`."""
    def fgv(v: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = fg(v * scale)
        return f, g * scale

    v = x0 / scale
    f, g = fgv(v)
    g0 = max(1.0, float(np.max(np.abs(g))))
    S: list[np.ndarray] = []
    Y: list[np.ndarray] = []
    it = 0
    for it in range(1, maxiter + 1):
        q = g.copy()
        alphas = []
        for s, y in zip(reversed(S), reversed(Y)):
            a = (s @ q) / (y @ s)
            alphas.append(a)
            q -= a * y
        if S:
            q *= (S[-1] @ Y[-1]) / (Y[-1] @ Y[-1])
        else:
            q /= max(1.0, float(np.linalg.norm(q)))
        for (s, y), a in zip(zip(S, Y), reversed(alphas)):
            q += (a - (y @ q) / (y @ s)) * s
        d = -q
        slope = g @ d
        if slope >= 0:  # lost descent direction: restart from steepest descent
            S.clear(); Y.clear()
            d = -g / max(1.0, float(np.linalg.norm(g)))
            slope = g @ d
        t = 1.0
        while True:
            vn = v + t * d
            fn, gn = fgv(vn)
            if fn <= f + 1e-4 * t * slope or t < 1e-10:
                break
            t *= 0.5
        s, y = vn - v, gn - g
        if s @ y > 1e-12:
            S.append(s); Y.append(y)
            if len(S) > memory:
                S.pop(0); Y.pop(0)
        v, f, g = vn, fn, gn
        if np.max(np.abs(g)) < gtol * g0 or t < 1e-10:
            break
    return v * scale, it


def fit_logistic(y: np.ndarray, x: np.ndarray, groups: list[Group], *, dense_l2: float = 1e-3,
                 maxiter: int = 500) -> LogisticFit:
    """Fit P(y=1) = sigmoid(b + x @ w + sum of group terms) by penalised maximum likelihood."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)  # (n, k); k may be 0
    n, k = x.shape
    sizes = [1, k] + [gr.size for gr in groups]
    offsets = np.cumsum([0] + sizes)
    # Rows without a category point at a padding slot whose coefficient stays 0.
    idx = [np.where(gr.index < 0, gr.size, gr.index).astype(np.intp) for gr in groups]
    vals = [np.ones(n) if gr.column is None else x[:, gr.column] for gr in groups]

    def split(w: np.ndarray) -> list[np.ndarray]:
        return [w[offsets[i]:offsets[i + 1]] for i in range(len(sizes))]

    def fg(w: np.ndarray) -> tuple[float, np.ndarray]:
        parts = split(w)
        z = parts[0][0] + np.einsum("ij,j->i", x, parts[1])
        for gr, ix, val, coef in zip(groups, idx, vals, parts[2:]):
            z = z + np.append(coef, 0.0)[ix] * val
        e = np.exp(-np.abs(z))
        f = float(np.sum(np.log1p(e) + np.maximum(z, 0.0) - y * z))  # sum of log(1 + e^z) - y z
        r = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)) - y
        grad = [np.array([r.sum()]), np.einsum("ij,i->j", x, r) + dense_l2 * parts[1]]
        f += 0.5 * dense_l2 * float(parts[1] @ parts[1])
        for gr, ix, val, coef in zip(groups, idx, vals, parts[2:]):
            grad.append(np.bincount(ix, r * val, gr.size + 1)[:-1] + gr.l2 * coef)
            f += 0.5 * gr.l2 * float(coef @ coef)
        return f, np.concatenate(grad)

    diag = [np.array([0.25 * n]), 0.25 * (x * x).sum(axis=0) + dense_l2]
    for gr, ix, val in zip(groups, idx, vals):
        diag.append(0.25 * np.bincount(ix, val * val, gr.size + 1)[:-1] + gr.l2)
    scale = 1.0 / np.sqrt(np.maximum(np.concatenate(diag), 1e-6))

    w, it = _lbfgs(fg, np.zeros(offsets[-1]), scale, maxiter=maxiter)
    parts = split(w)
    return LogisticFit(float(parts[0][0]), parts[1], list(parts[2:]), it)


def predict_logistic(fit: LogisticFit, x: np.ndarray, groups: list[Group]) -> np.ndarray:
    """Probabilities for new rows (groups give their indices; -1 = unseen category)."""
    x = np.asarray(x, dtype=float)  # (n, k) as in fit_logistic
    z = fit.intercept + np.einsum("ij,j->i", x, fit.weights)
    for gr, coef in zip(groups, fit.groups):
        val = 1.0 if gr.column is None else x[:, gr.column]
        z = z + np.append(coef, 0.0)[np.where(gr.index < 0, len(coef), gr.index)] * val
    return 1.0 / (1.0 + np.exp(-z))
