"""Standard Bayesian Knowledge Tracing (prior, learn, guess, slip per skill; no forgetting),
fitted by EM with forward-backward vectorised over every (student, skill) sequence at once.

Why not pyBKT: it fits one skill at a time in Python (572 s on ASSISTments 2009 here). Here
the time loop runs over positions within sequences, and each step updates all sequences of
all skills and all random restarts together in numpy, so a full fit takes seconds. Skills are
independent in BKT, so the best restart is chosen per skill by training log-likelihood.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_EPS = 1e-6
MAX_GUESS = 0.5  # guess/slip >= 0.5 would make "knowing" predict failure: not a skill model
MAX_SLIP = 0.5


@dataclass
class BKTParams:
    prior: np.ndarray  # P(L0) per skill
    learn: np.ndarray  # P(T)
    guess: np.ndarray  # P(G)
    slip: np.ndarray  # P(S)


class _Layout:
    """Rows regrouped step-major: step t holds the t-th answer of every sequence longer than
    t, sequences ordered by decreasing length, so the active ones are always a prefix."""

    def __init__(self, seq_key: np.ndarray, skill: np.ndarray) -> None:
        n = len(seq_key)
        order = np.argsort(seq_key, kind="stable")  # rows arrive in time order per sequence
        key_sorted = seq_key[order]
        starts = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
        lengths = np.diff(np.r_[starts, n])
        pos = np.arange(n) - np.repeat(starts, lengths)
        rank_of_seq = np.empty(len(starts), dtype=np.intp)
        rank_of_seq[np.argsort(-lengths, kind="stable")] = np.arange(len(starts))
        rank = np.repeat(rank_of_seq, lengths)
        step_major = np.lexsort((rank, pos))
        self.rows = order[step_major]  # original row index for each step-major slot
        self.counts = np.bincount(pos, minlength=int(lengths.max()) if n else 0)
        self.ptr = np.r_[0, np.cumsum(self.counts)]
        self.n_seq = len(starts)
        seq_skill = np.empty(len(starts), dtype=np.intp)
        seq_skill[rank_of_seq] = skill[order[starts]]
        self.seq_skill = seq_skill  # by rank
        self.has_next = np.zeros(n, dtype=bool)  # slot is followed by another answer
        for t in range(len(self.counts) - 1):
            self.has_next[self.ptr[t]:self.ptr[t] + self.counts[t + 1]] = True


def _forward(lay: _Layout, y: np.ndarray, p: BKTParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predicted P(L) before each answer, filtered P(L) after it, and P(answer), step-major.
    Parameter arrays may carry a leading restart axis: shape (R, n_skills)."""
    sk = lay.seq_skill
    prior = np.take(p.prior, sk, axis=-1).copy()
    shape = prior.shape[:-1] + (len(y),)
    pred, post, like = np.empty(shape), np.empty(shape), np.empty(shape)
    for t, n in enumerate(lay.counts):
        sl = slice(lay.ptr[t], lay.ptr[t] + n)
        s = sk[:n]
        yy = y[sl]
        pl = prior[..., :n]
        g, sp = np.take(p.guess, s, axis=-1), np.take(p.slip, s, axis=-1)
        e_l = np.where(yy, 1.0 - sp, sp)
        e_n = np.where(yy, g, 1.0 - g)
        num = pl * e_l
        den = num + (1.0 - pl) * e_n
        a = num / den
        pred[..., sl], post[..., sl], like[..., sl] = pl, a, den
        prior[..., :n] = a + (1.0 - a) * np.take(p.learn, s, axis=-1)
    return pred, post, like


