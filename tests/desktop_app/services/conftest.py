"""A local database with the sample bank and a fresh engine cache, for the service tests."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.db.database import LocalDatabase
from desktop_app.services import learner
from desktop_app.services.setup import initialise


@pytest.fixture
def db(data_dir: Path) -> Iterator[LocalDatabase]:
    database, _ = initialise(data_dir)
    learner.forget()
    yield database
    database.close()
