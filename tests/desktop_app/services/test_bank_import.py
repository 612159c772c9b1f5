"""Importing question banks: the sample bank, re-imports, stable ids, and every kind of bad file."""
from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.db.database import LocalDatabase
from desktop_app.db.ids import new_id
from desktop_app.db.models import Concept, Question, SyncOperation, Topic, TopicPrerequisite, User
from desktop_app.resources import SAMPLE_BANK, resource_path
from desktop_app.services import learner, practice
from desktop_app.services.bank_format import BankError, load_bank_file
from desktop_app.services.passwords import hash_password
from desktop_app.services.setup import import_bank_file, initialise

SAMPLE = resource_path(SAMPLE_BANK)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def _counts(db: LocalDatabase) -> dict[str, int]:
    with db.transaction() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
                for m in (Topic, TopicPrerequisite, Concept, Question)}


def test_sample_bank_is_a_real_syllabus() -> None:
    bank = load_bank_file(SAMPLE)
    leaves = [t for t in bank["topics"] if "exam_weightage" in t]
    assert len(bank["topics"]) >= 8 and sum(bool(t["prerequisites"]) for t in bank["topics"]) >= 8
    assert len(bank["concepts"]) >= 30 and len(bank["questions"]) >= 180
    assert sum(t["exam_weightage"] for t in leaves) == pytest.approx(100)
    per_concept = Counter(q["concept"] for q in bank["questions"])
    assert min(per_concept[c["id"]] for c in bank["concepts"]) >= 5
    assert {q["type"] for q in bank["questions"]} == {"mcq", "numerical", "true_false"}
    assert {q["difficulty"] for q in bank["questions"]} == {1, 2, 3, 4, 5}
    assert all(len(q["explanation"]) > 20 for q in bank["questions"])


def test_reimport_updates_in_place_and_duplicates_nothing(local_db: LocalDatabase) -> None:
    first = import_bank_file(local_db, SAMPLE)
    counts = _counts(local_db)
    assert counts["questions"] == first.counts["questions"]
    again = import_bank_file(local_db, SAMPLE)
    assert _counts(local_db) == counts
    assert again.created == 0 and again.updated == 0


def test_edited_bank_updates_and_tombstones_removed_questions(local_db: LocalDatabase, tmp_path: Path) -> None:
    import_bank_file(local_db, SAMPLE)
    bank = load_bank_file(SAMPLE)
    removed = bank["questions"].pop()
    bank["questions"][0]["explanation"] = "A corrected explanation that is long enough."
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(bank))
    report = import_bank_file(local_db, edited)
    assert report.updated == 1 and report.removed == 1
    with local_db.transaction() as s:
        gone = s.scalar(select(Question).where(Question.local_id == removed["id"]))
        assert gone is not None and gone.deleted
        first = s.scalar(select(Question).where(Question.local_id == bank["questions"][0]["id"]))
        assert first.explanation.startswith("A corrected")


def test_a_new_bank_version_keeps_what_a_teacher_added_under_its_topics(local_db: LocalDatabase, tmp_path: Path) -> None:
    import_bank_file(local_db, SAMPLE)
    with local_db.transaction() as s:
        concept = s.scalars(select(Concept).order_by(Concept.position)).first()
        linked = set(s.execute(select(TopicPrerequisite.topic_id, TopicPrerequisite.prerequisite_id)).all())
        topics = s.scalars(select(Topic.id).order_by(Topic.position)).all()
        second, first = next((a, b) for a in topics for b in topics if a != b and (a, b) not in linked)
        added = Question(id=new_id(), concept_id=concept.id, local_id="teacher-1", type="true_false",
                         text="Is 7 prime?", correct_answer="true", difficulty=1, explanation="Only 1 and 7 divide it.")
        link = TopicPrerequisite(id=new_id(), topic_id=second, prerequisite_id=first)
        s.add_all([added, link])
    bank = load_bank_file(SAMPLE)
    bank["version"] = "next"
    bank["questions"].pop()
    edited = tmp_path / "next.json"
    edited.write_text(json.dumps(bank))
    assert import_bank_file(local_db, edited).removed == 1  # the bank's own question, not the teacher's
    with local_db.transaction() as s:
        assert not s.get(Question, added.id).deleted and not s.get(TopicPrerequisite, link.id).deleted


