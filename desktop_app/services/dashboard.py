"""Read models for the Home and Syllabus screens: plain dataclasses, no ORM objects.

Mastery comes from `concept_mastery` (0-100, derived from attempts by the practice
service); a concept never practised counts as 0. A topic's mastery is the mean over its
concepts (a parent topic: over all concepts below it). A topic is unlocked when every
prerequisite topic, directly or through others, has a mean mastery of at least
UNLOCK_MASTERY; a prerequisite without concepts has nothing to master and never locks.

Read-only: these functions never write, so any transaction will do.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from desktop_app.db.models import (
    Concept, ConceptMastery, Question, QuestionAttempt, SyncOperation, Topic,
)
from desktop_app.engine.graph import PrerequisiteGraph
from desktop_app.services.prerequisites import live_edges
from desktop_app.services.accounts import get_account
from desktop_app.services.profile import get_profile

UNLOCK_MASTERY = 60.0
WEAKEST_COUNT = 5


@dataclass(frozen=True)
class ConceptNode:
    id: str
    name: str
    topic_id: str
    topic_name: str
    mastery: float
    attempts: int
    questions: int
    unlocked: bool
    last_practised_at: datetime | None = None


@dataclass(frozen=True)
class TopicNode:
    id: str
    name: str
    description: str
    mastery: float | None  # None: no concepts below this topic
    attempts: int
    weightage: float
    unlocked: bool
    needs: list[str]  # direct prerequisites, by name
    missing: list[tuple[str, float]]  # prerequisites (transitive) below the bar, with their mastery
    concepts: list[ConceptNode] = field(default_factory=list)
    children: list["TopicNode"] = field(default_factory=list)
    parent_name: str | None = None


@dataclass(frozen=True)
class HomeView:
    student_name: str
    target_exam: str
    exam_date: date | None
    days_left: int | None
    topics: list[TopicNode]  # topics that hold concepts, in syllabus order
    weakest: list[ConceptNode]
    total_attempts: int
    attempts_today: int
    correct_today: int


class _Syllabus:
    """Topics, concepts, prerequisite graph and one student's mastery, loaded once."""

    def __init__(self, session: Session, student_id: str) -> None:
        self.topics = list(session.scalars(
            select(Topic).where(Topic.deleted.is_(False)).order_by(Topic.position, Topic.name)))
        topic_ids = {t.id for t in self.topics}
        self.concepts = list(session.scalars(
            select(Concept).where(Concept.deleted.is_(False)).order_by(Concept.position, Concept.name)))
        self.concepts = [c for c in self.concepts if c.topic_id in topic_ids]
        self.names = {t.id: t.name for t in self.topics}
        self.question_counts = dict(session.execute(
            select(Question.concept_id, func.count()).where(Question.deleted.is_(False))
            .group_by(Question.concept_id)).all())
        rows = session.execute(
            select(ConceptMastery.concept_id, ConceptMastery.mastery_score, ConceptMastery.total_attempts,
                   ConceptMastery.last_practised_at)
            .where(ConceptMastery.student_id == student_id)).all()
        self.mastery = {r[0]: (float(r[1]), int(r[2]), r[3]) for r in rows}
        self.graph = PrerequisiteGraph.from_edges([t.id for t in self.topics], live_edges(session, self.names),
                                                  self.names)
        self.children: dict[str | None, list[Topic]] = defaultdict(list)
        for t in self.topics:
            self.children[t.parent_id if t.parent_id in topic_ids else None].append(t)
        self.concepts_of: dict[str, list[Concept]] = defaultdict(list)
        for c in self.concepts:
            self.concepts_of[c.topic_id].append(c)
        self._means: dict[str, tuple[float | None, int]] = {}

    def own_and_below(self, topic_id: str) -> list[Concept]:
        found = list(self.concepts_of.get(topic_id, ()))
        for child in self.children.get(topic_id, ()):
            found.extend(self.own_and_below(child.id))
        return found

    def topic_mastery(self, topic_id: str) -> tuple[float | None, int]:
        if topic_id not in self._means:
            concepts = self.own_and_below(topic_id)
            if not concepts:
                self._means[topic_id] = (None, 0)
            else:
                scores = [self.mastery.get(c.id, (0.0, 0, None)) for c in concepts]
                self._means[topic_id] = (sum(s[0] for s in scores) / len(scores), sum(s[1] for s in scores))
        return self._means[topic_id]

    def missing(self, topic_id: str) -> list[tuple[str, float]]:
        order = {t: i for i, t in enumerate(self.graph.topological_order())}
        gaps = []
        for pre in sorted(self.graph.all_prerequisites(topic_id), key=lambda t: order.get(t, 0)):
            mean, _ = self.topic_mastery(pre)
            if mean is not None and mean < UNLOCK_MASTERY:
                gaps.append((self.names[pre], mean))
        return gaps

    def concept_node(self, c: Concept, unlocked: bool) -> ConceptNode:
        score, attempts, last = self.mastery.get(c.id, (0.0, 0, None))
        return ConceptNode(id=c.id, name=c.name, topic_id=c.topic_id, topic_name=self.names[c.topic_id],
                           mastery=score, attempts=attempts, questions=self.question_counts.get(c.id, 0),
                           unlocked=unlocked, last_practised_at=last)

    def node(self, t: Topic, parent_name: str | None = None) -> TopicNode:
        mean, attempts = self.topic_mastery(t.id)
        missing = self.missing(t.id)
        unlocked = not missing
        return TopicNode(
            id=t.id, name=t.name, description=t.description or "", mastery=mean, attempts=attempts,
            weightage=t.exam_weightage, unlocked=unlocked,
            needs=[self.names[p] for p in self.graph.requires(t.id)], missing=missing,
            concepts=[self.concept_node(c, unlocked) for c in self.concepts_of.get(t.id, ())],
            children=[self.node(ch, t.name) for ch in self.children.get(t.id, ())], parent_name=parent_name)


