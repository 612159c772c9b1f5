"""Answering questions through the services: what is saved, what mastery says, what comes next."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import ConceptMastery, Question, QuestionAttempt, SyncOperation, User
from desktop_app.services import learner, practice
from desktop_app.services.answers import AnswerFormatError
from desktop_app.services.passwords import hash_password
from desktop_app.services.progress import recompute_mastery
from desktop_app.services.simulate import simulate

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def student(db: LocalDatabase) -> str:
    with db.transaction() as s:
        user = User(username="ann", password_hash=hash_password("correct horse"))
        s.add(user)
        s.flush()
        return user.id


def _answer(db: LocalDatabase, student: str, *, right: bool, at: datetime, previous: str | None = None):  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        nq = practice.next_question(s, student_id=student, now=at, previous_question_id=previous)
        q = s.get(Question, nq.question.id)
        if right:
            text = q.correct_answer
        elif q.type == "mcq":
            text = next(o for o in q.options if o != q.correct_answer)
        elif q.type == "true_false":
            text = "false" if q.correct_answer == "true" else "true"
        else:
            text = str(float(q.correct_answer) + 1000)
        return nq, practice.submit_answer(s, student_id=student, question_id=q.id, answer=text,
                                          time_taken_seconds=30, confidence=4, now=at)


def test_an_answer_is_saved_with_its_mastery_and_outbox_row(db: LocalDatabase, student: str) -> None:
    nq, feedback = _answer(db, student, right=True, at=NOW)
    assert nq.reason and nq.question.text
    assert feedback.is_correct and feedback.explanation and feedback.mastery_after > feedback.mastery_before
    with db.transaction() as s:
        attempt = s.get(QuestionAttempt, feedback.attempt_id)
        assert attempt.is_correct and attempt.student_id == student and attempt.confidence == 4
        mastery = s.scalar(select(ConceptMastery).where(ConceptMastery.student_id == student))
        assert mastery.total_attempts == 1 and mastery.correct_attempts == 1
        assert mastery.mastery_score == pytest.approx(feedback.mastery_after)
        ops = s.scalars(select(SyncOperation)).all()
        assert [(o.table_name, o.row_id) for o in ops] == [("question_attempts", attempt.id)]


def test_an_unreadable_answer_records_nothing(db: LocalDatabase, student: str) -> None:
    with db.transaction() as s:
        numerical = s.scalar(select(Question).where(Question.type == "numerical").limit(1))
        qid = numerical.id
    with pytest.raises(AnswerFormatError):
        with db.transaction() as s:
            practice.submit_answer(s, student_id=student, question_id=qid, answer="three", time_taken_seconds=5,
                                   confidence=None, now=NOW)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(QuestionAttempt)) == 0
        assert s.scalar(select(func.count()).select_from(SyncOperation)) == 0


def test_never_the_same_question_twice_in_a_row(db: LocalDatabase, student: str) -> None:
    previous = None
    for i in range(30):
        nq, _ = _answer(db, student, right=i % 3 != 0, at=NOW + timedelta(minutes=i), previous=previous)
        assert nq.question.id != previous
        previous = nq.question.id


def test_right_answers_raise_mastery_and_wrong_ones_lower_it(db: LocalDatabase, student: str) -> None:
    _, first = _answer(db, student, right=True, at=NOW)
    _, wrong = _answer(db, student, right=False, at=NOW + timedelta(minutes=1))
    assert first.mastery_after > first.mastery_before
    assert wrong.mastery_after <= wrong.mastery_before or wrong.concept_name != first.concept_name


def test_recomputing_from_attempts_gives_the_same_mastery(db: LocalDatabase) -> None:
    report = simulate(db, student="sim", answers=120, seed=3, end=NOW)
    with db.transaction() as s:
        before = {m.concept_id: (m.total_attempts, m.correct_attempts, m.avg_time_seconds, m.avg_confidence,
                                 m.mastery_score) for m in s.scalars(select(ConceptMastery))}
    learner.forget()  # a second device: no cached state, only the attempts
    with db.transaction() as s:
        recompute_mastery(s, student_id=report.student_id, now=NOW)
    with db.transaction() as s:
        after = {m.concept_id: (m.total_attempts, m.correct_attempts, m.avg_time_seconds, m.avg_confidence,
                                m.mastery_score) for m in s.scalars(select(ConceptMastery))}
    assert before.keys() == after.keys() and len(before) > 3
    for concept, values in before.items():
        assert after[concept] == pytest.approx(values, rel=1e-9), concept


def test_simulated_history_is_spread_over_days(db: LocalDatabase) -> None:
    report = simulate(db, student="sim", answers=80, seed=1, end=NOW, per_day=20)
    assert report.answers == 80
    with db.transaction() as s:
        days = {a.timestamp.date() for a in s.scalars(select(QuestionAttempt))}
    assert len(days) == 4 and max(days) == NOW.date()


def test_answers_recorded_in_the_same_instant_recompute_to_the_same_mastery(db: LocalDatabase, student: str) -> None:
    """Ties in time replay in the order recorded (ids count up within a millisecond)."""
    previous = None
    for i in range(6):
        nq, _ = _answer(db, student, right=i % 2 == 0, at=NOW, previous=previous)
        previous = nq.question.id
    with db.transaction() as s:
        before = {m.concept_id: m.mastery_score for m in s.scalars(select(ConceptMastery))}
    learner.forget()
    with db.transaction() as s:
        recompute_mastery(s, student_id=student, now=NOW)
    with db.transaction() as s:
        after = {m.concept_id: m.mastery_score for m in s.scalars(select(ConceptMastery))}
    assert after == pytest.approx(before, rel=1e-9)


def test_an_answer_dated_before_earlier_ones_still_recomputes_to_the_same_mastery(db: LocalDatabase, student: str) -> None:
    """A laptop clock set back: the stored mastery is what the attempts imply, in time order."""
    previous = None
    for i, minutes in enumerate((30, 40, 10, 20, 50)):
        nq, _ = _answer(db, student, right=i != 2, at=NOW + timedelta(minutes=minutes), previous=previous)
        previous = nq.question.id
    with db.transaction() as s:
        before = {m.concept_id: (m.total_attempts, m.mastery_score) for m in s.scalars(select(ConceptMastery))}
    learner.forget()
    with db.transaction() as s:
        recompute_mastery(s, student_id=student, now=NOW)
    with db.transaction() as s:
        after = {m.concept_id: (m.total_attempts, m.mastery_score) for m in s.scalars(select(ConceptMastery))}
    assert after.keys() == before.keys()
    for concept, values in before.items():
        assert after[concept] == pytest.approx(values, rel=1e-9)


def test_fitted_parameters_travel_with_the_bank(db: LocalDatabase, student: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Item difficulties fitted on many students are data in the bank, used by the engine."""
    import json

    from desktop_app.resources import SAMPLE_BANK, resource_path
    from desktop_app.services.bank_format import load_bank_file
    from desktop_app.services.setup import import_bank_file

    bank = load_bank_file(resource_path(SAMPLE_BANK))
    easy, hard = [q for q in bank["questions"] if q["concept"] == "surds"][:2]
    easy["model_params"], hard["model_params"] = {"difficulty": -2.0}, {"difficulty": 2.5}
    path = tmp_path / "fitted.json"
    path.write_text(json.dumps(bank))
    import_bank_file(db, path)
    with db.transaction() as s:
        c = learner.content(s)
        ids = {q.local_id: q.id for q in s.scalars(select(Question).where(Question.local_id.in_([easy["id"], hard["id"]])))}
        state = learner.student(s, student, c).state
        p_easy = c.model.predict(state, concept_id=c.concept_of_question[ids[easy["id"]]], question_id=ids[easy["id"]])
        p_hard = c.model.predict(state, concept_id=c.concept_of_question[ids[hard["id"]]], question_id=ids[hard["id"]])
    assert c.model.params.question_difficulty[ids[hard["id"]]] == 2.5
    assert p_easy > 0.8 > 0.3 > p_hard


