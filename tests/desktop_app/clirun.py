"""Running `adaptive-learning` as a person does: a real process, its exit code and output.

Logs go to a folder of the test (ADAPTIVE_LEARNING_LOG_DIR), never the developer's own.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from desktop_app.logging_setup import LOG_DIR_ENV


def cli_env(log_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, LOG_DIR_ENV: str(log_dir), "QT_QPA_PLATFORM": "offscreen", **extra}


def run_cli(*args: str | Path, log_dir: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop_app", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=cli_env(log_dir))


def start_cli(*args: str | Path, log_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "desktop_app", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli_env(log_dir))
