"""The headless commands as a person runs them: real processes, a real server, exit codes."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.postgres
PASSWORD = "correct horse battery"


def run(*args: str, password: str | None = PASSWORD, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}  # no OS keyring on CI
    env.pop("ADAPTIVE_LEARNING_PASSWORD", None)
    if password is not None:
        env["ADAPTIVE_LEARNING_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "desktop_app", *args], capture_output=True, text=True,
                          timeout=180, env=env, input=stdin)


def count(data_dir: Path, sql: str) -> int:
    with sqlite3.connect(data_dir / "adaptive-learning.sqlite3") as conn:
        return conn.execute(sql).fetchone()[0]


def test_register_sync_and_a_second_laptop_receives_everything(live: Any, tmp_path: Path) -> None:
    home, school = tmp_path / "home", tmp_path / "school"
    made = run("simulate", "--data-dir", str(home), "--student", "alice", "--answers", "25")
    assert made.returncode == 0, made.stderr
    reg = run("register", "--data-dir", str(home), "--server", live.url, "--username", "alice")
    assert reg.returncode == 0, reg.stderr
    assert "keyring" in reg.stderr  # told once where the token went
    secrets = home / "secrets.json"
    assert secrets.exists() and secrets.stat().st_mode & 0o077 == 0
    assert count(home, "SELECT count(*) FROM sync_state WHERE value LIKE '%" + "token" + "%'") == 0
    first = run("sync", "--data-dir", str(home))
    assert first.returncode == 0, first.stderr
    assert "pushed" in first.stdout and "0 pending" in first.stdout

    login = run("login", "--data-dir", str(school), "--server", live.url, "--username", "alice", password=None,
                stdin=PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    second = run("sync", "--data-dir", str(school))
    assert second.returncode == 0, second.stderr
    for table in ("question_attempts", "student_profiles", "concept_mastery"):
        assert count(school, f"SELECT count(*) FROM {table}") == count(home, f"SELECT count(*) FROM {table}") > 0


def test_failures_exit_non_zero_with_one_line(live: Any, tmp_path: Path) -> None:
    data = tmp_path / "d"
    not_signed_in = run("sync", "--data-dir", str(data))
    assert not_signed_in.returncode == 1 and "not signed in" in not_signed_in.stderr
    assert run("register", "--data-dir", str(data), "--server", live.url, "--username", "bob").returncode == 0
    wrong = run("login", "--data-dir", str(tmp_path / "e"), "--server", live.url, "--username", "bob",
                password="wrong password")
    assert wrong.returncode == 1 and wrong.stderr.strip() == "adaptive-learning: wrong username or password"
    down = run("sync", "--data-dir", str(data), "--server", "http://127.0.0.1:9")
    assert down.returncode == 1 and len(down.stderr.strip().splitlines()) == 1
    assert "cannot reach" in down.stderr and "queued" in down.stderr
    assert run("sync", "--data-dir", str(data), "--server", live.url).returncode == 0
    out = run("logout", "--data-dir", str(data))
    assert out.returncode == 0
    expired = run("sync", "--data-dir", str(data))
    assert expired.returncode == 1 and "login" in expired.stderr


def test_a_teacher_registers_with_the_servers_teacher_code(live: Any, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.sync_server.conftest import TEACHER_CODE
    refused = run("register", "--data-dir", str(tmp_path / "t"), "--server", live.url, "--username", "ms-a",
                  "--role", "teacher")
    assert refused.returncode == 1 and "ADAPTIVE_LEARNING_TEACHER_CODE" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    monkeypatch.setenv("ADAPTIVE_LEARNING_TEACHER_CODE", TEACHER_CODE)  # a secret: not a command-line argument
    made = run("register", "--data-dir", str(tmp_path / "t"), "--server", live.url, "--username", "ms-a",
               "--role", "teacher")
    assert made.returncode == 0, made.stderr
    assert "(teacher)" in made.stdout
