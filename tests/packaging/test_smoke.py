"""`--smoke-test` from source: the quick proof, on every test run, that the app starts end to end."""
from __future__ import annotations

from pathlib import Path

from desktop_app.db.session import DB_FILENAME
from tests.desktop_app.clirun import run_cli


def test_smoke_test_from_source_passes_in_a_new_data_folder(tmp_path: Path) -> None:
    result = run_cli("--smoke-test", "--data-dir", tmp_path / "data", log_dir=tmp_path / "logs")
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [line.split(":")[0] for line in result.stdout.splitlines() if line.startswith("ok  ")]
    assert steps == ["ok  database", "ok  resources", "ok  window", "ok  answer"]
    assert result.stdout.rstrip().endswith("smoke test passed")
    assert (tmp_path / "data" / DB_FILENAME).exists()
    assert "smoke test passed" in (tmp_path / "logs" / "adaptive-learning-cli.log").read_text(encoding="utf-8")


def test_smoke_test_refuses_a_folder_with_real_data_and_says_why(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_cli("init", "--data-dir", data, log_dir=tmp_path / "logs").returncode == 0
    result = run_cli("--smoke-test", "--data-dir", data, log_dir=tmp_path / "logs")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"smoke test failed at database: {data} already holds a database; give an empty --data-dir")
