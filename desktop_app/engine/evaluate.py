"""Measure the mastery model against baselines on a student-response log.

    python -m desktop_app.engine.evaluate --responses FILE.csv [--seed 0]
        [--save-params PARAMS.json] [--ablations] [--no-baselines]

Input: CSV with columns user_id, seq_idx, skill_id, correct, and optionally item_id and split
(`train`/`test`), the format of ASSISTments 2009 as prepared by Gervet et al. Rows are sorted
by (user_id, seq_idx). Without a split column, students are split 80/20 by a seeded shuffle.

Protocol (the same rows for every model): fit on training students' rows only, then walk
each test student's responses in order, predicting each before it is revealed and updating
after. "ours" is the real online `MasteryModel` (predict, then update, per row), so the
numbers are those of the code the app runs. Prints one JSON object on stdout; progress and
timings go to stderr.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_app.engine.fitting import fit_params
from desktop_app.engine.knowledge_tracing import baselines
from desktop_app.engine.knowledge_tracing.bkt import fit_bkt, predict_bkt
from desktop_app.engine.knowledge_tracing.metrics import scores
from desktop_app.engine.mastery import MasteryModel, ModelParams, Response

REQUIRED = ("user_id", "seq_idx", "skill_id", "correct")
TEST_SHARE = 0.2
# Feature sets measured by --ablations, each adding to the previous one.
ABLATIONS: dict[str, tuple[str, ...]] = {
    "question+concept only": (),
    "+ concept counts (PFA + difficulty)": ("concept_successes", "concept_failures"),
    "+ total counts": ("concept_successes", "concept_failures", "total_successes", "total_failures"),
    "+ repeats, last answer": ("concept_successes", "concept_failures", "total_successes",
                               "total_failures", "question_attempts", "last_correct", "last_wrong"),
    "+ abilities (= ours)": ("concept_successes", "concept_failures", "total_successes",
                             "total_failures", "question_attempts", "last_correct", "last_wrong",
                             "concept_ability", "concept_recent", "ability", "recent_ability"),
}


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class Log:
    """A response log as parallel arrays, sorted by (user, seq_idx)."""

    user: np.ndarray  # dense student codes 0..n-1
    skill: np.ndarray  # dense skill codes
    item: np.ndarray  # dense item codes, -1 when the file has no item_id
    correct: np.ndarray  # 0/1
    train: np.ndarray  # bool
    skill_ids: list[str]
    item_ids: list[str]

    def responses(self, mask: np.ndarray) -> list[list[Response]]:
        """The masked rows as Response sequences, one per student, in order."""
        out: list[list[Response]] = []
        last = -1
        for r in np.flatnonzero(mask):
            u = self.user[r]
            if u != last:
                out.append([])
                last = u
            q = self.item[r]
            out[-1].append(Response(self.skill_ids[self.skill[r]], self.item_ids[q] if q >= 0 else "",
                                    bool(self.correct[r])))
        return out


def _sort_key(value: str) -> tuple[int, int | str]:
    """Numeric ids sort as numbers, others as text (a file may use either)."""
    try:
        return (0, int(value))
    except ValueError:
        return (1, value)


def load(path: Path, seed: int = 0) -> Log:
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise SystemExit(f"{path}: missing column(s) {', '.join(missing)}")
        has_item, has_split = "item_id" in header, "split" in header
        rows = [(_sort_key(r["user_id"]), int(r["seq_idx"]), r["skill_id"], r["item_id"] if has_item else "",
                 int(float(r["correct"])), r["split"] if has_split else "") for r in reader]
    rows.sort(key=lambda r: (r[0], r[1]))
    users = [r[0] for r in rows]
    # Dense codes follow the sorted order of rows so students stay contiguous.
    codes: dict = {}
    user = np.fromiter((codes.setdefault(u, len(codes)) for u in users), dtype=np.intp, count=len(rows))
    skill_ids = sorted({r[2] for r in rows}, key=_sort_key)
    item_ids = sorted({r[3] for r in rows if r[3] != ""}, key=_sort_key)
    s_index = {s: i for i, s in enumerate(skill_ids)}
    i_index = {q: i for i, q in enumerate(item_ids)}
    skill = np.fromiter((s_index[r[2]] for r in rows), dtype=np.intp, count=len(rows))
    item = np.fromiter((i_index.get(r[3], -1) for r in rows), dtype=np.intp, count=len(rows))
    correct = np.fromiter((r[4] for r in rows), dtype=np.int8, count=len(rows))
    if has_split:
        labels = {r[5] for r in rows}
        if not labels <= {"train", "test"}:
            raise SystemExit(f"{path}: split must be 'train' or 'test', found {sorted(labels - {'train', 'test'})}")
        train = np.fromiter((r[5] == "train" for r in rows), dtype=bool, count=len(rows))
    else:
        n_users = len(codes)
        n_test = 0 if n_users < 2 else max(1, round(TEST_SHARE * n_users))
        test_users = np.random.default_rng(seed).permutation(n_users)[:n_test]
        train = ~np.isin(user, test_users)
    return Log(user, skill, item, correct, train, skill_ids, item_ids)


def walk(model: MasteryModel, sequences: Sequence[Sequence[Response]]) -> np.ndarray:
    """Predict each response before revealing it, then update: the app's online loop."""
    out: list[float] = []
    for seq in sequences:
        state = model.new_state()
        for r in seq:
            out.append(model.predict(state, concept_id=r.concept_id, question_id=r.question_id))
            model.update(state, r)
    return np.asarray(out, dtype=float)


