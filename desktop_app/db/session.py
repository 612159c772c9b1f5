"""Engines and sessions for the local SQLite database (and PostgreSQL for the server).

No engine is created at import time: callers build one for the database they open.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DB_FILENAME = "adaptive-learning.sqlite3"
WAL_AUTOCHECKPOINT_PAGES = 10_000


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{Path(data_dir) / DB_FILENAME}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets the sync worker read while the
    # GUI writes; synchronous=NORMAL is durable across application crashes in WAL mode.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Fold the WAL into the database every ~40 MB instead of every 4 MB: a checkpoint then
    # lands on one answer in several hundred rather than one in ~80 (it was the whole
    # latency tail of recording an answer). LocalDatabase.close() checkpoints the rest.
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite connections get foreign keys, WAL and a busy timeout."""
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_session_factory(engine: Engine, *, info: dict[str, Any] | None = None,
                         session_class: type[Session] = Session) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (the GUI reads them afterwards)."""
    return sessionmaker(bind=engine, class_=session_class, expire_on_commit=False, info=info or {})