def _mastery_rows(db: LocalDatabase) -> dict[str, tuple]:
    with db.transaction() as s:
        return {m.concept_id: (m.total_attempts, m.correct_attempts, m.avg_time_seconds, m.avg_confidence,
                               m.mastery_score) for m in s.scalars(select(ConceptMastery))}


def _pulled_attempt(db: LocalDatabase, student: str, *, at: datetime, right: bool) -> None:
    """An attempt written as the sync client writes pulled rows (no mastery update)."""
    from desktop_app.db.outbox import applying_remote

    with db.transaction() as s, applying_remote(s):
        q = s.scalars(select(Question).where(Question.type == "mcq").order_by(Question.id)).first()
        s.add(QuestionAttempt(student_id=student, question_id=q.id, answer=q.correct_answer if right else "x",
                              is_correct=right, time_taken_seconds=12.0, timestamp=at, hlc="", field_stamps={}))


@pytest.mark.parametrize("dated", ["later", "earlier"])
def test_recompute_after_a_pull_equals_a_full_replay(db: LocalDatabase, dated: str) -> None:
    """Newer pulled answers are folded in; an older one forces a replay; both give replay's values."""
    report = simulate(db, student="sim", answers=60, seed=4, end=NOW)
    with db.transaction() as s:
        holder = learner.student(s, report.student_id, learner.content(s))
    offset = timedelta(hours=2) if dated == "later" else -timedelta(days=2)
    for i in range(5):
        _pulled_attempt(db, report.student_id, at=NOW + offset + timedelta(minutes=i), right=i % 2 == 0)
    with db.transaction() as s:
        recompute_mastery(s, student_id=report.student_id, now=NOW)
        kept = learner.cached(s, report.student_id, learner.content(s)) is holder
    assert kept == (dated == "later")  # the incremental path kept (and advanced) the same state
    incremental = _mastery_rows(db)
    learner.forget()
    with db.transaction() as s:
        recompute_mastery(s, student_id=report.student_id, now=NOW)
    replayed = _mastery_rows(db)
    assert incremental.keys() == replayed.keys()
    for concept, values in replayed.items():
        assert incremental[concept] == pytest.approx(values, rel=1e-9), concept
