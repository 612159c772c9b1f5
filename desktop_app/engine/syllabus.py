"""The syllabus as the engine sees it: plain, immutable values, no ORM objects.

Services translate database rows into these types so that the engine stays free of
SQLAlchemy and can be tested, benchmarked and evaluated on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TopicInfo:
    id: str
    name: str
    parent_id: str | None = None
    exam_weightage: float = 0.0  # percent of the exam (0-100)
    estimated_hours: float = 1.0  # hours a typical student needs from scratch
    prerequisites: tuple[str, ...] = ()  # topic ids that must come first


@dataclass(frozen=True)
class ConceptInfo:
    id: str
    topic_id: str
    name: str


@dataclass(frozen=True)
class QuestionInfo:
    id: str
    concept_id: str
    difficulty: int = 3  # stated by the author, 1 (easy) .. 5 (hard)
    type: str = "mcq"


@dataclass(frozen=True)
class Syllabus:
    """Everything the engine needs to know about the content of one exam."""

    topics: tuple[TopicInfo, ...]
    concepts: tuple[ConceptInfo, ...]
    questions: tuple[QuestionInfo, ...]
    topic_by_id: dict[str, TopicInfo] = field(init=False, repr=False, compare=False)
    concept_by_id: dict[str, ConceptInfo] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "topic_by_id", {t.id: t for t in self.topics})
        object.__setattr__(self, "concept_by_id", {c.id: c for c in self.concepts})
