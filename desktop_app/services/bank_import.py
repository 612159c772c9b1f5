"""Import a question bank: validate everything first, then upsert by stable content id.

Re-importing the same bank updates rows in place and duplicates nothing; content that
left the bank is tombstoned (`deleted`), so it stops being asked while the attempts made
on it are kept. A dropped concept or topic that content from outside the bank (a
teacher's question) still sits under is kept, and the report names it. The caller owns
the transaction: on any error it rolls back and the database is unchanged.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.base import SyncedMixin
from desktop_app.db.ids import content_id
from desktop_app.db.models import Concept, Question, Topic, TopicPrerequisite
from desktop_app.services.bank_format import validate_bank

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    bank_id: str
    title: str
    created: int = 0
    updated: int = 0
    removed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    # Names of the topics and concepts this version dropped but the import kept, because
    # questions (or concepts, subtopics) that are not the bank's still use them.
    kept_topics: list[str] = field(default_factory=list)
    kept_concepts: list[str] = field(default_factory=list)

    def summary(self) -> str:
        c = self.counts
        kept = self.kept_topics + self.kept_concepts
        return (f"{self.title}: {c.get('topics', 0)} topics, {c.get('concepts', 0)} concepts, "
                f"{c.get('questions', 0)} questions ({self.created} new, {self.updated} updated, "
                f"{self.removed} removed)"
                + (f"; kept because content not from the bank uses them: {', '.join(kept)}" if kept else ""))


def answer_text(question: dict[str, Any]) -> str:
    """The stored form of a bank answer (see Question.correct_answer)."""
    answer = question["answer"]
    if isinstance(answer, bool):
        return "true" if answer else "false"
    return str(answer)


def _topics_parent_first(topics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {t["id"]: t for t in topics}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(topic: dict[str, Any]) -> None:
        if topic["id"] in placed:
            return
        if topic.get("parent"):
            place(by_id[topic["parent"]])
        placed.add(topic["id"])
        ordered.append(topic)

    for topic in topics:
        place(topic)
    return ordered


class _Upserter:
    def __init__(self, session: Session, stamp: str | None, report: ImportReport) -> None:
        self.session, self.stamp, self.report = session, stamp, report
        self.seen: set[str] = set()

    def put(self, model: type[SyncedMixin], row_id: str, existing: dict[str, Any], fields: dict[str, Any]) -> None:
        self.seen.add(row_id)
        row = existing.get(row_id)
        if row is None:
            row = model(id=row_id, **fields)
            self.session.add(row)
            changed = [*fields, "deleted"]
            self.report.created += 1
        else:
            changed = [k for k, v in fields.items() if getattr(row, k) != v]
            for k in changed:
                setattr(row, k, fields[k])
            if row.deleted:
                row.deleted = False
                changed.append("deleted")
            self.report.updated += bool(changed)
        self._stamp(row, changed)

    def remove_missing(self, existing: dict[str, Any]) -> None:
        for row_id, row in existing.items():
            if row_id not in self.seen and not row.deleted:
                row.deleted = True
                self.report.removed += 1
                self._stamp(row, ["deleted"])

    def _stamp(self, row: SyncedMixin, changed: list[str]) -> None:
        # A LocalSession stamps on flush by itself; the server passes its own stamp.
        if self.stamp and changed:
            row.field_stamps = {**(row.field_stamps or {}), **{k: self.stamp for k in changed}}
            row.hlc = max(row.hlc or "", self.stamp)


def _existing(session: Session, bank_id: str) -> dict[type, dict[str, Any]]:
    topics = {t.id: t for t in session.scalars(select(Topic).where(Topic.bank_id == bank_id))}
    prereqs = {p.id: p for p in session.scalars(
        select(TopicPrerequisite).where(TopicPrerequisite.topic_id.in_(topics)))} if topics else {}
    concepts = {c.id: c for c in session.scalars(select(Concept).where(Concept.topic_id.in_(topics)))} if topics else {}
    questions = {q.id: q for q in session.scalars(
        select(Question).where(Question.concept_id.in_(concepts)))} if concepts else {}
    return {Topic: topics, TopicPrerequisite: prereqs, Concept: concepts, Question: questions}


def _made_by_bank(bank_id: str, existing: dict[type, dict[str, Any]]) -> dict[type, dict[str, Any]]:
    """The rows of `existing` that this bank created (their ids derive from it), which are
    the only ones a new version of the bank may remove. A question a teacher added under
    one of the bank's concepts (or a topic of another bank it points to) is not the bank's."""
    kinds = {Topic: "topic", Concept: "concept", Question: "question"}
    own = {model: {i: r for i, r in existing[model].items() if i == content_id(bank_id, kind, r.local_id)}
           for model, kind in kinds.items()}
    local = {i: t.local_id for i, t in own[Topic].items()}
    own[TopicPrerequisite] = {
        i: p for i, p in existing[TopicPrerequisite].items()
        if p.topic_id in local and p.prerequisite_id in local
        and i == content_id(bank_id, "prerequisite", f"{local[p.topic_id]}>{local[p.prerequisite_id]}")}
    return own


def _still_used(session: Session, own: dict[type, dict[str, Any]], seen: set[str]) -> set[str]:
    """Ids of the bank's topics and concepts this version drops that live rows staying in the
    database still point to (question -> concept, concept -> topic, topic -> parent topic).

    The engine only offers a question whose concept and topic are live, so removing these
    would silently take a teacher's questions out of practice. They stay, unchanged, until
    nothing uses them (a later import removes them then). A prerequisite edge keeps no
    topic: an empty topic is no use, and the engine ignores edges to removed topics.
    """
    dropped = {i for model in (Topic, Concept) for i, r in own[model].items() if i not in seen and not r.deleted}
    if not dropped:
        return set()
    leaving = {i for rows in own.values() for i in rows if i not in seen}
    links: list[tuple[str, str]] = []  # (user, used): live rows that point at a dropped row
    for model, column in ((Question, Question.concept_id), (Concept, Concept.topic_id), (Topic, Topic.parent_id)):
        links += [(user, used) for user, used in session.execute(
            select(model.id, column).where(column.in_(dropped), model.deleted.is_(False)))]
    kept: set[str] = set()
    grew = True
    while grew:  # a kept concept keeps its topic, a kept topic its parent
        grew = False
        for user, used in links:
            if used not in kept and (user not in leaving or user in kept):
                kept.add(used)
                grew = True
    return kept


def import_bank(session: Session, bank: dict[str, Any], *, stamp: str | None = None,
                progress: Progress | None = None) -> ImportReport:
    """Validate `bank` (raises BankError, writing nothing) and upsert it into `session`.

    Runs in the caller's transaction and never commits. `progress(done, total)` is called
    from the calling thread as rows are written.
    """
    validate_bank(bank)
    bank_id = bank["id"]
    report = ImportReport(bank_id=bank_id, title=bank["title"])
    existing = _existing(session, bank_id)
    up = _Upserter(session, stamp, report)
    tid = {t["id"]: content_id(bank_id, "topic", t["id"]) for t in bank["topics"]}
    cid = {c["id"]: content_id(bank_id, "concept", c["id"]) for c in bank["concepts"]}
    total = len(bank["topics"]) + len(bank["concepts"]) + len(bank["questions"])
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress and (done % 25 == 0 or done == total):
            progress(done, total)

    position = {t["id"]: i for i, t in enumerate(bank["topics"])}
    for topic in _topics_parent_first(bank["topics"]):
        up.put(Topic, tid[topic["id"]], existing[Topic], dict(
            bank_id=bank_id, local_id=topic["id"], name=topic["name"], description=topic.get("description"),
            parent_id=tid[topic["parent"]] if topic.get("parent") else None,
            exam_weightage=float(topic.get("exam_weightage", 0)), estimated_hours=float(topic.get("estimated_hours", 0)),
            position=position[topic["id"]]))
        tick()
    session.flush()
    for topic in bank["topics"]:
        for prerequisite in topic.get("prerequisites", []):
            row_id = content_id(bank_id, "prerequisite", f"{topic['id']}>{prerequisite}")
            up.put(TopicPrerequisite, row_id, existing[TopicPrerequisite],
                   dict(topic_id=tid[topic["id"]], prerequisite_id=tid[prerequisite]))
    for i, concept in enumerate(bank["concepts"]):
        up.put(Concept, cid[concept["id"]], existing[Concept], dict(
            topic_id=tid[concept["topic"]], local_id=concept["id"], name=concept["name"],
            description=concept.get("description"), position=i, model_params=concept.get("model_params")))
        tick()
    session.flush()
    for question in bank["questions"]:
        up.put(Question, content_id(bank_id, "question", question["id"]), existing[Question], dict(
            concept_id=cid[question["concept"]], local_id=question["id"], type=question["type"],
            text=question["text"], options=question.get("options"), correct_answer=answer_text(question),
            tolerance=float(question.get("tolerance", 0)) if question["type"] == "numerical" else None,
            difficulty=int(question.get("difficulty", 3)), explanation=question["explanation"],
            model_params=question.get("model_params")))
        tick()
    own = _made_by_bank(bank_id, existing)
    kept = _still_used(session, own, up.seen)
    for model in (Question, Concept, TopicPrerequisite, Topic):
        up.remove_missing({i: r for i, r in own[model].items() if i not in kept})
    report.kept_topics = sorted(r.name for i, r in own[Topic].items() if i in kept)
    report.kept_concepts = sorted(r.name for i, r in own[Concept].items() if i in kept)
    session.flush()
    report.counts = {"topics": len(bank["topics"]), "concepts": len(bank["concepts"]),
                     "questions": len(bank["questions"])}
    return report
