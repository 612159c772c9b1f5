"""A simulated student answering through the real services (demos, benchmarks, tests).

Every answer goes the way a real one does: the policy picks the question, the answer is
graded and recorded with its mastery update and outbox row, one transaction per answer.
Timestamps are spread over days (about `per_day` answers each day, a minute or two
apart), ending now.
"""
from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.ids import singleton_id
from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import Question, StudentProfile, User
from desktop_app.engine.simulation import SimulatedLearner
from desktop_app.engine.syllabus import QuestionInfo
from desktop_app.services import learner, practice
from desktop_app.services.passwords import hash_password


@dataclass
class SimulationReport:
    student_id: str
    answers: int = 0
    correct: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    concepts_known: int = 0
    concepts_total: int = 0


def ensure_student(session: Session, username: str, *, today: date) -> str:
    """The id of local student `username`, created (with a profile) if missing.

    A simulated student gets a random password nobody knows: it is for data, not sign-in.
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, password_hash=hash_password(secrets.token_urlsafe(16)), role="student")
        session.add(user)
        session.flush()
        session.add(StudentProfile(id=singleton_id("student_profiles", user.id), user_id=user.id, grade="Year 11", target_exam="GCSE Mathematics",
                                   exam_date=today + timedelta(days=60), available_hours_per_day=2.0))
    return user.id


def _answer_text(question: Question, correct: bool) -> str:
    if correct:
        return question.correct_answer
    if question.type == "mcq":
        return next(o for o in question.options or [] if o != question.correct_answer)
    if question.type == "true_false":
        return "false" if question.correct_answer == "true" else "true"
    return repr(float(question.correct_answer) + max(1.0, 10 * (question.tolerance or 0.0)))


def simulate(db: LocalDatabase, *, student: str, answers: int, seed: int, end: datetime | None = None,
             per_day: int = 25, progress: Callable[[int, int], None] | None = None) -> SimulationReport:
    end = end or datetime.now(timezone.utc)
    days = max(1, math.ceil(answers / per_day))
    first_day = (end - timedelta(days=days - 1)).date()
    with db.transaction() as session:
        student_id = ensure_student(session, student, today=end.date())
        syllabus = learner.content(session).syllabus
    hidden = SimulatedLearner(syllabus, seed=seed)
    report = SimulationReport(student_id=student_id, concepts_total=len(syllabus.concepts))
    previous: str | None = None
    for i in range(answers):
        day, slot = divmod(i, per_day)
        at = datetime.combine(first_day + timedelta(days=day), time(16, 0), tzinfo=timezone.utc) \
            + timedelta(seconds=slot * 90 + (seed * 7 + i * 13) % 40)
        at = min(at, end)
        with db.transaction() as session:
            choice = practice.next_question(session, student_id=student_id, now=at,
                                            previous_question_id=previous, seed=seed * 1_000_003 + i)
            if choice is None:
                break
            question = session.get(Question, choice.question.id)
            simulated = hidden.answer(_info(question), at)
            practice.submit_answer(session, student_id=student_id, question_id=question.id,
                                   answer=_answer_text(question, simulated.correct),
                                   time_taken_seconds=simulated.seconds, confidence=simulated.confidence, now=at)
        previous = question.id
        report.answers += 1
        report.correct += simulated.correct
        report.first_at = report.first_at or at
        report.last_at = at
        if progress:
            progress(i + 1, answers)
    report.concepts_known = sum(hidden.known.values())
    return report


def _info(question: Question) -> QuestionInfo:
    return QuestionInfo(id=question.id, concept_id=question.concept_id, difficulty=question.difficulty,
                        type=question.type)
