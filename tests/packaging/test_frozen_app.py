"""The app as students install it: built with PyInstaller from a clean environment, then run.

The module builds `dist/AdaptiveLearning` once (`packaging/build.py --if-stale` reuses a build
of exactly these sources) — about a minute and a half here, most of it PyInstaller — and
runs the frozen executable as a person would: no source tree on its path, no virtualenv.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.backup import head_revision
from desktop_app.db import migrate
from desktop_app.db.session import DB_FILENAME, make_engine, sqlite_url
from desktop_app.logging_setup import LOG_DIR_ENV
from tests.packaging.conftest import ROOT, load

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
build = load("build")
MAX_BUNDLE_MB = 250


@pytest.fixture(scope="module")
def frozen_app() -> Path:
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), "--if-stale"], cwd=ROOT,
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    exe = build.executable()
    assert exe.is_file()
    return exe


def run_frozen(exe: Path, *args: str | Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # Only what a user's session has: none of the developer's PYTHON* variables or venv.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update({LOG_DIR_ENV: str(tmp_path / "logs"), "QT_QPA_PLATFORM": "offscreen",
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=300, env=env,
                          cwd=tmp_path)  # not the repository: the bundle must not lean on the source tree


def test_the_frozen_app_passes_its_smoke_test(frozen_app: Path, tmp_path: Path) -> None:
    result = run_frozen(frozen_app, "--smoke-test", "--data-dir", tmp_path / "data", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("smoke test passed")
    assert "keyring knows" in result.stdout and "'offscreen' platform" in result.stdout
    log = (tmp_path / "logs" / "adaptive-learning-cli.log").read_text(encoding="utf-8")
    assert "(frozen," in log and "Running upgrade 0001 -> 0002" in log


def test_the_frozen_app_upgrades_an_old_database_after_backing_it_up(frozen_app: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    engine = make_engine(sqlite_url(data))
    migrate.upgrade(engine, "0001")
    engine.dispose()
    result = run_frozen(frozen_app, "init", "--data-dir", data, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(data / DB_FILENAME) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
    [kept] = (data / "backups").iterdir()
    assert "schema-0001" in kept.name


def test_the_frozen_app_backs_up_restores_and_exports(frozen_app: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"

    def ok(*args: str | Path) -> str:
        result = run_frozen(frozen_app, *args, "--data-dir", data, tmp_path=tmp_path)
        assert result.returncode == 0, result.stderr
        return result.stdout

    ok("simulate", "--student", "ann", "--answers", "6")
    ok("backup", "--out", tmp_path / "b.sqlite3")
    ok("simulate", "--student", "ann", "--answers", "2", "--seed", "1")
    assert "6 answers" in ok("restore", tmp_path / "b.sqlite3")
    assert "Exported 6 answers" in ok("export", "--student", "ann", "--out", tmp_path / "csv")
    assert (tmp_path / "csv" / "attempts.csv").read_text(encoding="utf-8-sig").count("\n") == 7


def test_the_bundle_is_small_and_leaves_out_what_the_desktop_does_not_use(frozen_app: Path) -> None:
    folder = frozen_app.parent
    size_mb = build.folder_size(folder) / 1e6
    assert size_mb <= MAX_BUNDLE_MB, f"{size_mb:.0f} MB"
    names = {p.name.lower() for p in folder.rglob("*")}
    for absent in ("numpy", "fastapi", "uvicorn", "httptools", "psycopg", "pytest", "hypothesis", "sync_server",
                   "libqt6qml.so.6", "libqt6quick.so.6", "libqt6webenginecore.so.6", "qtqml.abi3.so"):
        assert absent not in names, absent
    for present in ("2026_11_24_0001_initial_schema.py", "sample_bank.json", "app.svg", "app.qss"):
        assert present in names, present
