"""A saved learner state makes a new process start faster and never changes what it computes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from desktop_app.db.models import QuestionAttempt, SyncState
from desktop_app.services import learner, learner_snapshot
from desktop_app.services.simulate import simulate

END = datetime(2026, 11, 24, 18, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def small_snapshots(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(learner_snapshot, "MIN_ATTEMPTS", 10)  # keep the test small


def _state(db, student_id):  # type: ignore[no-untyped-def]
    learner.forget()  # as a new process would
    with db.transaction() as s:
        return learner.student(s, student_id, learner.content(s)).state.to_dict()


def _full_replay(db, student_id):  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        s.execute(SyncState.__table__.delete().where(SyncState.key.like(learner_snapshot.KEY_PREFIX + "%")))
    return _state(db, student_id)


def test_snapshot_plus_later_attempts_equals_a_full_replay(db) -> None:  # type: ignore[no-untyped-def]
    report = simulate(db, student="sim", answers=40, seed=2, end=END - timedelta(days=3))
    _state(db, report.student_id)  # first use writes the snapshot
    with db.transaction() as s:
        assert s.get(SyncState, learner_snapshot.KEY_PREFIX + report.student_id) is not None
    simulate(db, student="sim", answers=15, seed=3, end=END)  # later attempts, after the snapshot
    from_snapshot = _state(db, report.student_id)
    assert from_snapshot == _full_replay(db, report.student_id)


def test_an_older_attempt_from_another_laptop_invalidates_the_snapshot(db) -> None:  # type: ignore[no-untyped-def]
    report = simulate(db, student="sim", answers=40, seed=2, end=END)
    _state(db, report.student_id)
    with db.transaction() as s:  # as if pulled: an attempt dated before the snapshot's last one
        first = s.scalars(select(QuestionAttempt).order_by(QuestionAttempt.timestamp)).first()
        s.add(QuestionAttempt(student_id=report.student_id, question_id=first.question_id, answer=first.answer,
                              is_correct=False, time_taken_seconds=9.0, timestamp=first.timestamp - timedelta(days=1)))
    with db.transaction() as s:
        assert learner_snapshot.load(s, report.student_id, fingerprint=learner.content(s).fingerprint) is None
    assert _state(db, report.student_id) == _full_replay(db, report.student_id)
