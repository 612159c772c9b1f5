"""A student who updates the app keeps everything: opening an old database upgrades it in place.

How it stays generic: RELEASES maps each schema revision that shipped to SQL that puts at
least one row in every table of that schema (the test fails if a table is left empty, so
the fixture cannot silently fall behind). From each release the database is opened with
`LocalDatabase.open`, exactly as the app does on start, and every row must still be there
with every value it had, at each step of the history and at head. When a release ships,
add its revision and rows here; a migration that rewrites values on purpose lists them in
TRANSFORMED with the reason.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from desktop_app.backup import automatic_backups, head_revision
from desktop_app.db import migrate
from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import ConceptMastery
from desktop_app.db.session import DB_FILENAME, make_engine, sqlite_url
from desktop_app.services import learner, practice

STUDENT = "01937a00-0000-7000-8000-000000000001"
TEACHER = "01937a00-0000-7000-8000-000000000002"
QUESTION = "01937a00-0000-7000-8000-000000000031"
QUESTION_2 = "01937a00-0000-7000-8000-000000000032"
DEVICE = "d3v1ce0000000000000000000000abcd"
STAMP = f"000001767607200000:000000:{DEVICE}"[3:]  # 15-digit wall ms, 6-digit counter, device

# Release 0001: the first schema students installed. Columns are named, so the SQL says
# what each value is; timestamps are stored as SQLAlchemy stores them on SQLite.
RELEASE_0001 = [
    f"""INSERT INTO users (id, username, password_hash, role, display_name, created_at) VALUES
        ('{STUDENT}', 'ann', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaA', 'student', 'Ann Smith',
         '2026-01-05 10:00:00.000000'),
        ('{TEACHER}', 'mr_t', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaA', 'teacher', NULL,
         '2026-01-04 09:00:00.000000')""",
    f"""INSERT INTO classes (id, name, teacher_id, join_code, created_at, hlc, field_stamps, deleted) VALUES
        ('01937a00-0000-7000-8000-000000000003', 'Year 11 Maths', '{TEACHER}', 'JOIN42', '2026-01-04 09:05:00.000000',
         '{STAMP}', '{{"name": "{STAMP}"}}', 0)""",
    f"""INSERT INTO topics (id, bank_id, local_id, name, description, parent_id, exam_weightage, estimated_hours,
                            position, hlc, field_stamps, deleted) VALUES
        ('01937a00-0000-7000-8000-000000000011', 'gcse', 'number', 'Number', 'Whole numbers — and fractions ½',
         NULL, 0.25, 6.0, 0, '{STAMP}', '{{}}', 0),
        ('01937a00-0000-7000-8000-000000000012', 'gcse', 'algebra', 'Algebra', NULL,
         NULL, 0.35, 8.5, 1, '{STAMP}', '{{}}', 0)""",
    f"""INSERT INTO topic_prerequisites (id, topic_id, prerequisite_id, hlc, field_stamps, deleted) VALUES
        ('01937a00-0000-7000-8000-000000000013', '01937a00-0000-7000-8000-000000000012',
         '01937a00-0000-7000-8000-000000000011', '{STAMP}', '{{}}', 0)""",
    f"""INSERT INTO concepts (id, topic_id, local_id, name, description, position, model_params, hlc, field_stamps,
                              deleted) VALUES
        ('01937a00-0000-7000-8000-000000000021', '01937a00-0000-7000-8000-000000000011', 'fractions',
         'Fractions', 'Adding and simplifying', 0, '{{"intercept": 0.4}}', '{STAMP}', '{{}}', 0)""",
    f"""INSERT INTO questions (id, concept_id, local_id, type, text, options, correct_answer, tolerance, difficulty,
                               explanation, model_params, hlc, field_stamps, deleted) VALUES
        ('{QUESTION}', '01937a00-0000-7000-8000-000000000021', 'q1', 'mcq', 'What is 1/2 + 1/4?',
         '["3/4", "2/6", "1/8"]', '3/4', NULL, 2, 'Use a common denominator: 2/4 + 1/4.', NULL, '{STAMP}', '{{}}', 0),
        ('{QUESTION_2}', '01937a00-0000-7000-8000-000000000021', 'q2', 'numerical', 'Write 3/8 as a decimal.',
         NULL, '0.375', 0.001, 3, '3 ÷ 8 = 0.375', '{{"difficulty": 0.2}}', '{STAMP}', '{{}}', 0)""",
    f"""INSERT INTO student_profiles (id, user_id, class_id, grade, target_exam, exam_date, available_hours_per_day,
                                      hlc, field_stamps, deleted) VALUES
        ('01937a00-0000-7000-8000-000000000041', '{STUDENT}', '01937a00-0000-7000-8000-000000000003', 'Year 11',
         'GCSE Mathematics', '2026-06-10', 1.5, '{STAMP}', '{{"exam_date": "{STAMP}"}}', 0)""",
    f"""INSERT INTO question_attempts (id, student_id, question_id, answer, is_correct, time_taken_seconds, confidence,
                                       timestamp, device_id, hlc, field_stamps, deleted) VALUES
        ('01937a00-0000-7000-8000-000000000051', '{STUDENT}', '{QUESTION}', '3/4', 1, 21.5, 4,
         '2026-01-06 16:00:00.000000', '{DEVICE}', '{STAMP}', '{{}}', 0)""",
    f"""INSERT INTO concept_mastery (id, student_id, concept_id, total_attempts, correct_attempts, avg_time_seconds,
                                     avg_confidence, confidence_attempts, mastery_score, last_practised_at,
                                     updated_at) VALUES
        ('01937a00-0000-7000-8000-000000000061', '{STUDENT}', '01937a00-0000-7000-8000-000000000021', 1, 1, 21.5,
         4.0, 1, 64.25, '2026-01-06 16:00:00.000000', '2026-01-06 16:00:00.000000')""",
    f"""INSERT INTO study_plans (id, student_id, created_at, exam_date, plan, statement, hlc, field_stamps, deleted)
        VALUES ('01937a00-0000-7000-8000-000000000071', '{STUDENT}', '2026-01-06 16:05:00.000000', '2026-06-10',
                '{{"days": []}}', 'Everything fits.', '{STAMP}', '{{}}', 0)""",
    f"""INSERT INTO sync_operations (id, table_name, row_id, operation, payload, hlc, created_at, status, tries,
                                     last_error) VALUES
        ('01937a00-0000-7000-8000-000000000081', 'question_attempts', '01937a00-0000-7000-8000-000000000051',
         'insert', '{{"answer": "3/4"}}', '{STAMP}', '2026-01-06 16:00:00.000000', 'pending', 2,
         'server unreachable')""",
    f"""INSERT INTO sync_state (key, value) VALUES ('device_id', '{DEVICE}'), ('hlc_last', '{STAMP}'),
        ('pull_cursor', '1234')""",
]
RELEASES: dict[str, list[str]] = {"0001": RELEASE_0001}

# (table, column) -> why a migration changes its values on purpose. None so far.
TRANSFORMED: dict[tuple[str, str], str] = {}

Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


def _snapshot(path: Path) -> Snapshot:
    """Every row of every table, keyed by primary key: what a student's data is, byte for byte."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version'")]
        result: Snapshot = {}
        for table in tables:
            info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
            columns = [c[1] for c in info]
            key = [c[1] for c in sorted(info, key=lambda c: c[5]) if c[5] > 0]
            rows = conn.execute(f'SELECT {", ".join(columns)} FROM "{table}"').fetchall()
            result[table] = {tuple(r[columns.index(k)] for k in key): dict(zip(columns, r)) for r in rows}
        return result
    finally:
        conn.close()


