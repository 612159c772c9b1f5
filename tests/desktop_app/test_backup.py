"""Backups a student can rely on: taken while the app writes, checked before a restore,
and made automatically before every schema upgrade."""
from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from desktop_app.backup import (
    KEEP_AUTOMATIC, BackupError, automatic_backups, backup_before_upgrade, head_revision,
)
from desktop_app.db import migrate
from desktop_app.db.database import LocalDatabase
from desktop_app.db.ids import DEVICE_KEY
from desktop_app.db.session import DB_FILENAME, make_engine, sqlite_url
from desktop_app.services import learner
from desktop_app.services.setup import initialise
from desktop_app.services.simulate import simulate
from tests.conftest import wait_for
from tests.desktop_app.clirun import run_cli, start_cli


def _query(path: Path, sql: str) -> object:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def _attempts(path: Path) -> int:
    try:
        return int(_query(path, "SELECT count(*) FROM question_attempts"))  # type: ignore[arg-type]
    except sqlite3.Error:
        return 0  # not created or not migrated yet


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _studied(data_dir: Path, answers: int, *, student: str = "ann") -> None:
    db, _ = initialise(data_dir)
    try:
        simulate(db, student=student, answers=answers, seed=1)
    finally:
        db.close()
        learner.forget()


# --- backup ------------------------------------------------------------------------------

def test_backup_while_the_app_is_writing_is_a_complete_consistent_copy(tmp_path: Path) -> None:
    data, live = tmp_path / "data", tmp_path / "data" / DB_FILENAME
    writer = start_cli("simulate", "--student", "ann", "--answers", "100000", "--data-dir", data,
                       log_dir=tmp_path / "logs")
    copies: list[Path] = []
    try:
        wait_for(lambda: _attempts(live) >= 5, timeout=120.0, pause=0.2)
        for i in range(3):
            seen = _attempts(live)
            result = run_cli("backup", "--data-dir", data, "--out", tmp_path / f"copy{i}.sqlite3",
                             log_dir=tmp_path / "logs")
            assert result.returncode == 0, result.stderr
            assert f"Backed up to {tmp_path / f'copy{i}.sqlite3'}" in result.stdout
            copies.append(tmp_path / f"copy{i}.sqlite3")
            wait_for(lambda: _attempts(live) > seen + 2, timeout=120.0, pause=0.2)  # the next copy is taken mid-stream too
        assert writer.poll() is None, "the writer stopped: the backups were not taken while it wrote"
    finally:
        writer.kill()
        writer.wait()

    counts = []
    for copy in copies:
        assert not Path(f"{copy}-wal").exists()  # one self-contained file
        assert _query(copy, "PRAGMA integrity_check") == "ok"
        assert _query(copy, "PRAGMA journal_mode") == "delete"
        attempts = _attempts(copy)
        # Every answer in the copy is whole: its outbox row and its mastery count came along.
        assert _query(copy, "SELECT count(*) FROM sync_operations WHERE table_name = 'question_attempts'") == attempts
        assert _query(copy, "SELECT coalesce(sum(total_attempts), 0) FROM concept_mastery") == attempts
        counts.append(attempts)
    assert counts == sorted(counts) and counts[0] < counts[-1]


def test_backup_into_a_folder_gets_a_dated_name_and_a_missing_database_is_refused(tmp_path: Path) -> None:
    _studied(tmp_path / "data", 3)
    (tmp_path / "out").mkdir()
    done = run_cli("backup", "--data-dir", tmp_path / "data", "--out", tmp_path / "out", log_dir=tmp_path / "logs")
    assert done.returncode == 0, done.stderr
    [made] = (tmp_path / "out").iterdir()
    assert made.name.startswith("adaptive-learning-") and made.suffix == ".sqlite3"
    assert _attempts(made) == 3
    refused = run_cli("backup", "--data-dir", tmp_path / "empty", "--out", tmp_path / "x.sqlite3",
                      log_dir=tmp_path / "logs")
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"adaptive-learning: no database in {tmp_path / 'empty'}"


# --- restore -----------------------------------------------------------------------------

def test_restore_puts_the_backup_back_and_keeps_the_replaced_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _studied(data, 4)
    backup = tmp_path / "monday.sqlite3"
    assert run_cli("backup", "--data-dir", data, "--out", backup, log_dir=tmp_path / "logs").returncode == 0
    _studied(data, 3)
    assert _attempts(data / DB_FILENAME) == 7

    result = run_cli("restore", "--data-dir", data, backup, log_dir=tmp_path / "logs")
    assert result.returncode == 0, result.stderr
    assert _attempts(data / DB_FILENAME) == 4
    [replaced] = data.glob(f"{DB_FILENAME}.replaced-*")
    assert _attempts(replaced) == 7  # nothing is lost by restoring the wrong file
    assert f"The previous database is kept at {replaced}" in result.stdout
    assert "4 answers" in result.stdout
    # The restored database opens and the student goes on from there.
    _studied(data, 1)
    assert _attempts(data / DB_FILENAME) == 5


def _device(data: Path) -> str:
    return _device_of(data / DB_FILENAME)


def _device_of(database: Path) -> str:
    return str(_query(database, f"SELECT value FROM sync_state WHERE key = '{DEVICE_KEY}'"))


