"""Home and Syllabus read models: topic means, unlocking through prerequisites, weakest concepts."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import Concept, ConceptMastery, SyncOperation, Topic, TopicPrerequisite
from desktop_app.resources import SAMPLE_BANK, resource_path
from desktop_app.services import accounts, dashboard, learner
from desktop_app.services.setup import import_bank_file

NOW = datetime(2025, 3, 1, 12, tzinfo=timezone.utc)


@pytest.fixture
def student(local_db: LocalDatabase) -> str:
    import_bank_file(local_db, resource_path(SAMPLE_BANK))
    with local_db.transaction() as s:
        return accounts.create_account(s, username="dana", password="password-d").id


def _set_topic(local_db: LocalDatabase, student: str, topic_local_id: str, score: float) -> None:
    with local_db.transaction() as s:
        topic = s.scalar(select(Topic).where(Topic.local_id == topic_local_id))
        for c in s.scalars(select(Concept).where(Concept.topic_id == topic.id)):
            s.add(ConceptMastery(student_id=student, concept_id=c.id, mastery_score=score, total_attempts=4,
                                 correct_attempts=2))


def _find(tree: list[dashboard.TopicNode], name: str) -> dashboard.TopicNode:
    for node in tree:
        if node.name == name:
            return node
        try:
            return _find(node.children, name)
        except LookupError:
            pass
    raise LookupError(name)


def test_fresh_student_has_only_entry_topics_unlocked(local_db: LocalDatabase, student: str) -> None:
    with local_db.transaction() as s:
        tree = dashboard.syllabus_tree(s, student_id=student)
    assert [n.name for n in tree] == ["Number", "Algebra", "Geometry and measures", "Statistics and probability"]
    linear = _find(tree, "Linear equations and inequalities")
    assert not linear.unlocked
    assert linear.needs == ["Algebraic expressions"]
    # Transitive: expressions need fractions; prerequisites come before what needs them.
    assert [name for name, _ in linear.missing] == ["Fractions, decimals and percentages", "Algebraic expressions"]
    assert all(not c.unlocked for c in linear.concepts)
    assert _find(tree, "Angles and polygons").unlocked
    assert _find(tree, "Fractions, decimals and percentages").unlocked


def test_mastering_prerequisites_unlocks_transitively(local_db: LocalDatabase, student: str) -> None:
    _set_topic(local_db, student, "fractions-decimals-percentages", 80)
    with local_db.transaction() as s:
        tree = dashboard.syllabus_tree(s, student_id=student)
    assert _find(tree, "Algebraic expressions").unlocked
    assert not _find(tree, "Linear equations and inequalities").unlocked
    _set_topic(local_db, student, "algebraic-expressions", 59.9)
    with local_db.transaction() as s:
        assert not _find(dashboard.syllabus_tree(s, student_id=student), "Linear equations and inequalities").unlocked
    with local_db.transaction() as s:
        for row in s.scalars(select(ConceptMastery).where(ConceptMastery.mastery_score == 59.9)):
            row.mastery_score = 60
    with local_db.transaction() as s:
        tree = dashboard.syllabus_tree(s, student_id=student)
    assert _find(tree, "Linear equations and inequalities").unlocked
    algebra = _find(tree, "Algebra")
    assert algebra.mastery is not None and 0 < algebra.mastery < 60  # mean over every concept below


def test_home_lists_weakest_practised_concepts_and_counts(local_db: LocalDatabase, student: str) -> None:
    _set_topic(local_db, student, "fractions-decimals-percentages", 70)
    with local_db.transaction() as s:
        weakest = s.scalar(select(ConceptMastery).limit(1))
        weakest.mastery_score = 12
    with local_db.transaction() as s:
        view = dashboard.home(s, student_id=student, now=NOW)
    assert view.student_name == "dana"
    assert view.exam_date is None and view.days_left is None
    assert view.weakest[0].mastery == 12
    assert all(c.attempts > 0 for c in view.weakest)
    assert view.total_attempts == 4 * 4
    assert all(t.concepts for t in view.topics)
    with local_db.transaction() as s:
        other = accounts.create_account(s, username="eli", password="password-e").id
    with local_db.transaction() as s:
        assert dashboard.home(s, student_id=other, now=NOW).weakest == []


def test_pending_changes_counts_the_outbox(local_db: LocalDatabase, student: str) -> None:
    with local_db.transaction() as s:
        before = dashboard.pending_changes(s)
        s.add(SyncOperation(table_name="topics", row_id="x", operation="update", payload={}, hlc="h"))
    with local_db.transaction() as s:
        assert dashboard.pending_changes(s) == before + 1


def test_a_prerequisite_cycle_from_sync_leaves_out_the_newest_edge(local_db: LocalDatabase, student: str) -> None:
    # Two teachers each published a sound version: together "expressions need linear
    # equations" and "linear equations need expressions" would lock both for ever.
    with local_db.transaction() as s:
        linear = s.scalar(select(Topic).where(Topic.name == "Linear equations and inequalities"))
        expressions = s.scalar(select(Topic).where(Topic.name == "Algebraic expressions"))
        s.add(TopicPrerequisite(topic_id=expressions.id, prerequisite_id=linear.id))
    with local_db.transaction() as s:
        tree = dashboard.syllabus_tree(s, student_id=student)
        content = learner.content(s)
    assert _find(tree, "Linear equations and inequalities").needs == ["Algebraic expressions"]
    assert _find(tree, "Algebraic expressions").needs == ["Fractions, decimals and percentages"]
    assert linear.id not in content.syllabus.topic_by_id[expressions.id].prerequisites
    assert expressions.id in content.syllabus.topic_by_id[linear.id].prerequisites
