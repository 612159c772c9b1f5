"""Opening the local database: migrate, identify the device, start its clock.

`LocalDatabase` is the one object the app, the CLI and the sync worker hold. It owns the
engine and hands out sessions; callers own the transaction (`with db.transaction() as s:`).
Each thread uses its own session.
"""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.backup import backup_before_upgrade
from desktop_app.db import migrate
from desktop_app.db.hlc import HybridLogicalClock
from desktop_app.db.ids import DEVICE_KEY, new_device_id
from desktop_app.db.models import SyncOperation, SyncState
from desktop_app.db.outbox import CLOCK_KEY, LocalSession
from desktop_app.db.session import DB_FILENAME, make_engine, make_session_factory, sqlite_url

CLOCK_STATE_KEY = "hlc_last"
CLOCK_RECEIVED_KEY = "hlc_received"


class LocalDatabase:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.device_id = self._device_id()
        self.clock = HybridLogicalClock(self.device_id, last=self._last_stamp(),
                                        received=self._state(CLOCK_RECEIVED_KEY))
        self._sessions: sessionmaker[Session] = make_session_factory(
            engine, info={CLOCK_KEY: self.clock}, session_class=LocalSession)

    @classmethod
    def open(cls, data_dir: Path) -> "LocalDatabase":
        """Create or upgrade the database in `data_dir` (created if missing).

        An existing database behind the newest schema is backed up to `data_dir/backups`
        first; raises desktop_app.backup.BackupError (nothing changed) if that fails."""
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(sqlite_url(data_dir))
        if _revision_of(data_dir / DB_FILENAME) != migrate.SCHEMA_HEAD:
            backup_before_upgrade(data_dir)
            migrate.upgrade(engine)
        return cls(engine)

    @property
    def path(self) -> Path:
        return Path(self.engine.url.database or "")

    def session(self) -> Session:
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions.begin() as session:
            issued_before, received_before = self.clock.last, self.clock.received
            yield session
            if self.clock.last != issued_before:
                self.remember_clock(session, CLOCK_STATE_KEY, self.clock.last)
            if self.clock.received != received_before:
                self.remember_clock(session, CLOCK_RECEIVED_KEY, self.clock.received)

    def close(self) -> None:
        """Fold the write-ahead log into the database file, then release the connections."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except OperationalError as exc:  # another process holds it: SQLite folds the log in later
            logging.getLogger(__name__).info("checkpoint on close skipped: %s", exc)
        self.engine.dispose()

    def _device_id(self) -> str:
        with Session(self.engine) as session, session.begin():
            row = session.get(SyncState, DEVICE_KEY)
            if row is None:
                row = SyncState(key=DEVICE_KEY, value=new_device_id())
                session.add(row)
            return row.value

    def _last_stamp(self) -> str | None:
        """The newest stamp this device issued or received, so the clock never runs back."""
        with Session(self.engine) as session:
            issued = session.scalar(select(func.max(SyncOperation.hlc)))
            received = session.get(SyncState, CLOCK_STATE_KEY)
        stamps = [s for s in (issued, received.value if received else None) if s]
        return max(stamps) if stamps else None

    def _state(self, key: str) -> str | None:
        with Session(self.engine) as session:
            row = session.get(SyncState, key)
            return row.value if row else None

    @staticmethod
    def remember_clock(session: Session, key: str, stamp: str) -> None:
        """Persist a stamp of the clock in the caller's transaction (one UPSERT, no read)."""
        statement = sqlite_insert(SyncState).values(key=key, value=stamp)
        session.execute(statement.on_conflict_do_update(
            index_elements=[SyncState.key], set_={"value": statement.excluded.value}))


def _revision_of(path: Path) -> str | None:
    """The stored schema revision, read without Alembic (None when there is no database yet)."""
    if not path.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return migrate.stored_revision(conn)
    except sqlite3.Error:
        return None  # unreadable here: the migration reports the real problem
