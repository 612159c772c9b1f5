"""The compacted change log (server_changes) and who may read which entries.

Every accepted change of a synced row moves that row's single log entry to a new, higher
sequence number; pull returns entries after the client's cursor with the rows' current
state. A row changed ten times between two pulls is sent once. The new attempts of one push
share one entry (`grouped`): attempts never change, so their entry never has to move apart.

Guarantee: COMMIT ORDER == SEQ ORDER, so a pull never skips a change. `record` takes the
transaction-level advisory lock LOG_LOCK, reads max(seq) in a statement that starts after
the lock is held, and commits in the same round trip; the lock is released only when the
transaction ends, after its commit is visible. A second writer therefore cannot obtain a
seq until the first has committed (or rolled back, leaving no trace), so any snapshot that
sees seq n also sees every seq below n. Pull reads in one REPEATABLE READ snapshot, so its
next_cursor is safe to resume from. The price: the log-writing tail of concurrent pushes
(one small statement plus the commit) runs one at a time (see docs/sync-protocol.md for
the numbers and the scale-out plan).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psycopg

from sync_server.db import id_list

LOG_LOCK = 0x5A1C_0001  # advisory lock key, per database

# Entries of rows that existed move to new seqs (upsert); entries of rows created in this
# transaction cannot exist yet and are plainly inserted, which is cheaper than ON CONFLICT.
# Entries standing for several new attempts (a push's) carry their list, count and device.
_RECORD = """
WITH top AS (SELECT coalesce(max(seq), 0) AS m FROM server_changes),
moved AS (
  INSERT INTO server_changes (table_name, row_id, owner_id, seq)
  SELECT x.t, x.r, nullif(x.o, ''), top.m + x.n
  FROM top, unnest(string_to_array(%(t1)s, ','), string_to_array(%(r1)s, ','), string_to_array(%(o1)s, ','))
    WITH ORDINALITY AS x(t, r, o, n)
  ON CONFLICT (table_name, row_id) DO UPDATE SET seq = EXCLUDED.seq, owner_id = EXCLUDED.owner_id
  RETURNING seq
),
created AS (
  INSERT INTO server_changes (table_name, row_id, owner_id, seq)
  SELECT x.t, x.r, nullif(x.o, ''), top.m + %(k)s + x.n
  FROM top, unnest(string_to_array(%(t2)s, ','), string_to_array(%(r2)s, ','), string_to_array(%(o2)s, ','))
    WITH ORDINALITY AS x(t, r, o, n)
  RETURNING seq
),
grouped AS (
  INSERT INTO server_changes (table_name, row_id, owner_id, seq, row_ids, row_count, device_id)
  SELECT x.t, x.r, x.o, top.m + %(k3)s + x.n, x.ids, x.c, x.d
  FROM top, unnest(%(t3)s::text[], %(r3)s::text[], %(o3)s::text[], %(ids3)s::text[], %(c3)s::int[], %(d3)s::text[])
    WITH ORDINALITY AS x(t, r, o, ids, c, d, n)
  RETURNING seq
)
SELECT greatest((SELECT max(seq) FROM moved), (SELECT max(seq) FROM created), (SELECT max(seq) FROM grouped))
"""


@dataclass(frozen=True)
class Entry:
    table: str
    row_id: str  # the row, or the first of `rows`
    owner_id: str | None  # None: syllabus, read by everybody
    created: bool = False  # the row was inserted in this transaction (it has no entry yet)
    # New attempts of one push: one entry stands for all of them (migration 0005), and
    # `device_id` is the device that recorded every one of them, if one did.
    rows: tuple[str, ...] = ()
    device_id: str | None = None


def grouped(table: str, row_ids: list[str], owner_id: str, device_ids: set[str | None]) -> list[Entry]:
    """The entry for new append-only rows of one owner, inserted in this transaction."""
    if not row_ids:
        return []
    device = next(iter(device_ids)) if len(device_ids) == 1 else None
    return [Entry(table, row_ids[0], owner_id, created=True, rows=tuple(row_ids), device_id=device)]


def record(conn: psycopg.Connection, entries: Iterable[Entry], *, commit: bool = True) -> int | None:
    """Give each entry the next sequence number and commit; returns the highest seq, or None.

    Must be the last statement of the transaction. The lock, the log write and COMMIT go to
    PostgreSQL in one pipeline (one round trip), so the lock is held only for the server-side
    execution of the two statements, never while this Python thread waits for the GIL.
    `commit=False` leaves the commit to the caller (loading a bank at start-up, where nothing
    runs concurrently); the caller must then commit right away.
    """
    unique = list({(e.table, e.row_id): e for e in entries}.values())
    if not unique:
        return None
    moved = [e for e in unique if not e.created]
    created = [e for e in unique if e.created and not e.rows]
    several = [e for e in unique if e.created and e.rows]
    params: dict[str, object] = {"k": len(moved), "k3": len(moved) + len(created)}
    for suffix, group in (("1", moved), ("2", created)):
        params.update({"t" + suffix: id_list(e.table for e in group), "r" + suffix: id_list(e.row_id for e in group),
                       "o" + suffix: id_list(e.owner_id or "" for e in group)})
    params.update(t3=[e.table for e in several], r3=[e.row_id for e in several], o3=[e.owner_id for e in several],
                  ids3=[id_list(e.rows) for e in several], c3=[len(e.rows) for e in several],
                  d3=[e.device_id for e in several])
    with conn.pipeline():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOG_LOCK,))
        cursor = conn.execute(_RECORD, params)
        if commit:
            conn.commit()
    row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None


# The rows the log's entries stand for, one per row (audits and tests): (table_name, row_id,
# owner_id, seq), several rows sharing the seq of their entry.
COVERED_ROWS = ("SELECT c.table_name, coalesce(x.id, c.row_id) AS row_id, c.owner_id, c.seq FROM server_changes c "
                "LEFT JOIN LATERAL unnest(string_to_array(c.row_ids, ',')) AS x(id) ON true")


def latest_seq(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT coalesce(max(seq), 0) FROM server_changes").fetchone()
    return int(row[0]) if row else 0


def entries_of_owner(conn: psycopg.Connection, owner_id: str) -> list[Entry]:
    """Every log entry of `owner_id`'s rows: re-`record` them when they become visible to a
    new reader (a student's history when they join a class), so that reader's pull gets them."""
    rows = conn.execute("SELECT table_name, row_id FROM server_changes WHERE owner_id = %s ORDER BY seq",
                        (owner_id,)).fetchall()
    return [Entry(table, row_id, owner_id) for table, row_id in rows]


@dataclass(frozen=True)
class Scope:
    """What a caller may read: rows owned by `owners`, class rows `class_ids`, the syllabus."""

    owners: tuple[str, ...]
    class_ids: tuple[str, ...]


def scope_of(conn: psycopg.Connection, user_id: str, role: str) -> Scope:
    """A student reads their own rows and their class; a teacher (or admin) also reads the
    rows of every student whose profile is in one of their classes, and their classes."""
    if role == "student":
        rows = conn.execute("SELECT class_id FROM student_profiles WHERE user_id = %s AND NOT deleted "
                            "AND class_id IS NOT NULL", (user_id,)).fetchall()
        return Scope(owners=(user_id,), class_ids=tuple(r[0] for r in rows))
    rows = conn.execute(
        "SELECT p.user_id FROM student_profiles p JOIN classes c ON c.id = p.class_id "
        "WHERE c.teacher_id = %s AND NOT c.deleted AND NOT p.deleted", (user_id,)).fetchall()
    return Scope(owners=(user_id, *sorted({r[0] for r in rows})), class_ids=())


# Entries visible to a scope with seq > after, at most n, in seq order. Each branch walks an
# index in seq order ((owner_id, seq) or the seq index) and stops after n entries. The list of
# a grouped entry (up to 1,000 ids) is not read here: pull reads it for the entries it takes.
_COLUMNS = "seq, table_name, row_id, row_count, device_id, row_ids IS NOT NULL AS grouped"
VISIBLE_PAGE = f"""
SELECT seq, table_name, row_id, row_count, device_id, grouped FROM (
  (SELECT {_COLUMNS} FROM server_changes
    WHERE owner_id IS NULL AND seq > %(after)s ORDER BY seq LIMIT %(n)s)
  UNION
  (SELECT {_COLUMNS} FROM server_changes
    WHERE owner_id = ANY(string_to_array(%(owners)s, ',')) AND seq > %(after)s ORDER BY seq LIMIT %(n)s)
  UNION
  (SELECT {_COLUMNS} FROM server_changes
    WHERE table_name = 'classes' AND row_id = ANY(string_to_array(%(classes)s, ',')) AND seq > %(after)s
    ORDER BY seq LIMIT %(n)s)
) visible ORDER BY seq LIMIT %(n)s
"""


def page_params(scope: Scope, *, after: int, n: int) -> dict[str, object]:
    """Parameters of VISIBLE_PAGE."""
    return {"after": after, "n": n, "owners": id_list(scope.owners), "classes": id_list(scope.class_ids)}