def test_a_restored_backup_is_this_laptops_device_not_the_one_that_made_it(tmp_path: Path) -> None:
    laptop_a, laptop_b, new_laptop = tmp_path / "a", tmp_path / "b", tmp_path / "new"
    _studied(laptop_a, 3)
    _studied(laptop_b, 2, student="bea")
    backup = tmp_path / "a.sqlite3"
    assert run_cli("backup", "--data-dir", laptop_a, "--out", backup, log_dir=tmp_path / "logs").returncode == 0
    b_device = _device(laptop_b)
    for data in (laptop_b, new_laptop):
        result = run_cli("restore", "--data-dir", data, backup, log_dir=tmp_path / "logs")
        assert result.returncode == 0, result.stderr
        assert _attempts(data / DB_FILENAME) == 3
    # B keeps its own id (and with it its sign-in); a laptop with no database gets a new one.
    assert _device(laptop_b) == b_device
    assert len({_device(laptop_a), _device(laptop_b), _device(new_laptop)}) == 3
    assert _device_of(backup) == _device(laptop_a)


def _foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()


def _from_the_future(path: Path, good: Path) -> None:
    path.write_bytes(good.read_bytes())
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = 'f9999_from_a_newer_release'")
    conn.commit()
    conn.close()


def _damaged(path: Path, good: Path) -> None:
    path.write_bytes(good.read_bytes())
    page_size = int(_query(path, "PRAGMA page_size"))  # type: ignore[arg-type]
    root = int(_query(path, "SELECT rootpage FROM sqlite_master WHERE name = 'question_attempts'"))  # type: ignore[arg-type]
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\x00" * 64)  # an invalid b-tree page header


@pytest.mark.parametrize(("kind", "reason"), [
    ("missing", "no such file"),
    ("text", "is not a SQLite database"),
    ("foreign", "is not an Adaptive Learning database"),
    ("future", "does not know (was it made by a newer version?)"),
    ("damaged", "is damaged"),
])
def test_restore_refuses_a_bad_file_and_changes_nothing(tmp_path: Path, kind: str, reason: str) -> None:
    data = tmp_path / "data"
    _studied(data, 2)
    good = tmp_path / "good.sqlite3"
    assert run_cli("backup", "--data-dir", data, "--out", good, log_dir=tmp_path / "logs").returncode == 0
    candidate = tmp_path / f"{kind}.sqlite3"
    if kind == "text":
        candidate.write_text("these are my revision notes, not a database\n")
    elif kind == "foreign":
        _foreign(candidate)
    elif kind == "future":
        _from_the_future(candidate, good)
    elif kind == "damaged":
        _damaged(candidate, good)
    before = _sha(data / DB_FILENAME)

    result = run_cli("restore", "--data-dir", data, candidate, log_dir=tmp_path / "logs")

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("adaptive-learning: ") and reason in line and line.endswith("nothing was changed")
    assert _sha(data / DB_FILENAME) == before
    assert sorted(p.name for p in data.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [DB_FILENAME]


def test_restore_refuses_while_the_app_has_the_database_open(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _studied(data, 2)
    good = tmp_path / "good.sqlite3"
    assert run_cli("backup", "--data-dir", data, "--out", good, log_dir=tmp_path / "logs").returncode == 0
    db = LocalDatabase.open(data)
    try:
        with db.engine.connect():  # the app holds a connection, as the GUI's worker does
            result = run_cli("restore", "--data-dir", data, good, log_dir=tmp_path / "logs")
    finally:
        db.close()
    assert result.returncode == 1
    assert "the database is in use: close Adaptive Learning" in result.stderr
    assert not list(data.glob("*.replaced-*"))


# --- automatic backups before upgrades ----------------------------------------------------

def _database_at(data_dir: Path, revision: str) -> Path:
    engine = make_engine(sqlite_url(data_dir))
    migrate.upgrade(engine, revision)
    engine.dispose()
    return data_dir / DB_FILENAME


def test_an_upgrade_is_preceded_by_a_backup_and_the_last_five_are_kept(tmp_path: Path) -> None:
    _database_at(tmp_path, "0001")
    start = datetime(2026, 3, 1, 12, 0, 0)
    made = [backup_before_upgrade(tmp_path, now=start + timedelta(minutes=i)) for i in range(KEEP_AUTOMATIC + 2)]
    assert all(made)
    kept = automatic_backups(tmp_path)
    assert kept == made[-KEEP_AUTOMATIC:]

    db = LocalDatabase.open(tmp_path)
    db.close()
    after = automatic_backups(tmp_path)
    assert len(after) == KEEP_AUTOMATIC and after[-1] not in made
    assert _query(after[-1], "SELECT version_num FROM alembic_version") == "0001"
    assert "schema-0001" in after[-1].name
    assert _query(tmp_path / DB_FILENAME, "SELECT version_num FROM alembic_version") == head_revision()

    LocalDatabase.open(tmp_path).close()  # already current: no new copy
    assert automatic_backups(tmp_path) == after


def test_a_new_database_needs_no_backup(tmp_path: Path) -> None:
    LocalDatabase.open(tmp_path).close()
    assert not (tmp_path / "backups").exists()


def test_no_upgrade_without_its_backup(tmp_path: Path) -> None:
    path = _database_at(tmp_path, "0001")
    (tmp_path / "backups").write_text("a file where the backups folder should be")
    with pytest.raises(BackupError, match="could not back up the database before upgrading it"):
        LocalDatabase.open(tmp_path)
    assert _query(path, "SELECT version_num FROM alembic_version") == "0001"
