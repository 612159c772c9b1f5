"""The change log's guarantee, shown directly on PostgreSQL: commit order == seq order."""
from __future__ import annotations

import threading
import time

import psycopg

from sync_server.changelog import COVERED_ROWS, Entry, grouped, latest_seq, record
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


def test_the_new_attempts_of_a_push_share_one_entry(db: Database) -> None:
    """changelog.grouped: one entry (one seq) lists the attempts, how many, and the device
    that recorded them all (none when several did); it takes its seq in order with the rest."""
    with db.connection() as conn:
        one_device = grouped("question_attempts", ["a1", "a2", "a3"], "u1", {"laptop"})
        two_devices = grouped("question_attempts", ["b1", "b2"], "u2", {"laptop", "phone"})
        assert record(conn, [Entry("topics", "t", None), *one_device, *two_devices]) == 3
        stored = conn.execute("SELECT row_id, seq, owner_id, row_ids, row_count, device_id FROM server_changes "
                              "ORDER BY seq").fetchall()
        assert stored == [("t", 1, None, None, 1, None), ("a1", 2, "u1", "a1,a2,a3", 3, "laptop"),
                          ("b1", 3, "u2", "b1,b2", 2, None)]
        covered = conn.execute(f"SELECT row_id, seq FROM ({COVERED_ROWS}) e ORDER BY row_id").fetchall()
        assert covered == [("a1", 2), ("a2", 2), ("a3", 2), ("b1", 3), ("b2", 3), ("t", 1)]
        # Moved later (the student joins a class), the entry keeps the attempts it stands for.
        assert record(conn, [Entry("question_attempts", "a1", "u1")]) == 4
        assert conn.execute("SELECT seq, row_ids, row_count FROM server_changes WHERE row_id = 'a1'").fetchone() \
            == (4, "a1,a2,a3", 3)
        assert grouped("question_attempts", [], "u1", set()) == []
