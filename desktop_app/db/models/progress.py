"""A student's work: attempts (immutable events), derived mastery, study plans."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.db.base import Base, SyncedMixin, utcnow
from desktop_app.db.ids import new_id


class QuestionAttempt(SyncedMixin, Base):
    """One answered question. Never updated: devices union attempts, they never conflict."""

    __tablename__ = "question_attempts"
    __table_args__ = (
        Index("idx_attempts_student_timestamp", "student_id", "timestamp"),
        CheckConstraint("confidence IS NULL OR confidence BETWEEN 1 AND 5", name="confidence"),
        CheckConstraint("time_taken_seconds >= 0", name="time"),
    )

    student_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # No index: nothing looks attempts up by question (migration 0006).
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"))
    answer: Mapped[str] = mapped_column(String(500))
    is_correct: Mapped[bool] = mapped_column(Boolean)
    time_taken_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    confidence: Mapped[int | None] = mapped_column(Integer)
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    device_id: Mapped[str | None] = mapped_column(String(64))


class ConceptMastery(Base):
    """Derived from attempts (not synced): two devices with the same attempts agree."""

    __tablename__ = "concept_mastery"
    __table_args__ = (
        Index("idx_mastery_student_concept", "student_id", "concept_id", unique=True),
        CheckConstraint("mastery_score BETWEEN 0 AND 100", name="score"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    student_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    concept_id: Mapped[str] = mapped_column(ForeignKey("concepts.id"))
    total_attempts: Mapped[int] = mapped_column(Integer, default=0)
    correct_attempts: Mapped[int] = mapped_column(Integer, default=0)
    avg_time_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    avg_confidence: Mapped[float | None] = mapped_column(Float)
    confidence_attempts: Mapped[int] = mapped_column(Integer, default=0)  # attempts that gave a confidence
    mastery_score: Mapped[float] = mapped_column(Float, default=0.0)
    last_practised_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StudyPlan(SyncedMixin, Base):
    """The current plan of a student (one row, replaced field-wise on re-plan)."""

    __tablename__ = "study_plans"

    student_id: Mapped[str] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    exam_date: Mapped[date | None] = mapped_column(Date)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the planner's to_dict()
    statement: Mapped[str | None] = mapped_column(Text)  # what was cut when hours fall short
