"""The sample bank on start: loaded once per version, with a server stamp, into the change log."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from desktop_app.db.ids import content_id, new_id
from desktop_app.db.models import Question
from desktop_app.resources import SAMPLE_BANK, resource_path
from sync_server.bank import load_bank
from sync_server.db import Database


def _count(db: Database, sql: str, *params: object) -> int:
    return db.run(lambda conn: conn.execute(sql, params).fetchone()[0])


def test_the_sample_bank_loads_once_and_enters_the_change_log(db: Database) -> None:
    report = load_bank(db)
    assert report is not None and report.counts["questions"] >= 180
    rows = sum(_count(db, f"SELECT count(*) FROM {t}") for t in ("topics", "topic_prerequisites", "concepts",
                                                                  "questions"))
    assert _count(db, "SELECT count(*) FROM server_changes WHERE owner_id IS NULL") == rows
    assert _count(db, "SELECT count(*) FROM questions WHERE hlc NOT LIKE '%%:server'") == 0
    assert load_bank(db) is None  # same version: a restart does not overwrite later edits
    assert _count(db, "SELECT max(seq) FROM server_changes") == rows


def test_a_newer_version_of_the_bank_is_applied_with_a_newer_stamp(db: Database, tmp_path: Path) -> None:
    load_bank(db)
    bank = json.loads(resource_path(SAMPLE_BANK).read_text(encoding="utf-8"))
    before = _count(db, "SELECT max(seq) FROM server_changes")
    newer = copy.deepcopy(bank)
    newer["version"] = bank["version"] + 1
    newer["questions"][0]["text"] = "Reworded: " + bank["questions"][0]["text"]
    path = tmp_path / "bank.json"
    path.write_text(json.dumps(newer), encoding="utf-8")
    report = load_bank(db, path)
    assert report is not None and report.updated == 1
    qid = content_id(bank["id"], "question", bank["questions"][0]["id"])
    text, stamp = db.run(lambda conn: conn.execute("SELECT text, field_stamps->>'text' FROM questions WHERE id = %s",
                                                   (qid,)).fetchone())
    assert text.startswith("Reworded: ") and stamp.endswith(":server")
    assert db.run(lambda conn: conn.execute("SELECT seq FROM server_changes WHERE row_id = %s",
                                            (qid,)).fetchone()[0]) == before + 1


def test_a_newer_version_keeps_a_dropped_concept_a_teachers_question_uses(db: Database, tmp_path: Path) -> None:
    load_bank(db)
    bank = json.loads(resource_path(SAMPLE_BANK).read_text(encoding="utf-8"))
    concept = content_id(bank["id"], "concept", "surds")
    teachers = new_id()
    with db.session() as session:  # as a teacher's push stores it
        stamp = db.stamp_after()
        session.add(Question(id=teachers, concept_id=concept, local_id="teacher-1", type="true_false",
                             text="Is the square root of 2 rational?", correct_answer="false", difficulty=2,
                             explanation="It cannot be written as a fraction.", hlc=stamp,
                             field_stamps={"text": stamp}))
    before = _count(db, "SELECT max(seq) FROM server_changes")
    newer = copy.deepcopy(bank)
    newer["version"] = bank["version"] + 1
    newer["concepts"] = [c for c in bank["concepts"] if c["id"] != "surds"]
    newer["questions"] = [q for q in bank["questions"] if q["concept"] != "surds"]
    path = tmp_path / "bank.json"
    path.write_text(json.dumps(newer), encoding="utf-8")
    report = load_bank(db, path)
    assert _count(db, "SELECT count(*) FROM concepts WHERE id = %s AND NOT deleted", concept) == 1
    # Devices pull no tombstone for it, so the teacher's question stays in their students' practice.
    assert _count(db, "SELECT count(*) FROM server_changes WHERE row_id = %s AND seq > %s", concept, before) == 0
    assert _count(db, "SELECT count(*) FROM questions WHERE id = %s AND NOT deleted", teachers) == 1
    assert report is not None and report.kept_concepts == ["Surds"]
    assert report.removed == sum(q["concept"] == "surds" for q in bank["questions"])
