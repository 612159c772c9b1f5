"""The local database survives a crash: a process killed with SIGKILL (no cleanup, no
atexit, as when a laptop loses power or the OS kills the app) leaves a consistent database.

Consistent means what a student would notice, checked on the real file afterwards:
- SQLite's integrity check passes and no foreign key dangles;
- every answer counts in its concept's mastery (the stored totals equal those rebuilt from
  the attempts by `recompute_mastery`), so progress never shows less than was done — or,
  for answers pulled from the server, the student is on the sync client's persisted list of
  mastery still to recompute (sync_state `sync_mastery_stale`, done at the next round);
- every answer made on this device has its outbox row and every outbox row for an answer
  has its answer (the transactional outbox): nothing is lost to the server, nothing phantom
  is sent;
- no half-written answer: each has its clock stamp, its field stamps and its mastery row.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import ConceptMastery
from desktop_app.db.session import DB_FILENAME
from desktop_app.services import learner
from desktop_app.services.progress import recompute_mastery
from tests.desktop_app.clirun import cli_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
PASSWORD = "correct horse battery"


def _count(path: Path, sql: str) -> int:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error:
        return 0
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return 0  # not created or not migrated yet
    finally:
        conn.close()


def _start(*args: str | Path, log_dir: Path) -> subprocess.Popen[bytes]:
    env = cli_env(log_dir, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", ADAPTIVE_LEARNING_PASSWORD=PASSWORD)
    return subprocess.Popen([sys.executable, "-m", "desktop_app", *map(str, args)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _run(*args: str | Path, log_dir: Path) -> None:
    process = _start(*args, log_dir=log_dir)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()


def _kill(process: subprocess.Popen[bytes]) -> bool:
    """SIGKILL now; True if it was still running (killed mid-work), False if it had finished."""
    still_running = process.poll() is None
    if still_running:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    return still_running


def _wait_until(condition, process: subprocess.Popen[bytes], timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the process ended early: {process.stderr.read().decode() if process.stderr else ''}"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _stale_students(conn: sqlite3.Connection) -> set[str]:
    row = conn.execute("SELECT value FROM sync_state WHERE key = 'sync_mastery_stale'").fetchone()
    return set(json.loads(row[0])) if row and row[0] else set()


def assert_consistent(data_dir: Path, *, allow_stale: bool = False) -> dict[str, int]:
    """Every promise in the module docstring, on the database in `data_dir`; returns counts.

    `allow_stale`: a pull may have been cut off between applying a page and recomputing the
    mastery it changed; the students concerned must then be on the persisted stale list."""
    path = data_dir / DB_FILENAME
    conn = sqlite3.connect(path)
    try:
        stale = _stale_students(conn)
        assert allow_stale or not stale, f"mastery left to recompute for {stale}"
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        device = conn.execute("SELECT value FROM sync_state WHERE key = 'device_id'").fetchone()[0]
        unqueued = conn.execute(
            "SELECT count(*) FROM question_attempts a WHERE a.device_id = ? AND NOT EXISTS (SELECT 1 FROM "
            "sync_operations o WHERE o.table_name = 'question_attempts' AND o.row_id = a.id)", (device,)).fetchone()[0]
        assert unqueued == 0, f"{unqueued} answers made here have no outbox row"
        phantom = conn.execute(
            "SELECT count(*) FROM sync_operations o WHERE o.table_name = 'question_attempts' AND NOT EXISTS "
            "(SELECT 1 FROM question_attempts a WHERE a.id = o.row_id)").fetchone()[0]
        assert phantom == 0, f"{phantom} outbox rows for answers that do not exist"
        half = [r[0] for r in conn.execute(
            "SELECT a.student_id FROM question_attempts a WHERE a.hlc = '' OR a.field_stamps IN ('', '{}') OR NOT EXISTS "
            "(SELECT 1 FROM questions q JOIN concept_mastery m ON m.concept_id = q.concept_id "
            " WHERE q.id = a.question_id AND m.student_id = a.student_id)") if r[0] not in stale]
        assert not half, f"{len(half)} half-written answers"
        per_concept = dict(((s, c), n) for s, c, n in conn.execute(
            "SELECT a.student_id, q.concept_id, count(*) FROM question_attempts a "
            "JOIN questions q ON q.id = a.question_id GROUP BY 1, 2"))
        stored = dict(((s, c), n) for s, c, n in conn.execute(
            "SELECT student_id, concept_id, total_attempts FROM concept_mastery WHERE total_attempts > 0"))
        fresh = {k: v for k, v in per_concept.items() if k[0] not in stale}
        assert {k: v for k, v in stored.items() if k[0] not in stale} == fresh, "mastery counts differ from the answers"
        counts = {"attempts": conn.execute("SELECT count(*) FROM question_attempts").fetchone()[0],
                  "students": len({s for s, _ in per_concept})}
    finally:
        conn.close()
    _assert_recompute_agrees(data_dir, skip=stale)
    return counts


def _totals(session: Any, student_id: str) -> dict[str, tuple[int, int, int]]:
    return {m.concept_id: (m.total_attempts, m.correct_attempts, m.confidence_attempts) for m in session.scalars(
        select(ConceptMastery).where(ConceptMastery.student_id == student_id))}


def _assert_recompute_agrees(data_dir: Path, *, skip: set[str]) -> None:
    learner.forget()
    db = LocalDatabase.open(data_dir)
    try:
        session = db.session()
        try:
            students = session.scalars(select(ConceptMastery.student_id).distinct()).all()
            for student in set(students) - skip:
                stored = _totals(session, student)
                recompute_mastery(session, student_id=student, now=datetime.now(timezone.utc))
                assert _totals(session, student) == stored, "rebuilding mastery from the answers changes it"
        finally:
            session.rollback()
            session.close()
    finally:
        db.close()
        learner.forget()


def test_killing_the_app_while_it_records_answers_loses_nothing_committed(tmp_path: Path) -> None:
    data, logs = tmp_path / "data", tmp_path / "logs"
    path = data / DB_FILENAME
    previous = 0
    for round_ in range(3):
        # Many answers, one transaction each; killed while it is in full flow.
        process = _start("simulate", "--student", "ann", "--answers", "100000", "--seed", str(round_),
                         "--data-dir", data, log_dir=logs)
        try:
            _wait_until(lambda: _count(path, "SELECT count(*) FROM question_attempts") >= previous + 15, process)
            time.sleep(0.1 * round_)  # a different moment of the answer's transaction each round
        finally:
            assert _kill(process), "the simulation finished before it was killed"
        counts = assert_consistent(data)
        assert counts["attempts"] >= previous + 15  # what was seen committed is still there
        previous = counts["attempts"]


def _server_attempts(home: Path, school: Path, logs: Path) -> tuple[int, int]:
    """(answers on the first laptop, answers the second laptop has after a full sync)."""
    _run("sync", "--data-dir", school, log_dir=logs)
    return (_count(home / DB_FILENAME, "SELECT count(*) FROM question_attempts"),
            _count(school / DB_FILENAME, "SELECT count(*) FROM question_attempts"))


@pytest.mark.postgres
@pytest.mark.slow
def test_killing_a_sync_at_any_moment_leaves_both_laptops_consistent(live: Any, tmp_path: Path) -> None:
    home, school, logs = tmp_path / "home", tmp_path / "school", tmp_path / "logs"
    _run("simulate", "--student", "alice", "--answers", "120", "--data-dir", home, log_dir=logs)
    _run("register", "--data-dir", home, "--server", live.url, "--username", "alice", log_dir=logs)
    _run("login", "--data-dir", school, "--server", live.url, "--username", "alice", log_dir=logs)

    # How long one round takes here (machines differ): kills are placed within it.
    _run("simulate", "--student", "alice", "--answers", "10", "--seed", "1", "--data-dir", home, log_dir=logs)
    started = time.monotonic()
    pushing, pulling = _start("sync", "--data-dir", home, log_dir=logs), _start("sync", "--data-dir", school, log_dir=logs)
    ends = []
    for process in (pushing, pulling):
        process.communicate(timeout=300)
        assert process.returncode == 0
        ends.append(time.monotonic() - started)
    round_time = min(ends)

    # Killed at growing moments of a round: while starting, pushing, pulling or applying.
    interrupted: list[bool] = []
    for i, share in enumerate((0.3, 0.45, 0.6, 0.7, 0.8, 0.9)):
        _run("simulate", "--student", "alice", "--answers", "10", "--seed", str(10 + i), "--data-dir", home,
             log_dir=logs)  # new work queued on the first laptop
        pushing = _start("sync", "--data-dir", home, log_dir=logs)
        pulling = _start("sync", "--data-dir", school, log_dir=logs)
        time.sleep(share * round_time)
        interrupted += [_kill(pushing), _kill(pulling)]
        assert_consistent(home, allow_stale=True)
        assert_consistent(school, allow_stale=True)

    print(f"round {round_time:.2f} s; killed mid-work: {interrupted}")
    assert sum(interrupted) >= 4, "too few syncs were still running when killed: the test proved little"

    # After the crashes a normal sync completes, with every answer once on both laptops.
    _run("sync", "--data-dir", home, log_dir=logs)
    made, received = _server_attempts(home, school, logs)
    assert made == received == 120 + 7 * 10
    assert _count(home / DB_FILENAME, "SELECT count(*) FROM sync_operations WHERE status = 'pending'") == 0
    assert_consistent(home)
    assert_consistent(school)
