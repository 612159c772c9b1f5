"""The engine's view of the local database: syllabus, model parameters, a student's state.

Building the syllabus and replaying a student's attempts is the slow part, so both are
cached per database and student in this process. Every write to attempts goes through
`progress.record_attempt` or `progress.recompute_mastery`, which keep the cache exact;
`forget()` drops it (tests, account switches).

Thread-safety: the caches are guarded by a lock; a StudentState is only mutated while that
lock is held by `progress`, so the GUI's task runner and the sync worker can share it.
"""
from __future__ import annotations

import threading
from functools import cached_property
from datetime import datetime, timezone
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.engine.mastery import MasteryModel, ModelParams, Response, StudentState
from desktop_app.engine.model_learner import ModelLearner
from desktop_app.engine.planner import syllabus_fingerprint
from desktop_app.engine.policy import Policy
from desktop_app.services import learner_snapshot
from desktop_app.engine.syllabus import ConceptInfo, QuestionInfo, Syllabus, TopicInfo
from desktop_app.db.models import Concept, Question, QuestionAttempt, SyncState, Topic
from desktop_app.db.models.content import model_params_problem
from desktop_app.db.outbox import CONTENT_VERSION_KEY
from desktop_app.services.prerequisites import live_edges

LOCK = threading.RLock()


@dataclass
class Content:
    """The live (not deleted) syllabus with the engine objects built on it."""

    fingerprint: tuple
    syllabus: Syllabus
    model: MasteryModel
    policy: Policy
    concept_of_question: dict[str, str]
    difficulty_of_question: dict[str, int]

    @cached_property
    def plan_fingerprint(self) -> str:
        """What a study plan takes from this syllabus (planner.syllabus_fingerprint), worked
        out once per content version."""
        return syllabus_fingerprint(self.syllabus)


_content: dict[str, Content] = {}
_learners: dict[tuple[str, str], ModelLearner] = {}


def _db_key(session: Session) -> str:
    return str(session.get_bind().url)


def _fingerprint(session: Session) -> tuple:
    """Changes whenever the syllabus does (the outbox hook renews it on every content write)."""
    return (session.scalar(select(SyncState.value).where(SyncState.key == CONTENT_VERSION_KEY)),)


def content(session: Session) -> Content:
    """The syllabus, mastery model and policy for this database (rebuilt when content changes).

    Raises the engine's ValueErrors (e.g. EmptySyllabusError) when there is no content.
    """
    key = _db_key(session)
    fingerprint = _fingerprint(session)
    with LOCK:
        cached = _content.get(key)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached
    built = _build_content(session, fingerprint)
    with LOCK:
        _content[key] = built
    return built


def _build_content(session: Session, fingerprint: tuple) -> Content:
    # Plain column rows, not ORM objects: this reads every question of the syllabus.
    topics = session.execute(select(Topic.id, Topic.name, Topic.parent_id, Topic.exam_weightage,
                                    Topic.estimated_hours).where(Topic.deleted.is_(False))
                             .order_by(Topic.position)).all()
    live_topics = {t.id for t in topics}
    requires: dict[str, list[str]] = {t.id: [] for t in topics}
    for topic_id, prerequisite_id in live_edges(session, {t.id: t.name for t in topics}):
        requires[topic_id].append(prerequisite_id)
    concepts = [c for c in session.execute(
        select(Concept.id, Concept.topic_id, Concept.name, Concept.model_params)
        .where(Concept.deleted.is_(False)).order_by(Concept.position)) if c.topic_id in live_topics]
    live_concepts = {c.id for c in concepts}
    questions = [q for q in session.execute(
        select(Question.id, Question.concept_id, Question.difficulty, Question.type, Question.model_params)
        .where(Question.deleted.is_(False))) if q.concept_id in live_concepts]
    syllabus = Syllabus(
        topics=tuple(TopicInfo(id=t.id, name=t.name, parent_id=t.parent_id, exam_weightage=t.exam_weightage,
                               estimated_hours=t.estimated_hours, prerequisites=tuple(requires[t.id])) for t in topics),
        concepts=tuple(ConceptInfo(id=c.id, topic_id=c.topic_id, name=c.name) for c in concepts),
        questions=tuple(QuestionInfo(id=q.id, concept_id=q.concept_id, difficulty=q.difficulty, type=q.type)
                        for q in questions),
    )
    params = ModelParams.default()
    for c in concepts:
        if c.model_params and model_params_problem(c.model_params) is None and "intercept" in c.model_params:
            params.concept_intercepts[c.id] = float(c.model_params["intercept"])
    for q in questions:
        if q.model_params and model_params_problem(q.model_params) is None and "difficulty" in q.model_params:
            params.question_difficulty[q.id] = float(q.model_params["difficulty"])
    # Deleted questions still count as evidence for attempts made on them.
    all_questions = session.execute(select(Question.id, Question.concept_id, Question.difficulty)).all()
    return Content(
        fingerprint=fingerprint, syllabus=syllabus, model=MasteryModel(params), policy=Policy(syllabus),
        concept_of_question={qid: cid for qid, cid, _ in all_questions},
        difficulty_of_question={qid: d for qid, _, d in all_questions},
    )


