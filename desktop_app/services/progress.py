"""Recording attempts and keeping `concept_mastery` equal to what the attempts imply.

An attempt row, its concept's mastery row and the outbox entry are written in the
caller's transaction (the outbox hook adds the sync_operations row on flush), so a crash
keeps all three or none. `recompute_mastery` rebuilds the same values from the attempts
alone: devices that hold the same attempts show the same mastery.

The stored `mastery_score` of a concept is the model's mastery right after that concept's
latest attempt, evaluated at that attempt's time; both paths compute it the same way.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.db.ids import new_id
from desktop_app.db.models import ConceptMastery, QuestionAttempt
from desktop_app.engine.mastery import Response, StudentState
from desktop_app.services import learner


@dataclass
class _Aggregate:
    total: int = 0
    correct: int = 0
    time_sum: float = 0.0
    confidence_sum: float = 0.0
    confidence_n: int = 0
    score: float = 0.0
    last_at: datetime | None = None

    def add(self, *, correct: bool, seconds: float, confidence: int | None, score: float, at: datetime) -> None:
        self.total += 1
        self.correct += int(correct)
        self.time_sum += seconds or 0.0
        if confidence is not None:
            self.confidence_sum += confidence
            self.confidence_n += 1
        self.score = score
        self.last_at = at if self.last_at is None else max(self.last_at, at)

    def write(self, row: ConceptMastery, now: datetime) -> None:
        row.total_attempts = self.total
        row.correct_attempts = self.correct
        row.avg_time_seconds = self.time_sum / self.total if self.total else 0.0
        row.avg_confidence = self.confidence_sum / self.confidence_n if self.confidence_n else None
        row.confidence_attempts = self.confidence_n
        row.mastery_score = round(min(100.0, max(0.0, self.score)), 6)
        row.last_practised_at = self.last_at
        row.updated_at = now

    @classmethod
    def of(cls, row: ConceptMastery) -> "_Aggregate":
        return cls(total=row.total_attempts, correct=row.correct_attempts,
                   time_sum=row.avg_time_seconds * row.total_attempts,
                   confidence_sum=(row.avg_confidence or 0.0) * row.confidence_attempts,
                   confidence_n=row.confidence_attempts, score=row.mastery_score, last_at=row.last_practised_at)


def _mastery_rows(session: Session, student_id: str, concept_ids: Iterable[str]) -> dict[str, ConceptMastery]:
    """The student's mastery rows of these concepts, new empty ones for concepts never
    practised, loaded in one query (a recompute touches dozens of concepts)."""
    wanted = set(concept_ids)
    with session.no_autoflush:
        rows = {r.concept_id: r for r in session.scalars(select(ConceptMastery).where(
            ConceptMastery.student_id == student_id, ConceptMastery.concept_id.in_(wanted)))}
    for concept_id in sorted(wanted - rows.keys()):
        rows[concept_id] = ConceptMastery(student_id=student_id, concept_id=concept_id, total_attempts=0,
                                          correct_attempts=0, avg_time_seconds=0.0, confidence_attempts=0,
                                          mastery_score=0.0)
        session.add(rows[concept_id])
    return rows


@dataclass(frozen=True)
class Recorded:
    attempt_id: str
    concept_id: str
    mastery_before: float
    mastery_after: float


def record_attempt(session: Session, *, student_id: str, question_id: str, answer: str, is_correct: bool,
                   time_taken_seconds: float, confidence: int | None, now: datetime) -> Recorded:
    """Write the attempt, update the concept's mastery row and the cached model state.

    Runs in the caller's transaction; never commits.
    """
    c = learner.content(session)
    attempt = QuestionAttempt(id=new_id(), student_id=student_id, question_id=question_id, answer=answer, is_correct=is_correct,
                              time_taken_seconds=max(0.0, float(time_taken_seconds)), confidence=confidence, timestamp=now)
    session.add(attempt)
    concept_id = c.concept_of_question[question_id]
    with learner.LOCK:
        student = learner.student(session, student_id, c)
        state = student.state
        before = c.model.mastery(state, concept_id, now) if concept_id in state.concepts else 0.0
        if student.latest_at is not None and now < student.latest_at:
            # Older than an answer already counted (the clock went back): the model is
            # order-sensitive, so replay everything rather than fold it in out of order.
            session.flush()
            recompute_mastery(session, student_id=student_id, now=now)
            after = c.model.mastery(learner.student(session, student_id, c).state, concept_id, now)
            return Recorded(attempt_id=attempt.id, concept_id=concept_id, mastery_before=before,
                            mastery_after=after)
        student.update(learner.response_of(attempt, c))
        after = c.model.mastery(state, concept_id, now)
    row = _mastery_rows(session, student_id, [concept_id])[concept_id]
    agg = _Aggregate.of(row)
    agg.add(correct=is_correct, seconds=attempt.time_taken_seconds, confidence=confidence, score=after, at=now)
    agg.write(row, now)
    return Recorded(attempt_id=attempt.id, concept_id=concept_id, mastery_before=before, mastery_after=after)


def recompute_mastery(session: Session, *, student_id: str, concept_ids: set[str] | None = None,
                      now: datetime) -> None:
    """Make the student's model state and mastery rows what their attempts imply.

    When this process holds the student's state and every attempt it has not seen is later
    than all it has (the usual pull: new answers from another laptop), those are folded in
    and only their concepts' rows change: the result equals a replay, at a fraction of the
    cost. Otherwise the whole history is replayed (the model state spans concepts);
    `concept_ids` then limits which rows are rewritten (None: all the student practised).
    Runs in the caller's transaction (the sync worker calls it after applying pulled pages).
    """
    c = learner.content(session)
    with learner.LOCK:
        if _fold_in_newer(session, student_id, c, now):
            return
    state: StudentState = c.model.new_state()
    aggregates: dict[str, _Aggregate] = {}
    rows = learner.attempts_in_order(session, student_id)
    responses = [learner.response_of(tuple(row[:5]), c) for row in rows]
    last = _last_index_per_concept(responses)
    for i, (row, response) in enumerate(zip(rows, responses)):
        c.model.update(state, response)
        if concept_ids is None or response.concept_id in concept_ids:
            agg = aggregates.setdefault(response.concept_id, _Aggregate())
            score = c.model.mastery(state, response.concept_id, response.at) if last[response.concept_id] == i else 0.0
            agg.add(correct=response.correct, seconds=row.time_taken_seconds, confidence=row.confidence,
                    score=score, at=row.timestamp)
    learner.replace_state(session, student_id, c, state, answers=len(rows))
    stored = _mastery_rows(session, student_id, aggregates)
    for concept_id, agg in aggregates.items():
        agg.write(stored[concept_id], now)
    session.flush()


def _last_index_per_concept(responses: Sequence[Response]) -> dict[str, int]:
    """Where each concept's latest answer is. A mastery row keeps the score right after that
    answer (_Aggregate.add keeps the last), so the model is asked only there: one call per
    concept instead of one per answer, which was most of a replay's time."""
    return {response.concept_id: i for i, response in enumerate(responses)}