def _revision(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()


def _database_at(data_dir: Path, release: str) -> Path:
    engine = make_engine(sqlite_url(data_dir))
    migrate.upgrade(engine, release)
    with engine.begin() as conn:
        for statement in RELEASES[release]:
            conn.exec_driver_sql(statement)
    engine.dispose()
    return data_dir / DB_FILENAME


def _assert_kept(before: Snapshot, after: Snapshot) -> None:
    for table, rows in before.items():
        assert table in after, f"table {table} disappeared"
        for key, row in rows.items():
            assert key in after[table], f"{table} row {key} disappeared"
            kept = after[table][key]
            for column, value in row.items():
                if (table, column) in TRANSFORMED:
                    continue
                assert column in kept, f"{table}.{column} disappeared"
                assert kept[column] == value, f"{table}.{column} of {key}: {value!r} became {kept[column]!r}"
        assert len(after[table]) == len(rows), f"{table} gained or lost rows"


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_opening_a_previous_release_database_keeps_every_row(tmp_path: Path, release: str) -> None:
    path = _database_at(tmp_path, release)
    before = _snapshot(path)
    empty = sorted(t for t, rows in before.items() if not rows)
    assert not empty, f"RELEASES[{release!r}] leaves tables empty: {empty}"

    db = LocalDatabase.open(tmp_path)
    try:
        assert db.device_id == DEVICE  # the device keeps its identity (sync relies on it)
    finally:
        db.close()

    assert _revision(path) == head_revision()
    _assert_kept(before, _snapshot(path))
    # The copy taken before the upgrade holds the old schema and the same rows.
    [kept] = automatic_backups(tmp_path)
    assert _revision(kept) == release
    assert _snapshot(kept) == before


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_every_later_migration_keeps_the_rows(tmp_path: Path, release: str) -> None:
    """Step by step, so the migration that loses a row is the one named."""
    path = _database_at(tmp_path, release)
    before = _snapshot(path)
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    later = [s.revision for s in reversed(list(scripts.walk_revisions(base="base", head="heads")))]
    later = later[later.index(release) + 1:]
    engine = make_engine(sqlite_url(tmp_path))
    try:
        for revision in later:
            migrate.upgrade(engine, revision)
            engine.dispose()
            try:
                _assert_kept(before, _snapshot(path))
            except AssertionError as exc:
                raise AssertionError(f"upgrade to {revision}: {exc}") from None
    finally:
        engine.dispose()


def test_the_student_keeps_studying_after_the_upgrade(tmp_path: Path) -> None:
    """The upgraded data is usable: the next answer adds to the mastery carried over."""
    _database_at(tmp_path, "0001")
    learner.forget()
    db = LocalDatabase.open(tmp_path)
    try:
        with db.transaction() as session:
            choice = practice.next_question(session, student_id=STUDENT, now=datetime(2026, 2, 1, tzinfo=timezone.utc))
            assert choice is not None and choice.question.id == QUESTION_2  # never the one just answered
            practice.submit_answer(session, student_id=STUDENT, question_id=QUESTION_2, answer="0.375",
                                   time_taken_seconds=10, confidence=5, now=datetime(2026, 2, 1, tzinfo=timezone.utc))
        with db.transaction() as session:
            total = session.scalar(select(func.sum(ConceptMastery.total_attempts))
                                   .where(ConceptMastery.student_id == STUDENT))
        assert total == 2
    finally:
        db.close()
        learner.forget()


def test_the_check_notices_a_lost_row_and_a_changed_value(tmp_path: Path) -> None:
    path = _database_at(tmp_path, "0001")
    before = _snapshot(path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE question_attempts SET answer = '0.75'")
    changed = _snapshot(path)
    with conn:
        conn.execute("DELETE FROM sync_state WHERE key = 'pull_cursor'")
    conn.close()
    with pytest.raises(AssertionError, match="question_attempts.answer"):
        _assert_kept(before, changed)
    with pytest.raises(AssertionError, match="sync_state row"):
        _assert_kept(before, _snapshot(path))
