"""A teacher's question bank reaches students through the real server (PostgreSQL): published
on import, pulled on the students' next sync, used by their plans and next questions; a
corrected answer and a removed question reach them the same way, and past attempts keep the
grade they were given."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select

from desktop_app.db.ids import content_id
from desktop_app.db.models import Question, QuestionAttempt, SyncState
from desktop_app.db.outbox import CONTENT_VERSION_KEY
from desktop_app.services import learner, planning, practice
from desktop_app.services.setup import import_bank_file
from tests.sync_client.conftest import Laptop, signed_up

BANK = "teacher-fractions"


def _bank(path: Path, *, q1_answer: float, with_q2: bool, with_q3: bool) -> Path:
    questions = [{"id": "q1", "concept": "adding", "type": "numerical", "difficulty": 2, "text": "1/2 + 7/2 = ?",
                  "answer": q1_answer, "tolerance": 0, "explanation": "Add the numerators."}]
    if with_q2:
        questions.append({"id": "q2", "concept": "adding", "type": "true_false", "difficulty": 1,
                          "text": "1/3 + 1/3 = 2/3", "answer": True, "explanation": "Same denominator."})
    if with_q3:
        questions.append({"id": "q3", "concept": "adding", "type": "mcq", "difficulty": 3, "text": "1/4 + 1/4 = ?",
                          "options": ["1/8", "1/2", "2/8"], "answer": "1/2", "explanation": "2/4 is 1/2."})
    path.write_text(json.dumps({
        "format": "adaptive-learning-bank/1", "id": BANK, "title": "Fractions (Ms T)", "exam": "GCSE", "version": 1,
        "topics": [{"id": "fractions", "name": "Teacher's fractions", "parent": None, "exam_weightage": 30,
                    "estimated_hours": 3}],
        "concepts": [{"id": "adding", "topic": "fractions", "name": "Adding fractions"}],
        "questions": questions}), encoding="utf-8")
    return path


def _answer(laptop: Laptop, question: str, answer: str) -> bool:
    with laptop.db.transaction() as s:
        return practice.submit_answer(s, student_id=laptop.user_id, question_id=question, answer=answer,
                                      time_taken_seconds=15.0, confidence=3, now=datetime.now(timezone.utc)).is_correct


def test_a_corrected_answer_and_a_removed_question_reach_students_without_regrading(
        live: Any, make_laptop: Any, tmp_path: Path) -> None:
    q1, q2, q3 = (content_id(BANK, "question", q) for q in ("q1", "q2", "q3"))
    concept = content_id(BANK, "concept", "adding")
    teacher = signed_up(make_laptop, live.url, "ms-t", "teacher")
    import_bank_file(teacher.db, _bank(tmp_path / "v1.json", q1_answer=4, with_q2=True, with_q3=False), publish=True)
    assert teacher.pending() > 0
    result = teacher.sync()
    assert not result.rejected and teacher.pending() == 0  # the server accepts a teacher's content

    student = signed_up(make_laptop, live.url, "sam", "student")
    student.sync()
    with student.db.transaction() as s:
        live_questions = {q.id for q in learner.content(s).syllabus.questions}
        version_before = s.get(SyncState, CONTENT_VERSION_KEY).value
    assert {q1, q2} <= live_questions
    student.edit_profile(hours_per_day=3.0)  # the plan covers the teacher's topic
    with student.db.transaction() as s:
        plan = planning.replan(s, student_id=student.user_id, today=date.today())
    assert content_id(BANK, "topic", "fractions") in {i.topic_id for d in plan.days for i in d.items}
    assert _answer(student, q1, "4") is True  # right under the first version of the bank
    assert _answer(student, q2, "true") is True
    assert _answer(student, q1, "5") is False
    student.sync()

    # The teacher corrects q1 (the answer is 5 after all), drops q2 and adds q3.
    import_bank_file(teacher.db, _bank(tmp_path / "v2.json", q1_answer=5, with_q2=False, with_q3=True), publish=True)
    assert not teacher.sync().rejected
    assert student.sync().pulled > 0

    with student.db.transaction() as s:
        assert s.get(SyncState, CONTENT_VERSION_KEY).value != version_before  # caches rebuilt after the pull
        content = learner.content(s)
        live_questions = {q.id for q in content.syllabus.questions}
        assert q3 in live_questions and q2 not in live_questions and q1 in live_questions
        assert s.get(Question, q2).deleted  # a tombstone, not a deletion
        attempts = s.execute(select(QuestionAttempt.question_id, QuestionAttempt.answer, QuestionAttempt.is_correct)
                             .where(QuestionAttempt.student_id == student.user_id,
                                    QuestionAttempt.question_id.in_([q1, q2]))
                             .order_by(QuestionAttempt.timestamp)).all()
        # Past attempts are kept and keep the grade they were given under the old answer.
        assert [(q, c) for q, _, c in attempts] == [(q1, True), (q2, True), (q1, False)]
        # The removed question is never asked again, however often the engine chooses.
        chosen = {practice.next_question(s, student_id=student.user_id, now=datetime.now(timezone.utc),
                                         focus_concept_id=concept, seed=seed).question.id for seed in range(25)}
        assert q2 not in chosen and chosen <= {q1, q3}
    assert _answer(student, q1, "4") is False  # new answers are graded against the correction
    assert _answer(student, q1, "5") is True
    student.sync()
    with student.db.transaction() as s:
        grades = s.scalars(select(QuestionAttempt.is_correct).where(QuestionAttempt.question_id == q1)
                           .order_by(QuestionAttempt.timestamp)).all()
    assert grades == [True, False, False, True]
    # The server holds the same grades (nothing was re-graded on the way).
    rows = live.sql("SELECT is_correct FROM question_attempts WHERE question_id = %s ORDER BY timestamp", (q1,))
    assert [r[0] for r in rows] == grades
