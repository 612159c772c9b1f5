"""Where the user's data lives when no --data-dir is given (platformdirs, per OS)."""
from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir, user_log_dir

APP_NAME = "AdaptiveLearning"


def default_data_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_log_dir() -> Path:
    return Path(user_log_dir(APP_NAME, appauthor=False))
