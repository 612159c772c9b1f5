"""The headless commands as a person runs them: real processes, real files, exit codes."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from desktop_app.resources import SAMPLE_BANK, resource_path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop_app", *args], capture_output=True, text=True, timeout=120)


def test_init_creates_the_database_with_the_sample_bank(tmp_path: Path) -> None:
    result = run("init", "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 0, result.stderr
    assert "198 questions" in result.stdout
    assert (tmp_path / "d" / "adaptive-learning.sqlite3").exists()
    again = run("init", "--data-dir", str(tmp_path / "d"))
    assert again.returncode == 0 and "Loaded" not in again.stdout


def test_import_bank_exit_codes(tmp_path: Path) -> None:
    ok = run("import-bank", str(resource_path(SAMPLE_BANK)), "--data-dir", str(tmp_path / "d"))
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    failed = run("import-bank", str(bad), "--data-dir", str(tmp_path / "d"))
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1].startswith("adaptive-learning: ")
    assert "nothing was imported" in failed.stderr
    missing = run("import-bank", str(tmp_path / "missing.json"), "--data-dir", str(tmp_path / "d"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
