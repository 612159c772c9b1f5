"""Logs a support request can rely on: written, rotated, and holding every uncaught error.

Each test runs a real process: logging setup changes process-wide state (hooks, handlers,
streams) that must not leak into the test runner.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.desktop_app.clirun import cli_env, run_cli


def _python(code: str, log_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120,
                          env=cli_env(log_dir))


def test_a_command_writes_its_log_in_the_log_folder(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    result = run_cli("init", "--data-dir", tmp_path / "data", log_dir=logs)
    assert result.returncode == 0, result.stderr
    text = (logs / "adaptive-learning-cli.log").read_text(encoding="utf-8")
    assert "started" in text and "init" in text
    assert "Running upgrade  -> 0001" in text  # Alembic's own log survives (env.py leaves logging alone)
    assert not (logs / "adaptive-learning.log").exists()  # the GUI's file is the GUI's


def test_uncaught_errors_on_any_thread_are_logged_with_their_traceback(tmp_path: Path) -> None:
    result = _python("""
        import threading
        from desktop_app.logging_setup import setup_logging
        setup_logging("adaptive-learning-cli")

        def worker():
            raise LookupError("lost in the worker")
        t = threading.Thread(target=worker, name="sync-worker")
        t.start(); t.join()
        raise ValueError("broken on the main thread")
    """, tmp_path)
    assert result.returncode == 1
    assert "ValueError: broken on the main thread" in result.stderr  # a developer's terminal still sees it
    text = (tmp_path / "adaptive-learning-cli.log").read_text(encoding="utf-8")
    assert "uncaught exception on thread sync-worker" in text and "LookupError: lost in the worker" in text
    assert "uncaught exception on main thread" in text and "ValueError: broken on the main thread" in text
    assert 'Traceback (most recent call last)' in text and 'line 10, in <module>' in text  # where, not only what


def test_a_windowed_build_without_stdout_and_stderr_logs_what_would_have_been_printed(tmp_path: Path) -> None:
    result = _python("""
        import sys, warnings
        sys.stdout = None  # what a windowed (console=False) build starts with on Windows and macOS
        sys.stderr = None
        from desktop_app.logging_setup import setup_logging
        setup_logging()
        print("hello from print")
        sys.stderr.write("a library complains\\n")
        warnings.warn("deprecated thing")
        raise RuntimeError("and then it fails")
    """, tmp_path)
    assert result.returncode == 1
    assert result.stdout == "" and result.stderr == ""
    text = (tmp_path / "adaptive-learning.log").read_text(encoding="utf-8")
    for expected in ("hello from print", "a library complains", "deprecated thing", "RuntimeError: and then it fails"):
        assert expected in text


def test_the_log_rotates_and_keeps_five_old_files(tmp_path: Path) -> None:
    result = _python("""
        import logging
        from desktop_app import logging_setup
        logging_setup.MAX_BYTES = 20_000
        logging_setup.setup_logging()
        for i in range(2_000):
            logging.getLogger("desktop_app.test").info("line %05d %s", i, "x" * 60)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in tmp_path.glob("adaptive-learning.log*"))
    assert names == ["adaptive-learning.log"] + [f"adaptive-learning.log.{i}" for i in range(1, 6)]
    assert all(p.stat().st_size <= 20_000 + 200 for p in tmp_path.glob("adaptive-learning.log*"))
    assert "line 01999" in (tmp_path / "adaptive-learning.log").read_text(encoding="utf-8")


def test_an_unusable_log_folder_does_not_stop_the_app(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be")
    result = _python("""
        from desktop_app.logging_setup import setup_logging
        path = setup_logging()
        print(path)
    """, blocker / "logs")
    assert result.returncode == 0, result.stderr
    used = Path(result.stdout.strip())
    assert used.exists() and blocker not in used.parents


def test_a_hard_crash_leaves_a_python_stack_in_faults_log(tmp_path: Path) -> None:
    result = _python("""
        import faulthandler
        from desktop_app.logging_setup import setup_logging
        setup_logging()
        faulthandler._sigsegv()  # what a crash inside Qt's C++ looks like to Python
    """, tmp_path)
    assert result.returncode != 0
    assert "Fatal Python error" in (tmp_path / "faults.log").read_text(encoding="utf-8")


def test_setting_up_twice_changes_nothing(tmp_path: Path) -> None:
    result = _python("""
        import logging
        from desktop_app.logging_setup import setup_logging
        first = setup_logging("adaptive-learning")
        second = setup_logging("adaptive-learning-cli")
        assert first == second, (first, second)
        print(len(logging.getLogger().handlers))
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
