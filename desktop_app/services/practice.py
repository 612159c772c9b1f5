"""Practice use-cases: which question next, and answering it.

Both take the caller's session (one transaction per call, owned by the caller) and return
plain dataclasses, so the GUI's worker thread never hands ORM objects to widgets.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.models import Concept, Question, QuestionAttempt, Topic
from desktop_app.engine.input_errors import EmptySyllabusError
from desktop_app.services import learner
from desktop_app.services.answers import Comma, grade
from desktop_app.services.progress import record_attempt

RECENT = 5  # questions the policy avoids repeating


@dataclass(frozen=True)
class QuestionView:
    id: str
    concept_id: str
    concept_name: str
    topic_name: str
    type: str  # "mcq" | "numerical" | "true_false"
    text: str
    options: list[str] | None
    difficulty: int


@dataclass(frozen=True)
class NextQuestion:
    question: QuestionView
    reason: str


@dataclass(frozen=True)
class Feedback:
    attempt_id: str
    is_correct: bool
    correct_answer: str
    explanation: str
    concept_name: str
    mastery_before: float
    mastery_after: float


def _recent_questions(session: Session, student_id: str) -> list[str]:
    rows = session.scalars(select(QuestionAttempt.question_id).where(QuestionAttempt.student_id == student_id)
                           .order_by(QuestionAttempt.timestamp.desc(), QuestionAttempt.id.desc()).limit(RECENT)).all()
    return list(reversed(rows))


def question_view(session: Session, question_id: str) -> QuestionView:
    q, concept, topic = session.execute(
        select(Question, Concept, Topic).join(Concept, Concept.id == Question.concept_id)
        .join(Topic, Topic.id == Concept.topic_id).where(Question.id == question_id)).one()
    return QuestionView(id=q.id, concept_id=concept.id, concept_name=concept.name, topic_name=topic.name,
                        type=q.type, text=q.text, options=list(q.options) if q.options else None,
                        difficulty=q.difficulty)


def next_question(session: Session, *, student_id: str, now: datetime, previous_question_id: str | None = None,
                  focus_concept_id: str | None = None, seed: int = 0) -> NextQuestion | None:
    """The question the engine recommends now, with the reason; None when there is no content.

    `previous_question_id` (the one on screen) is never repeated, even if it was skipped.
    """
    try:
        c = learner.content(session)
    except EmptySyllabusError:
        return None  # nothing to practise yet
    recent = _recent_questions(session, student_id)
    if previous_question_id and (not recent or recent[-1] != previous_question_id):
        recent.append(previous_question_id)
    with learner.LOCK:
        choice = c.policy.next_question(learner.student(session, student_id, c), now=now, seed=seed, recent=recent,
                                        focus_concept_id=focus_concept_id)
    if choice is None:
        return None
    return NextQuestion(question=question_view(session, choice.question_id), reason=choice.reason)


def display_answer(question: Question) -> str:
    if question.type == "true_false":
        return "True" if question.correct_answer == "true" else "False"
    return question.correct_answer


def submit_answer(session: Session, *, student_id: str, question_id: str, answer: str, time_taken_seconds: float,
                  confidence: int | None, now: datetime, comma: Comma | None = None) -> Feedback:
    """Grade and record an answer, "2,125" read as `comma` says (answers.grade). Raises
    AnswerFormatError (nothing written) for an unreadable answer, its subclass
    AmbiguousNumberError for "2,125" without `comma`, ValueError for a confidence outside 1..5.
    The caller commits."""
    if confidence is not None and not 1 <= confidence <= 5:
        raise ValueError("confidence must be 1..5")
    question = session.get(Question, question_id)
    if question is None:
        raise LookupError(f"no question {question_id}")
    graded = grade(question_type=question.type, correct_answer=question.correct_answer,
                   tolerance=question.tolerance, options=question.options, answer=answer, comma=comma)
    recorded = record_attempt(session, student_id=student_id, question_id=question_id, answer=graded.answer,
                              is_correct=graded.is_correct, time_taken_seconds=time_taken_seconds,
                              confidence=confidence, now=now)
    with session.no_autoflush:
        concept = session.get(Concept, question.concept_id)
    return Feedback(attempt_id=recorded.attempt_id, is_correct=graded.is_correct,
                    correct_answer=display_answer(question), explanation=question.explanation,
                    concept_name=concept.name if concept else "", mastery_before=recorded.mastery_before,
                    mastery_after=recorded.mastery_after)
