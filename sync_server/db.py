"""The server's PostgreSQL: pooled connections, one-transaction units of work, the server clock.

The hot paths (push, pull, auth) speak plain SQL to psycopg 3 on connections from
SQLAlchemy's pool; the ORM is used where it is the simpler tool (loading a bank, mastery).

Guarantee of `Database.run`: `work(conn)` runs inside one transaction that is committed
when it returns and rolled back when it raises, so a failed request changes nothing.
Transient failures (deadlock, serialization failure, a lost insert race reported by the
work as `Retry`) roll back and run the whole unit again, a few times, then raise Busy.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import psycopg
import sqlalchemy.exc
from psycopg import errors as pg_errors
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.db import migrate
from desktop_app.db.hlc import HybridLogicalClock
from desktop_app.db.session import make_engine, make_session_factory
from sync_server.errors import Busy

log = logging.getLogger(__name__)
T = TypeVar("T")
SERVER_DEVICE = "server"
_ATTEMPTS = 6
CONNECT_TIMEOUT = 10  # seconds


def id_list(ids: Iterable[object]) -> str:
    """Ids as one comma-joined text parameter, for `string_to_array(%s, ',')` in SQL.

    psycopg adapts a Python list element by element (a regex per string); one string is
    far cheaper for the hundreds of UUIDs a push or pull passes. Ids never contain commas.
    """
    return ",".join(str(i) for i in ids)


class Retry(Exception):
    """Raised inside a unit of work: roll back and run the unit again (e.g. lost insert race)."""


_TRANSIENT = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure, pg_errors.LockNotAvailable, Retry)


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        # A fixed pool (no overflow): connections are reused, never opened per request; a
        # request waits for a free one. Sessions run in UTC (pull renders timestamps).
        # A database that does not answer fails a connect after CONNECT_TIMEOUT seconds (503),
        # instead of the operating system's TCP timeout of minutes.
        self.engine: Engine = make_engine(url, pool_size=pool_size, max_overflow=0, pool_timeout=30,
                                          connect_args={"options": "-c timezone=UTC",
                                                        "connect_timeout": CONNECT_TIMEOUT})
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)
        # Server-side writes (bank load, joining a class) are stamped by device "server".
        self.clock = HybridLogicalClock(SERVER_DEVICE)
        # Ids of syllabus rows known to exist, per table (push.py; rows are never deleted).
        self.known_ids: dict[str, set[str]] = {}

    def warm(self) -> None:
        """Open every pooled connection now. Otherwise the first requests after a start (every
        device reconnects after a restart) each wait for a new PostgreSQL backend, just when
        the server is busiest. Best effort: if the database is down, the first request finds
        out and answers 503, as before."""
        opened = []
        try:
            for _ in range(self.engine.pool.size()):  # type: ignore[attr-defined]
                opened.append(self.engine.raw_connection())
        except (psycopg.Error, sqlalchemy.exc.SQLAlchemyError) as exc:
            log.warning("could not open the database connections at start: %s", exc)
        finally:
            for fairy in opened:
                fairy.close()

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        migrate.upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    def stamp_after(self, *stamps: str) -> str:
        """A server stamp greater than every stamp given (and than every earlier server stamp)."""
        for stamp in stamps:
            if stamp:
                self.clock.receive(stamp)
        return self.clock.now()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled psycopg connection, outside any transaction; returned (rolled back) after."""
        fairy = self.engine.raw_connection()
        try:
            yield fairy.driver_connection  # type: ignore[misc]
        finally:
            fairy.close()

    def run(self, work: Callable[[psycopg.Connection], T], *, read_only: bool = False) -> T:
        """Run `work(conn)` in one transaction (see the module docstring for the guarantee).

        `read_only=True` runs it REPEATABLE READ READ ONLY: every statement sees one snapshot.
        """
        for attempt in range(_ATTEMPTS):
            with self.connection() as conn:
                if read_only:  # psycopg then opens the transaction with one BEGIN that says so
                    conn.isolation_level, conn.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
                try:
                    result = work(conn)
                    conn.commit()
                    return result
                except _TRANSIENT:
                    conn.rollback()
                    if attempt == _ATTEMPTS - 1:
                        break
                except BaseException:
                    conn.rollback()
                    raise
                finally:
                    # Back to the server's defaults before the pool hands it out again. One that
                    # is not idle now was lost (its rollback failed): the pool discards it, and
                    # psycopg refuses the reset outside an idle connection.
                    if read_only and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                        conn.isolation_level, conn.read_only = None, None
            time.sleep(random.uniform(0, 0.005 * 2 ** attempt))
        raise Busy("the server is busy; retry shortly")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session in one transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as session:
            yield session