def _teacher_question(db: LocalDatabase, concept_local_id: str) -> str:
    """A question a teacher added under one of the sample bank's concepts; its id."""
    with db.transaction() as s:
        concept = s.scalar(select(Concept).where(Concept.local_id == concept_local_id))
        added = Question(id=new_id(), concept_id=concept.id, local_id="teacher-1", type="true_false",
                         text="Is the teacher's question still asked?", correct_answer="true", difficulty=2,
                         explanation="It stays in practice after the bank drops its concept.")
        s.add(added)
        return added.id


def _without(tmp_path: Path, *, concepts: frozenset[str] = frozenset(), topics: frozenset[str] = frozenset()) -> Path:
    """The sample bank's next version without `topics` (and their concepts) and `concepts`."""
    bank = load_bank_file(SAMPLE)
    bank["version"] = "next"
    bank["topics"] = [t for t in bank["topics"] if t["id"] not in topics]
    for t in bank["topics"]:
        t["prerequisites"] = [p for p in t["prerequisites"] if p not in topics]
    dropped = concepts | {c["id"] for c in bank["concepts"] if c["topic"] in topics}
    bank["concepts"] = [c for c in bank["concepts"] if c["id"] not in dropped]
    bank["questions"] = [q for q in bank["questions"] if q["concept"] not in dropped]
    path = tmp_path / "next.json"
    path.write_text(json.dumps(bank))
    return path


def _student(s: Session) -> str:
    """A student account (practice needs one); its id."""
    user = User(username=f"student-{new_id()[-6:]}", password_hash=hash_password("correct horse"))
    s.add(user)
    s.flush()
    return user.id


def _offered(db: LocalDatabase, student: str, concept_id: str) -> str:
    """The question practice offers a student who practises `concept_id` (from the syllabus)."""
    learner.forget()
    with db.transaction() as s:
        shown = practice.next_question(s, student_id=student, now=NOW, focus_concept_id=concept_id)
        assert shown is not None
        return shown.question.id


def test_a_dropped_concept_stays_while_a_teachers_question_uses_it(local_db: LocalDatabase, tmp_path: Path) -> None:
    import_bank_file(local_db, SAMPLE)
    added = _teacher_question(local_db, "surds")
    report = import_bank_file(local_db, _without(tmp_path, concepts=frozenset({"surds", "standard-form"})))
    with local_db.transaction() as s:
        surds = s.scalar(select(Concept).where(Concept.local_id == "surds"))
        student = _student(s)
    assert _offered(local_db, student, surds.id) == added
    with local_db.transaction() as s:
        assert not s.get(Concept, surds.id).deleted and not s.get(Question, added).deleted
        assert s.scalar(select(Concept.deleted).where(Concept.local_id == "standard-form"))  # nobody else uses it
        bank_surds = s.scalars(select(Question.deleted).where(Question.concept_id == surds.id,
                                                              Question.id != added)).all()
        assert bank_surds and all(bank_surds)  # the bank's own questions on it are gone
    assert report.kept_concepts == ["Surds"] and report.kept_topics == []
    assert "Surds" in report.summary()


def test_a_dropped_topic_stays_with_the_concept_a_teachers_question_uses(local_db: LocalDatabase,
                                                                          tmp_path: Path) -> None:
    import_bank_file(local_db, SAMPLE)
    added = _teacher_question(local_db, "geometric-sequences")
    report = import_bank_file(local_db, _without(tmp_path, topics=frozenset({"sequences"})))
    with local_db.transaction() as s:
        concept_id = s.scalar(select(Concept.id).where(Concept.local_id == "geometric-sequences"))
        student = _student(s)
    assert _offered(local_db, student, concept_id) == added
    with local_db.transaction() as s:
        live = dict(s.execute(select(Concept.local_id, Concept.deleted)
                              .where(Concept.local_id.in_(["geometric-sequences", "arithmetic-sequences"]))).all())
        assert live == {"geometric-sequences": False, "arithmetic-sequences": True}
        assert not s.scalar(select(Topic.deleted).where(Topic.local_id == "sequences"))
    assert report.kept_topics == ["Sequences"] and report.kept_concepts == ["Geometric sequences"]
    # Once the teacher deletes their question, the next import removes what only it kept.
    with local_db.transaction() as s:
        s.get(Question, added).deleted = True
    again = import_bank_file(local_db, _without(tmp_path, topics=frozenset({"sequences"})))
    assert again.kept_topics == [] and again.kept_concepts == [] and again.removed == 2


