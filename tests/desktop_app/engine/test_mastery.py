"""The mastery model as a user of the app would check it: pure logic, no Qt, no database."""
from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta, timezone

import pytest

from desktop_app.engine.mastery import (
    FEATURES,
    MasteryModel,
    ModelParams,
    Response,
    StudentState,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def model() -> MasteryModel:
    return MasteryModel()


def answers(model: MasteryModel, pattern: str, *, concept: str = "c1", start: datetime | None = None,
            step: timedelta = timedelta(minutes=1), state: StudentState | None = None) -> StudentState:
    """Apply answers given as a string of 1 (right) and 0 (wrong), one question each."""
    state = state or model.new_state()
    for i, ch in enumerate(pattern):
        at = None if start is None else start + i * step
        model.update(state, Response(concept, f"{concept}-q{i}", ch == "1", at=at))
    return state


def _scores(model: MasteryModel, *, correct: bool, n: int) -> list[float]:
    """Mastery of c1 before and after each of `n` answers, all right or all wrong."""
    state = model.new_state()
    scores = [model.mastery(state, "c1")]
    for _ in range(n):
        model.update(state, Response("c1", "q", correct))
        scores.append(model.mastery(state, "c1"))
    return scores


def test_more_correct_answers_give_higher_mastery(model: MasteryModel) -> None:
    scores = _scores(model, correct=True, n=30)
    assert all(b > a for a, b in zip(scores, scores[1:]))
    assert scores[-1] > 90.0


def test_wrong_answers_lower_mastery_and_right_beats_wrong(model: MasteryModel) -> None:
    scores = _scores(model, correct=False, n=20)
    assert all(b <= a for a, b in zip(scores, scores[1:]))
    assert model.mastery(answers(model, "1110"), "c1") > model.mastery(answers(model, "1100"), "c1")


def test_predictions_stay_strictly_between_0_and_1(model: MasteryModel) -> None:
    for pattern in ("", "1" * 500, "0" * 500):
        state = answers(model, pattern)
        for difficulty in (None, 1, 5):
            p = model.predict(state, concept_id="c1", question_id="new", difficulty=difficulty)
            assert 0.0 < p < 1.0
        assert 0.0 <= model.mastery(state, "c1") < 100.0


def test_works_without_timestamps_or_question_parameters(model: MasteryModel) -> None:
    state = answers(model, "1011")
    # No time known: no forgetting assumed, whatever "now" is.
    later = T0 + timedelta(days=300)
    assert model.mastery(state, "c1", later) == model.mastery(state, "c1")
    assert model.recall(state, "c1", later) == 1.0
    # Stated difficulty orders predictions when nothing was fitted.
    easy = model.predict(state, concept_id="c1", question_id="unfitted", difficulty=1)
    hard = model.predict(state, concept_id="c1", question_id="unfitted", difficulty=5)
    assert easy > hard


def test_fitted_difficulty_overrides_stated_difficulty() -> None:
    params = ModelParams.default()
    params.question_difficulty["q-hard"] = 2.0
    model = MasteryModel(params)
    state = model.new_state()
    assert model.predict(state, concept_id="c", question_id="q-hard", difficulty=1) < \
        model.predict(state, concept_id="c", question_id="q-other", difficulty=5)


def test_forgetting_lowers_recall_and_mastery_without_new_evidence(model: MasteryModel) -> None:
    state = answers(model, "11111", start=T0)
    last = T0 + timedelta(minutes=4)
    recalls = [model.recall(state, "c1", last + timedelta(days=d)) for d in (0, 1, 3, 10, 60)]
    assert recalls[0] == pytest.approx(1.0)
    assert all(b < a for a, b in zip(recalls, recalls[1:]))
    assert model.mastery(state, "c1", last + timedelta(days=30)) < model.mastery(state, "c1", last)
    # Forgetting erodes what was gained, never below what a fresh start would predict.
    assert model.mastery(state, "c1", last + timedelta(days=3650)) >= \
        model.mastery(model.new_state(), "c1") - 1e-9
    assert model.recall(state, "never-practised", last) == 0.0


def test_spaced_practice_is_remembered_longer_than_massed(model: MasteryModel) -> None:
    massed = answers(model, "11111", start=T0, step=timedelta(minutes=1))
    spaced = answers(model, "11111", start=T0, step=timedelta(days=2))
    assert spaced.concepts["c1"].half_life_days > massed.concepts["c1"].half_life_days
    check = T0 + timedelta(days=20)
    assert model.recall(spaced, "c1", check) > model.recall(massed, "c1", check)


def test_replay_equals_incremental_updates_whatever_the_input_order(model: MasteryModel) -> None:
    rng = random.Random(7)
    responses = [
        Response(f"c{rng.randrange(3)}", f"q{rng.randrange(20)}", rng.random() < 0.6,
                 at=T0 + timedelta(hours=i), time_seconds=rng.choice([None, 5.0, 40.0]),
                 confidence=rng.choice([None, 1, 3, 5]), difficulty=rng.choice([None, 2, 4]))
        for i in range(60)
    ]
    incremental = model.new_state()
    for r in responses:
        model.update(incremental, r)
    shuffled = responses[:]
    rng.shuffle(shuffled)
    replayed = model.replay(shuffled)
    assert replayed == incremental
    now = T0 + timedelta(days=5)
    for c in ("c0", "c1", "c2"):
        assert model.mastery(replayed, c, now) == model.mastery(incremental, c, now)
        assert model.predict(replayed, concept_id=c, question_id="q1", now=now) == \
            model.predict(incremental, concept_id=c, question_id="q1", now=now)


def test_replay_without_timestamps_keeps_the_given_order(model: MasteryModel) -> None:
    rs = [Response("c", "q1", True), Response("c", "q2", True), Response("c", "q3", False)]
    state = model.new_state()
    for r in rs:
        model.update(state, r)
    assert model.replay(rs) == state
    assert model.replay(list(reversed(rs))) != state  # order matters and is the caller's


def test_state_and_params_survive_a_json_round_trip(model: MasteryModel) -> None:
    state = answers(model, "1101", start=T0)
    model.update(state, Response("c2", "x", False, at=T0, time_seconds=12.5, confidence=5))
    restored = StudentState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    newer = state.to_dict() | {"written_by": "a newer app"}
    newer["concepts"]["c1"]["new_field"] = 1
    assert StudentState.from_dict(newer) == state
    params = ModelParams.default()
    params.concept_weights["c1"] = {"concept_successes": 0.2}
    params.question_difficulty["q"] = 0.5
    again = ModelParams.from_dict(json.loads(json.dumps(params.to_dict())))
    assert again == params
    assert MasteryModel(again).predict(restored, concept_id="c1", question_id="q") == \
        MasteryModel(params).predict(state, concept_id="c1", question_id="q")


def test_confidence_and_time_adjust_evidence_modestly(model: MasteryModel) -> None:
    base = answers(model, "10")

    def after(r: Response) -> float:
        state = StudentState.from_dict(base.to_dict())
        model.update(state, r)
        return model.mastery(state, "c1")

    plain_wrong = after(Response("c1", "q", False))
    confident_wrong = after(Response("c1", "q", False, confidence=5))
    assert confident_wrong < plain_wrong  # a confident error is a misconception
    assert abs(confident_wrong - plain_wrong) < 5.0  # ... but only a nudge
    assert after(Response("c1", "q", True, confidence=5)) > after(Response("c1", "q", True, confidence=1))
    # Neutral confidence and no time change nothing: the fitted model's behaviour.
    assert after(Response("c1", "q", True, confidence=3)) == after(Response("c1", "q", True))

    timed = model.new_state()
    model.update(timed, Response("c0", "w", True, time_seconds=30.0))  # sets the student's pace
    fast, slow = StudentState.from_dict(timed.to_dict()), StudentState.from_dict(timed.to_dict())
    model.update(fast, Response("c1", "q", True, time_seconds=10.0))
    model.update(slow, Response("c1", "q", True, time_seconds=90.0))
    assert model.mastery(fast, "c1") > model.mastery(slow, "c1")

    state = model.new_state()
    model.update(state, Response("c1", "q", False, confidence=4))
    assert state.concepts["c1"].confident_errors == 1


def test_features_are_named_and_fresh_state_predicts_the_base(model: MasteryModel) -> None:
    state = model.new_state()
    x = model.features(state, concept_id="c", question_id="q")
    assert len(x) == len(FEATURES) and all(v == 0.0 for v in x)
    expected = 1.0 / (1.0 + math.exp(-model.base_logit("c", "q", 3)))
    assert model.predict(state, concept_id="c", question_id="q", difficulty=3) == pytest.approx(expected)


def test_naive_and_aware_timestamps_mix(model: MasteryModel) -> None:
    state = model.new_state()
    model.update(state, Response("c", "q", True, at=datetime(2026, 3, 1, 9, 0)))
    model.update(state, Response("c", "q", True, at=T0 + timedelta(hours=1)))
    assert 0.0 < model.recall(state, "c", datetime(2026, 3, 5)) < 1.0


def test_the_score_grows_with_demonstrated_success(model: MasteryModel) -> None:
    """One lucky answer is not mastery; a run of right answers is; a wrong one never helps."""
    state = model.new_state()
    assert model.mastery(state, "c1") == 0.0
    scores = []
    for _ in range(8):
        model.update(state, Response("c1", "q", True))
        scores.append(model.mastery(state, "c1"))
    assert scores[0] < 50.0 < scores[-1]
    assert scores == sorted(scores)
    before = model.mastery(state, "c1")
    model.update(state, Response("c1", "q", False))
    assert model.mastery(state, "c1") < before
