"""The evaluation tool on small synthetic response logs written into tmp_path.

The synthetic population has real structure (student ability, skill and item difficulty,
learning with practice), so a model that uses it must beat chance; no research data is used.
"""
from __future__ import annotations

import csv
import itertools
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from desktop_app.engine import evaluate
from desktop_app.engine.fitting import collect_features, fit_params
from desktop_app.engine.knowledge_tracing.metrics import auc
from desktop_app.engine.mastery import FEATURES, PER_CONCEPT, MasteryModel

MODELS = {"ours", "running_accuracy", "bkt", "pfa"}


def write_log(path: Path, *, students: int = 150, length: int = 40, with_split: bool = True,
              with_items: bool = True, seed: int = 1) -> int:
    """Write a synthetic log; return the number of test rows (when split)."""
    rng = random.Random(seed)
    skills = {s: rng.gauss(0.0, 1.0) for s in range(6)}
    items = {i: (i % 6, rng.gauss(0.0, 0.8)) for i in range(60)}
    n_test = 0
    with path.open("w", newline="") as fh:
        cols = ["user_id", "seq_idx"] + (["item_id"] if with_items else []) + ["skill_id", "correct"]
        cols += ["split"] if with_split else []
        out = csv.writer(fh)
        out.writerow(cols)
        rows = []
        for u in range(students):
            ability, practice = rng.gauss(0.0, 1.0), {s: 0 for s in skills}
            split = "test" if u % 5 == 0 else "train"
            skill = rng.randrange(6)
            for t in range(length):
                if rng.random() < 0.3:
                    skill = rng.randrange(6)
                item = rng.choice([i for i, (s, _) in items.items() if s == skill])
                z = ability - skills[skill] - items[item][1] + 0.6 * math.log1p(practice[skill])
                correct = int(rng.random() < 1.0 / (1.0 + math.exp(-z)))
                practice[skill] += 1
                row = [u, t] + ([item] if with_items else []) + [skill, correct]
                rows.append(row + ([split] if with_split else []))
                n_test += split == "test"
        rng.shuffle(rows)  # the tool must sort by (user_id, seq_idx) itself
        out.writerows(rows)
    return n_test


def run(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    assert evaluate.main(["--responses", str(path), *extra]) == 0
    out = capsys.readouterr().out
    return json.loads(out)  # exactly one JSON object on stdout


def check_shape(result: dict, name: str) -> None:
    assert result["dataset"] == name
    assert set(result["models"]) == MODELS
    for block in result["models"].values():
        assert set(block) == {"auc", "rmse", "logloss", "n"}
        assert block["n"] == result["n_test_responses"]


def test_with_split_and_items_beats_chance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "log.csv"
    n_test = write_log(path)
    params_file = tmp_path / "params.json"
    result = run(path, capsys, "--save-params", str(params_file))
    check_shape(result, "log.csv")
    assert result["n_test_responses"] == n_test
    models = result["models"]
    assert models["ours"]["auc"] > 0.65
    assert models["ours"]["auc"] > models["running_accuracy"]["auc"]
    for name in MODELS:
        assert models[name]["auc"] > 0.55, name
        assert 0.0 < models[name]["rmse"] < 0.5
    saved = json.loads(params_file.read_text())
    assert saved["question_difficulty"] and saved["concept_intercepts"]


def test_without_split_or_items_splits_students_by_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plain.csv"
    write_log(path, with_split=False, with_items=False)
    first = run(path, capsys, "--seed", "3", "--no-baselines")
    assert set(first["models"]) == {"ours"}
    assert first["n_test_responses"] == 30 * 40  # 20% of 150 students
    assert first["models"]["ours"]["auc"] > 0.6
    again = run(path, capsys, "--seed", "3")
    check_shape(again, "plain.csv")
    assert again["models"]["ours"] == first["models"]["ours"]


def test_tiny_file_and_unseen_skills_fall_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tiny.csv"
    path.write_text("user_id,seq_idx,item_id,skill_id,correct,split\n"
                    "1,0,10,5,1,train\n1,1,11,5,0,train\n"
                    "2,0,12,7,1,test\n2,1,10,5,0,test\n2,2,13,8,1,test\n")
    result = run(path, capsys)
    check_shape(result, "tiny.csv")
    assert result["n_test_responses"] == 3
    for block in result["models"].values():
        assert block["auc"] is None or 0.0 <= block["auc"] <= 1.0


def test_missing_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("user_id,skill_id,correct\n1,1,1\n")
    with pytest.raises(SystemExit, match="seq_idx"):
        evaluate.main(["--responses", str(path)])


def test_fitted_logistic_and_online_model_are_the_same_function(tmp_path: Path) -> None:
    """The numpy logit over the training features equals the app's online prediction."""
    path = tmp_path / "log.csv"
    write_log(path, students=60)
    log = evaluate.load(path)
    seqs = log.responses(log.train)
    params = fit_params(seqs, log=lambda _: None)
    model = MasteryModel(params)
    x = collect_features(model, seqs)
    flat = [r for s in seqs for r in s]
    w = np.array([params.weights.get(f, 0.0) for f in FEATURES])
    z = params.intercept + x @ w
    for j, name in enumerate(FEATURES):
        if name in PER_CONCEPT:
            z += x[:, j] * np.array([params.concept_weights.get(r.concept_id, {}).get(name, 0.0) for r in flat])
    z += np.array([params.concept_intercepts.get(r.concept_id, 0.0)
                   - params.question_difficulty.get(r.question_id, 0.0) for r in flat])
    online = evaluate.walk(model, seqs)
    assert np.allclose(1.0 / (1.0 + np.exp(-z)), online, rtol=0, atol=1e-12)


def test_auc_matches_pair_counting() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.round(rng.random(200), 1)  # many ties
    pairs = [(a, b) for a, b in itertools.product(range(200), repeat=2) if y[a] == 1 and y[b] == 0]
    expected = sum(1.0 if p[a] > p[b] else 0.5 if p[a] == p[b] else 0.0 for a, b in pairs) / len(pairs)
    assert auc(y, p) == pytest.approx(expected)


def test_bkt_em_climbs_the_likelihood_and_recovers_parameters() -> None:
    """Data drawn from known BKT parameters: each EM step must not lower the likelihood
    (a check on the vectorised forward-backward), and the fit lands near the truth."""
    from desktop_app.engine.knowledge_tracing.bkt import BKTParams, _em_step, _Layout, fit_bkt

    rng = np.random.default_rng(0)
    truth = {"prior": 0.2, "learn": 0.15, "guess": 0.2, "slip": 0.1}
    keys, skills, ys = [], [], []
    for seq in range(1500):
        known = rng.random() < truth["prior"]
        for _ in range(int(rng.integers(2, 15))):
            p = 1 - truth["slip"] if known else truth["guess"]
            keys.append(seq); skills.append(seq % 2); ys.append(int(rng.random() < p))
            known = known or rng.random() < truth["learn"]
    key, skill, y = np.array(keys), np.array(skills), np.array(ys)
    lay = _Layout(key, skill)
    params = BKTParams(*(np.full((1, 2), v) for v in (0.5, 0.3, 0.3, 0.2)))
    previous = -np.inf
    for _ in range(15):
        params, loglik = _em_step(lay, y[lay.rows].astype(float), skill[lay.rows], params, 2)
        assert loglik.sum() >= previous - 1e-6
        previous = loglik.sum()
    fitted = fit_bkt(key, skill, y, 2, iterations=60)
    for name, value in truth.items():
        assert np.allclose(getattr(fitted, name), value, atol=0.08), name