def test_content_ids_are_the_same_on_two_laptops(tmp_path: Path) -> None:
    ids = []
    for name in ("laptop-a", "laptop-b"):
        db, _ = initialise(tmp_path / name)
        with db.transaction() as s:
            ids.append(sorted(s.scalars(select(Question.id))))
        db.close()
    assert ids[0] == ids[1] and len(ids[0]) >= 180


def test_students_import_is_not_pushed_but_a_published_one_is(local_db: LocalDatabase) -> None:
    import_bank_file(local_db, SAMPLE)
    with local_db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(SyncOperation)) == 0
        stamped = s.scalar(select(Question).limit(1))
        assert stamped.hlc and set(stamped.field_stamps) >= {"text", "correct_answer"}
    bank = load_bank_file(SAMPLE)
    bank["questions"][0]["text"] += " (corrected)"
    path = local_db.path.parent / "teacher.json"
    path.write_text(json.dumps(bank))
    import_bank_file(local_db, path, publish=True)
    with local_db.transaction() as s:
        ops = s.scalars(select(SyncOperation)).all()
    assert [(o.table_name, o.operation, set(o.payload)) for o in ops] == [("questions", "update", {"text"})]


def _broken(mutate) -> dict:  # type: ignore[no-untyped-def]
    bank = copy.deepcopy(load_bank_file(SAMPLE))
    mutate(bank)
    return bank


def _set_cycle(bank: dict) -> None:
    by_id = {t["id"]: t for t in bank["topics"]}
    by_id["fractions-decimals-percentages"]["prerequisites"] = ["quadratics"]


def _dup(bank: dict) -> None:
    bank["questions"][3]["id"] = bank["questions"][2]["id"]


def _bad_answer(bank: dict) -> None:
    q = next(q for q in bank["questions"] if q["type"] == "mcq")
    q["answer"] = "not an option"


def _negative(bank: dict) -> None:
    bank["topics"][5]["exam_weightage"] = -3


def _params_as_list(bank: dict) -> None:
    bank["concepts"][1]["model_params"] = ["intercept"]


def _params_as_text(bank: dict) -> None:
    bank["questions"][4]["model_params"] = {"difficulty": "hard"}


def _too_large(bank: dict) -> None:
    bank["topics"][2]["estimated_hours"] = 10 ** 400  # json.loads gives an int too large for a float


@pytest.mark.parametrize(("mutate", "expected"), [
    (_too_large, "topics[2].estimated_hours: must be a number >= 0"),
    (_params_as_list, "concepts[1].model_params: must be an object of numbers"),
    (_params_as_text, "questions[4].model_params: 'difficulty' must be a finite number, got 'hard'"),
    (_set_cycle, "Fractions, decimals and percentages -> Quadratics"),
    (_dup, "questions[3].id: duplicate id"),
    (_bad_answer, "is not among its options"),
    (_negative, "topics[5].exam_weightage: must be a number >= 0"),
])
def test_bad_bank_is_refused_whole_and_changes_nothing(local_db: LocalDatabase, tmp_path: Path, mutate, expected) -> None:  # type: ignore[no-untyped-def]
    import_bank_file(local_db, SAMPLE)
    before = _counts(local_db)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_broken(mutate)))
    with pytest.raises(BankError) as caught:
        import_bank_file(local_db, path)
    assert any(expected in p for p in caught.value.problems), caught.value.problems
    assert _counts(local_db) == before


def test_every_problem_is_reported_with_its_location(tmp_path: Path) -> None:
    def many(bank: dict) -> None:
        _dup(bank)
        _bad_answer(bank)
        bank["questions"][20]["difficulty"] = 9
        bank["concepts"][1]["topic"] = "nowhere"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_broken(many)))
    with pytest.raises(BankError) as caught:
        load_bank_file(path)
    text = "\n".join(caught.value.problems)
    assert "questions[3].id" in text and "questions[20].difficulty" in text
    assert "concepts[1].topic: unknown topic 'nowhere'" in text and "not among its options" in text


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "format": "adaptive-learning-bank/1",\n  "id": \n}')
    with pytest.raises(BankError, match="line 4, column 1: invalid JSON"):
        load_bank_file(path)
