"""Fit `ModelParams` for the mastery model from answer logs (offline; numpy).

Training features are computed by the online model itself (`MasteryModel.features` and
`update`, replayed over each training student), so the fitted weights apply to exactly the
inputs the app computes: there is no second implementation to drift.

The ability features are residuals against the model's own base prediction (intercept +
concept + question difficulty), so the fit is a short fixed-point iteration: fit the base
alone, compute the features with it, fit everything, recompute the features with the new
base, fit again. On ASSISTments 2009 two rounds reach the fixed point to 1e-3 AUC.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

from desktop_app.engine.knowledge_tracing.logistic import Group, LogisticFit, fit_logistic
from desktop_app.engine.mastery import FEATURES, PER_CONCEPT, MasteryModel, ModelParams, Response

ABILITY_FEATURES = ("concept_ability", "concept_recent", "ability", "recent_ability")


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def collect_features(model: MasteryModel, sequences: Sequence[Sequence[Response]]) -> np.ndarray:
    """Feature rows (len(FEATURES) columns), each taken before its answer is revealed."""
    rows: list[list[float]] = []
    append, features, update = rows.append, model.features, model.update
    for seq in sequences:
        state = model.new_state()
        for r in seq:
            append(features(state, concept_id=r.concept_id, question_id=r.question_id))
            update(state, r)
    return np.asarray(rows, dtype=float).reshape(len(rows), len(FEATURES))


def fit_params(
    sequences: Sequence[Sequence[Response]],
    *,
    features: Sequence[str] = FEATURES,
    rounds: int = 2,
    question_l2: float = 1.0,
    concept_l2: float = 0.01,
    slope_l2: float = 10.0,
    monotone: bool = True,
    template: ModelParams | None = None,
    log: Callable[[str], None] = _stderr,
) -> ModelParams:
    """Fit on training students' answers, each sequence in the order given.

    `features` selects a subset of FEATURES (others get weight 0), for ablations.
    `question_l2` shrinks rarely seen questions towards their concept's difficulty;
    `slope_l2` shrinks per-concept slopes towards the shared ones; `monotone` then clips
    them (see `make_monotone`). Hyperparameters of the
    features themselves (priors, memories) and forgetting constants come from `template`.
    """
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown features: {sorted(unknown)}")
    template = template or ModelParams()
    flat = [r for seq in sequences for r in seq]
    if not flat:
        raise ValueError("no training responses")
    concepts = sorted({r.concept_id for r in flat})
    questions = sorted({r.question_id for r in flat if r.question_id})
    c_index = {c: i for i, c in enumerate(concepts)}
    q_index = {q: i for i, q in enumerate(questions)}
    y = np.fromiter((r.correct for r in flat), dtype=float, count=len(flat))
    ci = np.fromiter((c_index[r.concept_id] for r in flat), dtype=np.intp, count=len(flat))
    qi = np.fromiter((q_index.get(r.question_id, -1) for r in flat), dtype=np.intp, count=len(flat))
    base_groups = [Group(ci, len(concepts), concept_l2)]
    if questions:
        base_groups.append(Group(qi, len(questions), question_l2))

    chosen = [FEATURES.index(f) for f in features]
    slopes = [j for j, f in enumerate(features) if f in PER_CONCEPT]
    groups = base_groups + [Group(ci, len(concepts), slope_l2, column=j) for j in slopes]

    t0 = time.perf_counter()
    fit = fit_logistic(y, np.zeros((len(y), 0)), base_groups)
    params = _to_params(template, fit, [], [], concepts, questions)
    log(f"fit: base (intercept, {len(concepts)} concepts, {len(questions)} questions) "
        f"{fit.iterations} it, {time.perf_counter() - t0:.1f}s")
    if not chosen:
        return params
    if not set(features) & set(ABILITY_FEATURES):
        rounds = 1  # nothing depends on the base: one round is the fixed point
    for rnd in range(1, rounds + 1):
        t1 = time.perf_counter()
        x = collect_features(MasteryModel(params), sequences)[:, chosen]
        t2 = time.perf_counter()
        fit = fit_logistic(y, x, groups)
        params = _to_params(template, fit, list(features), [features[j] for j in slopes],
                            concepts, questions)
        if monotone:
            params = make_monotone(params)
        log(f"fit: round {rnd}: features {t2 - t1:.1f}s, L-BFGS {fit.iterations} it "
            f"{time.perf_counter() - t2:.1f}s")
    return params


def make_monotone(params: ModelParams) -> ModelParams:
    """Clip per-concept count slopes so the count terms move mastery the way the answer went:
    each success on a concept adds >= 0 (slope >= 0), each failure adds <= 0 (slope <= 0).

    Why: the data show a practice effect (a failed attempt, usually followed by hints, still
    raises the next success rate), and noisy concepts fit slopes of either sign. A student
    whose mastery drops after a right answer, or rises after a wrong one, stops trusting the
    score; on ASSISTments 2009 the clipping costs about 0.001 AUC (README table).
    """
    d = params.to_dict()
    w = d["weights"]
    for name, clip in (("concept_successes", max), ("concept_failures", min)):
        if name not in w:
            continue
        shared = w[name]
        w[name] = clip(shared, 0.0)  # what a concept without its own slope gets
        for dev in d["concept_weights"].values():
            if name in dev:
                dev[name] = clip(shared + dev[name], 0.0) - w[name]
    return ModelParams.from_dict(d)


def _to_params(template: ModelParams, fit: LogisticFit, names: list[str], slope_names: list[str],
               concepts: list[str], questions: list[str]) -> ModelParams:
    """Turn coefficient arrays into id-keyed JSON-able parameters (question difficulty is the
    negated offset: higher = harder)."""
    d = template.to_dict()
    d["intercept"] = fit.intercept
    d["weights"] = {name: float(w) for name, w in zip(names, fit.weights)}
    d["concept_intercepts"] = {c: float(a) for c, a in zip(concepts, fit.groups[0])}
    offset = 1
    d["question_difficulty"] = {}
    if questions:
        d["question_difficulty"] = {q: float(-b) for q, b in zip(questions, fit.groups[1])}
        offset = 2
    slopes = fit.groups[offset:offset + len(slope_names)]
    d["concept_weights"] = {
        c: {name: float(s[i]) for name, s in zip(slope_names, slopes)} for i, c in enumerate(concepts)
    } if slope_names else {}
    d["source"] = f"fitted on {len(concepts)} concepts, {len(questions)} questions"
    return ModelParams.from_dict(d)
