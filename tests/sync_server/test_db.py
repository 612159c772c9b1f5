"""Units of work on the server's PostgreSQL: one snapshot for readers, and a pooled
connection that goes back to read-write after a reader used it."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from sync_server.db import Database
from tests.sync_server.conftest import free_port

pytestmark = pytest.mark.postgres


def test_a_read_only_unit_sees_one_snapshot_and_cannot_write(pg_url: str) -> None:
    db = Database(pg_url, pool_size=1)  # one connection: the reader and the writer share it
    try:
        db.run(lambda conn: conn.execute("CREATE TABLE t (n int)"))

        def reader(conn: psycopg.Connection) -> tuple[str, str]:
            level = conn.execute("SHOW transaction_isolation").fetchone()
            read_only = conn.execute("SHOW transaction_read_only").fetchone()
            return level[0], read_only[0]  # type: ignore[index]

        assert db.run(reader, read_only=True) == ("repeatable read", "on")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            db.run(lambda conn: conn.execute("INSERT INTO t VALUES (1)"), read_only=True)
        db.run(lambda conn: conn.execute("INSERT INTO t VALUES (2)"))  # the same connection, writable again
        assert db.run(reader) == ("read committed", "off")
        assert db.run(lambda conn: conn.execute("SELECT n FROM t").fetchall()) == [(2,)]
    finally:
        db.dispose()


def test_a_connection_lost_in_a_read_only_unit_is_reported_as_lost(pg_url: str) -> None:
    """The app answers psycopg.OperationalError with 503 "database unavailable" (clients retry);
    the lost connection must not turn into another error on the way out."""
    db = Database(pg_url, pool_size=1)
    try:
        with pytest.raises(psycopg.OperationalError):
            db.run(lambda conn: conn.execute("SELECT pg_terminate_backend(pg_backend_pid())"), read_only=True)
        assert db.run(lambda conn: conn.execute("SELECT 1").fetchone()) == (1,)  # a new connection
    finally:
        db.dispose()


def test_warming_opens_every_pooled_connection_and_tolerates_a_database_that_is_down(
        pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    db = Database(pg_url, pool_size=3)
    try:
        db.warm()
        with psycopg.connect(make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)) as c:
            others = c.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND pid <> pg_backend_pid()").fetchone()
        assert others == (3,)
    finally:
        db.dispose()
    down = Database(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none", pool_size=2)
    down.warm()  # logged, not raised: the first request answers 503
    down.dispose()
    assert "could not open the database connections at start" in caplog.text
