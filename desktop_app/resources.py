"""Where shipped files live: the source tree, or the PyInstaller bundle when frozen.

One function knows about `sys._MEIPASS`, so nothing resolves paths against the working
directory or the executable's folder.
"""
from __future__ import annotations

import sys
from pathlib import Path


def project_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    """A file under `resources/` (sample bank, icons, stylesheets)."""
    return project_root().joinpath("resources", *parts)


def migrations_path() -> Path:
    """The Alembic script directory (`alembic/`)."""
    return project_root() / "alembic"


SAMPLE_BANK = "sample_bank.json"