def _clean(block: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in block.items()}


def evaluate(log: Log, *, seed: int = 0, save_params: Path | None = None,
             ablations: bool = False, run_baselines: bool = True) -> dict:
    train_seq = log.responses(log.train)
    test_seq = log.responses(~log.train)
    y_test = log.correct[~log.train].astype(float)
    _log(f"{int(log.train.sum())} training rows ({len(train_seq)} students), "
         f"{len(y_test)} test rows ({len(test_seq)} students)")
    models: dict[str, dict] = {}
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    params = fit_params(train_seq) if train_seq else ModelParams.default()
    timings["ours_fit_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    models["ours"] = scores(y_test, walk(MasteryModel(params), test_seq))
    timings["ours_eval_s"] = time.perf_counter() - t1
    _log(f"ours: fit {timings['ours_fit_s']:.1f}s, online walk {timings['ours_eval_s']:.1f}s, "
         f"AUC {models['ours']['auc']:.4f}")
    if save_params is not None:
        save_params.write_text(json.dumps(params.to_dict()))

    if run_baselines:
        t2 = time.perf_counter()
        n_skills = len(log.skill_ids)
        key = log.user.astype(np.int64) * max(n_skills, 1) + log.skill
        tr, te = log.train, ~log.train
        y = log.correct.astype(float)
        means = baselines.skill_means(log.skill[tr], y[tr], n_skills)
        models["running_accuracy"] = scores(y_test, baselines.running_accuracy(key[te], log.skill[te], y[te], means))
        if tr.any():
            bkt = fit_bkt(key[tr], log.skill[tr], log.correct[tr], n_skills, seed=seed)
            models["bkt"] = scores(y_test, predict_bkt(bkt, key[te], log.skill[te], log.correct[te]))
            models["pfa"] = scores(y_test, baselines.pfa((key[tr], log.skill[tr], y[tr]),
                                                         (key[te], log.skill[te], y[te]), n_skills))
        timings["baselines_s"] = time.perf_counter() - t2
        _log(f"baselines: {timings['baselines_s']:.1f}s")

    result: dict = {"dataset": None, "n_test_responses": int(len(y_test)),
                    "models": {k: _clean(v) for k, v in models.items()}}
    if ablations and train_seq:
        result["ablations"] = {}
        for name, feats in ABLATIONS.items():
            p = fit_params(train_seq, features=feats)
            result["ablations"][name] = _clean(scores(y_test, walk(MasteryModel(p), test_seq)))
            _log(f"ablation {name}: AUC {result['ablations'][name]['auc']}")
    result["timings_s"] = {k: round(v, 2) for k, v in timings.items()}
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m desktop_app.engine.evaluate", description=__doc__.split("\n")[0])
    ap.add_argument("--responses", type=Path, required=True, help="response log CSV")
    ap.add_argument("--seed", type=int, default=0, help="seed of the 80/20 student split when the file has none")
    ap.add_argument("--save-params", type=Path, help="write the fitted ModelParams as JSON")
    ap.add_argument("--ablations", action="store_true", help="also fit and score smaller feature sets")
    ap.add_argument("--no-baselines", action="store_true", help="score our model only")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    log = load(args.responses, args.seed)
    _log(f"loaded {len(log.correct)} rows in {time.perf_counter() - t0:.1f}s")
    result = evaluate(log, seed=args.seed, save_params=args.save_params, ablations=args.ablations,
                      run_baselines=not args.no_baselines)
    result["dataset"] = args.responses.name
    result["timings_s"]["total_s"] = round(time.perf_counter() - t0, 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