def _em_step(lay: _Layout, y: np.ndarray, skill_sm: np.ndarray, p: BKTParams, n_skills: int) -> tuple[BKTParams, np.ndarray]:
    pred, post, like = _forward(lay, y, p)
    sk = lay.seq_skill
    gamma = post.copy()  # smoothed P(L); the last answer of a sequence keeps the filtered value
    xi = np.zeros_like(post)  # P(unknown at t, known at t+1 | all)
    counts = lay.counts
    for t in range(len(counts) - 2, -1, -1):
        m = counts[t + 1]  # sequences continuing to t+1
        cur = slice(lay.ptr[t], lay.ptr[t] + m)
        nxt = slice(lay.ptr[t + 1], lay.ptr[t + 1] + m)
        a_n = 1.0 - post[..., cur]
        g_next = gamma[..., nxt]
        back = g_next * a_n * np.take(p.learn, sk[:m], axis=-1) / np.maximum(pred[..., nxt], _EPS)
        xi[..., cur] = back
        gamma[..., cur] = 1.0 - ((1.0 - g_next) + back)

    def per_skill(v: np.ndarray, idx: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        v = v if mask is None else v * mask
        rows = [np.bincount(idx, r, n_skills) for r in v.reshape(-1, v.shape[-1])]
        return np.stack(rows).reshape(v.shape[:-1] + (n_skills,))

    g_n = 1.0 - gamma
    n0 = lay.counts[0]  # every sequence's first answer sits in the first n_seq slots
    prior = per_skill(gamma[..., :n0], sk) / np.maximum(np.bincount(sk, minlength=n_skills), 1)
    has_next = lay.has_next
    learn = per_skill(xi, skill_sm, has_next) / np.maximum(per_skill(g_n, skill_sm, has_next), _EPS)
    guess = per_skill(g_n * y, skill_sm) / np.maximum(per_skill(g_n, skill_sm), _EPS)
    slip = per_skill(gamma * (1.0 - y), skill_sm) / np.maximum(per_skill(gamma, skill_sm), _EPS)
    new = BKTParams(np.clip(prior, _EPS, 1 - _EPS), np.clip(learn, _EPS, 1 - _EPS),
                    np.clip(guess, _EPS, MAX_GUESS), np.clip(slip, _EPS, MAX_SLIP))
    loglik = per_skill(np.log(like), skill_sm)
    return new, loglik


def fit_bkt(seq_key: np.ndarray, skill: np.ndarray, y: np.ndarray, n_skills: int, *,
            restarts: int = 4, iterations: int = 30, seed: int = 0) -> BKTParams:
    """Fit per-skill BKT on rows (at least one) in time order within each sequence (`seq_key` identifies a
    (student, skill) sequence). Restart 0 starts from textbook values, the rest at random."""
    lay = _Layout(seq_key, skill)
    ys = y[lay.rows].astype(float)
    skill_sm = skill[lay.rows]
    rng = np.random.default_rng(seed)
    shape = (restarts, n_skills)
    p = BKTParams(rng.uniform(0.1, 0.9, shape), rng.uniform(0.01, 0.4, shape),
                  rng.uniform(0.05, 0.4, shape), rng.uniform(0.05, 0.3, shape))
    p.prior[0], p.learn[0], p.guess[0], p.slip[0] = 0.5, 0.1, 0.2, 0.1
    loglik = np.zeros(shape)
    for _ in range(iterations):
        p, loglik = _em_step(lay, ys, skill_sm, p, n_skills)
    best = np.argmax(loglik, axis=0)
    cols = np.arange(n_skills)
    pick = BKTParams(*(v[best, cols] for v in (p.prior, p.learn, p.guess, p.slip)))
    seen = np.bincount(skill, minlength=n_skills) > 0
    for v in (pick.prior, pick.learn, pick.guess, pick.slip):  # unseen skills: the mean skill
        v[~seen] = v[seen].mean() if seen.any() else 0.3
    return pick


def predict_bkt(params: BKTParams, seq_key: np.ndarray, skill: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(correct) of each row given the earlier rows of its sequence (rows in input order)."""
    out = np.empty(len(y))
    if len(y) == 0:
        return out
    lay = _Layout(seq_key, skill)
    pred, _, _ = _forward(lay, y[lay.rows].astype(float), params)
    s = skill[lay.rows]
    out[lay.rows] = pred * (1.0 - params.slip[s]) + (1.0 - pred) * params.guess[s]
    return out
