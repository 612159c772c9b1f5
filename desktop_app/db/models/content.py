"""The syllabus: topics (a tree, plus a prerequisite DAG), concepts and questions.

Content ids are derived from the bank file (see ids.content_id), so they agree across
devices and the server.
"""
from __future__ import annotations

import math
import sys
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.db.base import Base, SyncedMixin

QUESTION_TYPES = ("mcq", "numerical", "true_false")


def model_params_problem(value: Any) -> str | None:
    """Why `value` cannot be a concept's or question's model_params, or None.

    The mastery model reads numbers from it ("intercept", "difficulty"); anything else there
    (a list, a string, a number as text) would break every screen and report that builds the
    model, for every student of the syllabus. So the bank import and the sync server refuse it.
    """
    if not isinstance(value, dict):
        return "must be an object of numbers, e.g. {\"intercept\": -0.4}"
    for key, number in value.items():
        if not is_finite_number(number):
            return f"{key!r} must be a finite number, got {number!r}"
    return None


def is_finite_number(value: Any) -> bool:
    """A JSON number the model can use as a float: not a boolean, not infinite, and not an
    integer too large for a float (math.isfinite would raise OverflowError on it)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return abs(value) <= sys.float_info.max if isinstance(value, int) else math.isfinite(value)


class Topic(SyncedMixin, Base):
    __tablename__ = "topics"
    __table_args__ = (
        CheckConstraint("exam_weightage >= 0", name="weightage"),
        CheckConstraint("estimated_hours >= 0", name="hours"),
    )

    bank_id: Mapped[str] = mapped_column(String(64))
    local_id: Mapped[str] = mapped_column(String(128))  # id inside the bank file
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("topics.id"))
    exam_weightage: Mapped[float] = mapped_column(Float, default=0.0)  # percent of the exam
    estimated_hours: Mapped[float] = mapped_column(Float, default=0.0)
    position: Mapped[int] = mapped_column(Integer, default=0)


class TopicPrerequisite(SyncedMixin, Base):
    """`topic_id` requires `prerequisite_id` first. The graph is kept acyclic by the importer."""

    __tablename__ = "topic_prerequisites"
    __table_args__ = (UniqueConstraint("topic_id", "prerequisite_id"),)

    topic_id: Mapped[str] = mapped_column(ForeignKey("topics.id"))
    prerequisite_id: Mapped[str] = mapped_column(ForeignKey("topics.id"))


class Concept(SyncedMixin, Base):
    __tablename__ = "concepts"

    topic_id: Mapped[str] = mapped_column(ForeignKey("topics.id"), index=True)
    local_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Parameters fitted by the engine on many students (data, not code); None = defaults.
    model_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Question(SyncedMixin, Base):
    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint("type IN ('mcq', 'numerical', 'true_false')", name="type"),
        CheckConstraint("difficulty BETWEEN 1 AND 5", name="difficulty"),
    )

    concept_id: Mapped[str] = mapped_column(ForeignKey("concepts.id"), index=True)
    local_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[Any] | None] = mapped_column(JSON)  # mcq: the choices; true_false: None
    # mcq: the correct option's text; numerical: the number as text; true_false: "true"/"false".
    correct_answer: Mapped[str] = mapped_column(String(500))
    tolerance: Mapped[float | None] = mapped_column(Float)  # numerical: absolute tolerance
    difficulty: Mapped[int] = mapped_column(Integer, default=3)  # 1 easy .. 5 hard
    explanation: Mapped[str] = mapped_column(Text, default="")
    model_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
