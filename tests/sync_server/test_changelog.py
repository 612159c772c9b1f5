"""The change log's guarantee, shown directly on PostgreSQL: commit order == seq order."""
from __future__ import annotations

import threading
import time

import psycopg

from sync_server.changelog import Entry, latest_seq, record
from sync_server.db import Database


def _entries(conn: psycopg.Connection) -> dict[str, int]:
    return {r[0]: r[1] for r in conn.execute("SELECT row_id, seq FROM server_changes")}


def test_a_later_writer_waits_for_the_earlier_commit(db: Database) -> None:
    """A takes seqs and has not committed: B cannot take a seq until A commits, so no reader
    ever sees B's higher seq while A's lower one is still invisible."""
    with db.connection() as a, db.connection() as reader:
        record(a, [Entry("topics", "row-a1", None), Entry("topics", "row-a2", None)], commit=False)
        finished = threading.Event()
        result: dict[str, int | None] = {}

        def writer_b() -> None:
            with db.connection() as b:
                result["b"] = record(b, [Entry("topics", "row-b", None)])
            finished.set()

        thread = threading.Thread(target=writer_b)
        thread.start()
        time.sleep(0.5)
        assert not finished.is_set(), "B got a seq while A's transaction was open"
        assert _entries(reader) == {}  # nothing visible yet
        reader.rollback()
        a.commit()
        assert finished.wait(10)
        thread.join()
        seen = _entries(reader)
        assert seen["row-b"] == result["b"] > max(seen["row-a1"], seen["row-a2"])
        assert sorted(seen.values()) == [1, 2, 3]


def test_a_rolled_back_writer_leaves_no_gap_and_no_trace(db: Database) -> None:
    with db.connection() as a:
        record(a, [Entry("topics", "gone", None)], commit=False)
        a.rollback()
    with db.connection() as b:
        assert record(b, [Entry("topics", "kept", None)]) == 1
        assert _entries(b) == {"kept": 1}


def test_a_row_has_one_entry_at_its_latest_seq(db: Database) -> None:
    with db.connection() as conn:
        record(conn, [Entry("question_attempts", "r1", "u1", created=True), Entry("topics", "t", None)])
        first = _entries(conn)
        assert sorted(first.values()) == [1, 2]
        record(conn, [Entry("topics", "t", None), Entry("topics", "t", None)])
        assert _entries(conn) == {"r1": first["r1"], "t": 3}
        assert latest_seq(conn) == 3
        assert conn.execute("SELECT owner_id FROM server_changes WHERE row_id = 'r1'").fetchone() == ("u1",)