def _fold_in_newer(session: Session, student_id: str, c: learner.Content, now: datetime) -> bool:
    """The incremental path of recompute_mastery; False when only a replay can be exact."""
    student = learner.cached(session, student_id, c)
    if student is None or student.latest_at is None:
        return False
    a = QuestionAttempt
    total = session.scalar(select(func.count()).select_from(a).where(a.student_id == student_id))
    newer = session.execute(
        select(a.question_id, a.is_correct, a.timestamp, a.time_taken_seconds, a.confidence, a.id)
        .where(a.student_id == student_id, a.timestamp > student.latest_at)
        .order_by(a.timestamp, a.id)).all()
    if total != student.answers + len(newer):
        return False  # an attempt dated within the known history arrived: replay
    responses = [learner.response_of(tuple(row[:5]), c) for row in newer]
    rows = _mastery_rows(session, student_id, {r.concept_id for r in responses})
    aggregates = {concept: _Aggregate.of(row) for concept, row in rows.items()}
    last = _last_index_per_concept(responses)
    for i, (row, response) in enumerate(zip(newer, responses)):
        student.update(response)
        concept = response.concept_id
        score = c.model.mastery(student.state, concept, response.at) if last[concept] == i else 0.0
        aggregates[concept].add(correct=response.correct, seconds=row.time_taken_seconds,
                                confidence=row.confidence, score=score, at=row.timestamp)
    for concept, agg in aggregates.items():
        agg.write(rows[concept], now)
    session.flush()
    return True
