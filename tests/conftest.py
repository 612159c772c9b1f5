"""Fixtures shared by every test: local databases on real SQLite files, and PostgreSQL.

PostgreSQL comes from `make test` (tests/tools/with_postgres.sh). A test that needs it and
does not get it fails with the reason: it is never skipped.
"""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from desktop_app.db.database import LocalDatabase
from desktop_app.db.session import make_engine

PG_ENV = "ADAPTIVE_LEARNING_TEST_PG_URL"


def wait_for(condition, timeout: float = 30.0, pause: float = 0.1) -> None:  # type: ignore[no-untyped-def]
    """Poll `condition` until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(pause)


@pytest.fixture(autouse=True, scope="session")
def _logs_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Commands started by tests (and their subprocesses) log here, not in the user's log folder."""
    previous = os.environ.get("ADAPTIVE_LEARNING_LOG_DIR")
    os.environ["ADAPTIVE_LEARNING_LOG_DIR"] = str(tmp_path_factory.mktemp("logs"))
    yield
    if previous is None:
        os.environ.pop("ADAPTIVE_LEARNING_LOG_DIR", None)
    else:
        os.environ["ADAPTIVE_LEARNING_LOG_DIR"] = previous


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.fail(f"{PG_ENV} is not set: run the suite with `make test`, which starts PostgreSQL")
    return url


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def live(pg_url: str) -> Iterator[Any]:
    """The real sync server on a fresh PostgreSQL database, on a free loopback port."""
    from tests.sync_client.live import LiveServer
    server = LiveServer(pg_url).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def local_db(data_dir: Path) -> Iterator[LocalDatabase]:
    """A migrated local SQLite database in a real file."""
    db = LocalDatabase.open(data_dir)
    try:
        yield db
    finally:
        db.close()
