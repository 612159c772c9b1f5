"""Every write to a synced table queues its operation in the same SQLite transaction.

The hook lives in desktop_app/db/outbox.py; the sync client relies on it, so it is checked
here for every table of SYNCED_MODELS: insert, update and tombstone each queue one op with
the written fields and the row's new stamp; a rolled-back transaction keeps neither.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import (SYNCED_MODELS, Concept, Question, QuestionAttempt, SchoolClass, StudentProfile,
                                   StudyPlan, SyncOperation, Topic, TopicPrerequisite, User)
from desktop_app.db.outbox import applying_remote
from desktop_app.db.serialize import device_fields


def _user(s: Any, role: str = "student") -> User:
    user = User(username=f"u{len(s.scalars(select(User)).all())}", password_hash="!", role=role)
    s.add(user)
    s.flush()
    return user


def _topic(s: Any) -> Topic:
    topic = Topic(bank_id="b", local_id=f"t{len(s.scalars(select(Topic)).all())}", name="Topic")
    s.add(topic)
    s.flush()
    return topic


def _question(s: Any) -> Question:
    concept = Concept(topic_id=_topic(s).id, local_id="c", name="Concept")
    s.add(concept)
    s.flush()
    q = Question(concept_id=concept.id, local_id="q", type="true_false", text="?", correct_answer="true")
    s.add(q)
    s.flush()
    return q


# table -> (make a new row, the field to edit, its new value)
FACTORIES: dict[str, tuple[Callable[[Any], Any], str, Any]] = {
    "student_profiles": (lambda s: StudentProfile(user_id=_user(s).id, target_exam="GCSE"), "target_exam", "A-level"),
    "classes": (lambda s: SchoolClass(name="11B", teacher_id=_user(s, "teacher").id, join_code="ABC123"), "name", "11C"),
    "topics": (lambda s: Topic(bank_id="b", local_id="x", name="Algebra"), "name", "Algebra I"),
    "topic_prerequisites": (lambda s: TopicPrerequisite(topic_id=_topic(s).id, prerequisite_id=_topic(s).id),
                            "prerequisite_id", None),
    "concepts": (lambda s: Concept(topic_id=_topic(s).id, local_id="c", name="Fractions"), "name", "Fractions I"),
    "questions": (lambda s: Question(concept_id=_question(s).concept_id, local_id="q2", type="numerical", text="1+1",
                                     correct_answer="2"), "text", "2+0"),
    "question_attempts": (lambda s: QuestionAttempt(student_id=_user(s).id, question_id=_question(s).id, answer="true",
                                                    is_correct=True, timestamp=datetime.now(timezone.utc)),
                          "confidence", 4),
    "study_plans": (lambda s: StudyPlan(student_id=_user(s).id, plan={"days": []}), "statement", "Cut: Vectors"),
}


def test_every_synced_table_has_a_factory() -> None:
    assert set(FACTORIES) == set(SYNCED_MODELS)


def _ops(db: LocalDatabase, table: str, row_id: str) -> list[SyncOperation]:
    with db.transaction() as s:
        return list(s.scalars(select(SyncOperation).where(SyncOperation.table_name == table,
                                                          SyncOperation.row_id == row_id)
                              .order_by(SyncOperation.hlc)))


@pytest.mark.parametrize("table", sorted(SYNCED_MODELS))
def test_insert_update_and_tombstone_queue_one_op_each(local_db: LocalDatabase, table: str) -> None:
    make, name, value = FACTORIES[table]
    with local_db.transaction() as s:
        row = make(s)
        s.add(row)
        s.flush()
        row_id = row.id
    if value is None:  # a reference: point it at another new row of the same kind
        with local_db.transaction() as s:
            value = _topic(s).id
    with local_db.transaction() as s:
        setattr(s.get(SYNCED_MODELS[table], row_id), name, value)
    with local_db.transaction() as s:
        s.get(SYNCED_MODELS[table], row_id).deleted = True
    ops = _ops(local_db, table, row_id)
    assert [op.operation for op in ops] == ["insert", "update", "delete"]
    assert set(ops[0].payload) == set(device_fields(SYNCED_MODELS[table]))  # class_id is the server's
    assert set(ops[1].payload) == {name} and set(ops[2].payload) == {"deleted"}
    with local_db.transaction() as s:
        stored = s.get(SYNCED_MODELS[table], row_id)
        assert stored.field_stamps[name] == ops[1].hlc and stored.field_stamps["deleted"] == ops[2].hlc
        assert stored.hlc == ops[2].hlc
    assert all(op.status == "pending" for op in ops)


@pytest.mark.parametrize("table", sorted(SYNCED_MODELS))
def test_a_rolled_back_write_leaves_no_op(local_db: LocalDatabase, table: str) -> None:
    make = FACTORIES[table][0]
    with pytest.raises(RuntimeError), local_db.transaction() as s:
        row = make(s)
        s.add(row)
        s.flush()
        raise RuntimeError("crash before commit")
    with local_db.transaction() as s:
        assert s.scalars(select(SyncOperation).where(SyncOperation.table_name == table)).all() == []
        assert s.scalars(select(SYNCED_MODELS[table])).all() == []


def test_rows_written_while_applying_remote_changes_are_not_queued(local_db: LocalDatabase) -> None:
    with local_db.transaction() as s, applying_remote(s):
        s.add(Topic(id="t-remote", bank_id="b", local_id="r", name="From the server", hlc="x",
                    field_stamps={"name": "000000000000001:000000:server"}))
    with local_db.transaction() as s:
        assert s.scalars(select(SyncOperation)).all() == []
        assert s.get(Topic, "t-remote").field_stamps == {"name": "000000000000001:000000:server"}


def test_an_attempt_records_the_laptop_it_was_made_on(local_db: LocalDatabase) -> None:
    with local_db.transaction() as s:
        attempt = QuestionAttempt(student_id=_user(s).id, question_id=_question(s).id, answer="1", is_correct=True)
        s.add(attempt)
        s.flush()
        row_id = attempt.id
    (op,) = _ops(local_db, "question_attempts", row_id)
    assert op.payload["device_id"] == local_db.device_id  # pull's skip_device relies on it