def syllabus_tree(session: Session, *, student_id: str) -> list[TopicNode]:
    """The topic tree (roots first, children in syllabus order) with this student's mastery."""
    syllabus = _Syllabus(session, student_id)
    return [syllabus.node(t) for t in syllabus.children.get(None, ())]


def _flatten(nodes: list[TopicNode]) -> list[TopicNode]:
    out: list[TopicNode] = []
    for n in nodes:
        if n.concepts:
            out.append(n)
        out.extend(_flatten(n.children))
    return out


def weakest_concepts(tree: list[TopicNode], *, count: int = WEAKEST_COUNT) -> list[ConceptNode]:
    """Practised, unlocked concepts with the lowest mastery (ties: fewer attempts first)."""
    concepts = [c for t in _flatten(tree) for c in t.concepts if c.attempts > 0 and c.unlocked]
    return sorted(concepts, key=lambda c: (c.mastery, c.attempts, c.name))[:count]


def home(session: Session, *, student_id: str, now: datetime) -> HomeView:
    """Everything Home shows except the plan (planning.current_plan gives that)."""
    account = get_account(session, user_id=student_id)
    profile = get_profile(session, student_id=student_id)
    tree = syllabus_tree(session, student_id=student_id)
    local_today = now.astimezone().date()
    start = datetime.combine(local_today, time.min).astimezone().astimezone(timezone.utc)
    today_rows = session.execute(
        select(func.count(), func.coalesce(func.sum(case((QuestionAttempt.is_correct, 1), else_=0)), 0))
        .where(QuestionAttempt.student_id == student_id, QuestionAttempt.timestamp >= start)).one()
    total = session.scalar(select(func.coalesce(func.sum(ConceptMastery.total_attempts), 0))
                           .where(ConceptMastery.student_id == student_id)) or 0
    exam_date = profile.exam_date if profile else None
    return HomeView(
        student_name=account.display_name if account else "",
        target_exam=profile.target_exam if profile else "",
        exam_date=exam_date,
        days_left=(exam_date - local_today).days if exam_date else None,
        topics=_flatten(tree), weakest=weakest_concepts(tree), total_attempts=int(total),
        attempts_today=int(today_rows[0]), correct_today=int(today_rows[1]))


def pending_changes(session: Session) -> int:
    """Local changes not yet accepted by a sync server (the status bar shows this)."""
    return int(session.scalar(select(func.count()).select_from(SyncOperation)
                              .where(SyncOperation.status == "pending")) or 0)