def response_of(row: QuestionAttempt | tuple, c: Content) -> Response:
    """An attempt as model evidence (row or (question_id, is_correct, timestamp, time, confidence))."""
    if isinstance(row, QuestionAttempt):
        row = (row.question_id, row.is_correct, row.timestamp, row.time_taken_seconds, row.confidence)
    question_id, correct, at, seconds, confidence = row
    return Response(concept_id=c.concept_of_question[question_id], question_id=question_id, correct=bool(correct),
                    at=at, time_seconds=seconds, confidence=confidence,
                    difficulty=c.difficulty_of_question.get(question_id))


def attempts_in_order(session: Session, student_id: str):  # type: ignore[no-untyped-def]
    """The student's attempts in replay order: by timestamp, then id (UUIDv7, time-ordered)."""
    return session.execute(
        select(QuestionAttempt.question_id, QuestionAttempt.is_correct, QuestionAttempt.timestamp,
               QuestionAttempt.time_taken_seconds, QuestionAttempt.confidence, QuestionAttempt.id)
        .where(QuestionAttempt.student_id == student_id)
        .order_by(QuestionAttempt.timestamp, QuestionAttempt.id)).all()


def student(session: Session, student_id: str, c: Content) -> ModelLearner:
    """The student's model state behind the policy's view, replayed from the attempts on
    first use in this process (or after the content changed). Hold LOCK while using it."""
    with LOCK:
        found = cached(session, student_id, c)
        if found is not None:
            return found
    loaded = learner_snapshot.load(session, student_id, fingerprint=c.fingerprint)
    if loaded is not None:
        state, covered, rows = loaded
        for row in rows:
            c.model.update(state, response_of(tuple(row[:5]), c))
    else:
        state, covered = c.model.new_state(), 0
        rows = attempts_in_order(session, student_id)
        for row in rows:
            c.model.update(state, response_of(tuple(row[:5]), c))
        last = (rows[-1].timestamp, rows[-1].id) if rows else None
        learner_snapshot.save(session, student_id, fingerprint=c.fingerprint, state=state, count=len(rows),
                              last=last)
    return replace_state(session, student_id, c, state, answers=covered + len(rows))


def cached(session: Session, student_id: str, c: Content) -> ModelLearner | None:
    """The student's state if this process already holds it for this content (hold LOCK)."""
    found = _learners.get((_db_key(session), student_id))
    return found if found is not None and found.model is c.model else None


def _latest_of(state: StudentState) -> datetime | None:
    stamps = [s.last_at for s in state.concepts.values() if s.last_at is not None]
    return datetime.fromtimestamp(max(stamps), timezone.utc) if stamps else None


def replace_state(session: Session, student_id: str, c: Content, state: StudentState, *,
                  answers: int) -> ModelLearner:
    """Cache `state`, built from the student's first `answers` attempts in replay order."""
    built = ModelLearner(c.model, state)
    built.latest_at = _latest_of(state)
    built.answers = answers
    with LOCK:
        _learners[(_db_key(session), student_id)] = built
    return built


def forget() -> None:
    with LOCK:
        _content.clear()
        _learners.clear()
