"""Pull and summary: what changed after a cursor, and how many rows the caller can see.

Guarantees:
- A pull page is read in one REPEATABLE READ snapshot: the log entries and the rows'
  states agree, and because commit order == seq order (changelog.py) every change with a
  seq <= next_cursor is in this page or an earlier one. Resuming from next_cursor never
  skips a change, however many pushes run concurrently.
- Each change is the row's current full state with its field stamps; the client merges it
  field by field with the same rule as the server (merge.py).
- Pages hold whole change-log entries: the new attempts of one push share one entry and one
  seq (changelog.grouped), so they always come in the same page, in row id order. A page
  holds at most `limit` changes, except a single entry larger than that (a push of more
  attempts than a small `limit`), which comes alone. Rows left out by `skip_device` count
  towards `limit`, except a push's entry left out whole, which counts as one.
- Scope: the syllabus for everybody; a student's own rows and their class; a teacher's own
  classes and the rows of the students in them.
- `skip_device`: attempts recorded by that device are left out of the page (its cursor still
  moves past them). A laptop that has just pushed its answers does not download them again;
  attempts are immutable, so the laptop that made one already holds exactly what the server
  holds. A client that may have lost rows (its repair pull) does not pass it.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any
from weakref import WeakKeyDictionary

import psycopg

from sync_server import changelog, rows
from sync_server.auth import Caller
from sync_server.db import Database
from sync_server.push import Identify
from sync_server.push_attempts import ATTEMPTS
from sync_server.tables import CLASS, OWNED, SPECS, SYLLABUS, TableSpec


def _not_skipped(device_column: str) -> str:
    """SQL: the row (or entry) was not recorded by the asking device (see the module docstring)."""
    return f"(%(skip_device)s::text IS NULL OR {device_column} IS DISTINCT FROM %(skip_device)s::text)"


_SKIP = {ATTEMPTS: _not_skipped("t.device_id")}  # per attempt, for entries of one row or of mixed devices

# A page takes whole entries while their rows fit in `limit` (the first one always: one
# push's attempts share an entry and are never split). An entry of attempts that all came
# from the asking device is skipped whole, without reading them, and counts as one row.
_PULL = f"""
WITH page AS ({changelog.VISIBLE_PAGE}),
sized AS (SELECT *, CASE WHEN grouped AND NOT {_not_skipped("device_id")} THEN 1 ELSE row_count END AS size
          FROM page),
taken AS (SELECT * FROM (SELECT *, sum(size) OVER (ORDER BY seq) AS upto FROM sized) counted
          WHERE upto <= %(limit)s OR upto = size),
shown AS (
  SELECT seq, table_name, row_id FROM taken WHERE NOT grouped
  UNION ALL
  SELECT t.seq, t.table_name, x.id FROM taken t JOIN server_changes c ON c.seq = t.seq,
    unnest(string_to_array(c.row_ids, ',')) AS x(id)
  WHERE t.grouped AND {_not_skipped("t.device_id")})
SELECT (SELECT count(*) FROM page) > (SELECT count(*) FROM taken), (SELECT max(seq) FROM taken),
       (SELECT convert_to(string_agg(j, ',' ORDER BY seq, row_id), 'UTF8') FROM (
          {" UNION ALL ".join(rows.change_json_select(spec, "shown", _SKIP.get(name, ""))
                              for name, spec in SPECS.items())}
       ) rendered)
"""


def _pull(conn: psycopg.Connection, memo: CountsMemo, caller: Caller, after: int, limit: int,
          skip_device: str | None, with_summary: bool) -> bytes:
    scope = changelog.scope_of(conn, caller.user_id, caller.role)
    params = changelog.page_params(scope, after=after, n=limit + 1)
    # Binary results: the rendered page arrives as UTF-8 bytes and goes out as they are.
    more, last, changes = conn.execute(  # type: ignore[misc]
        _PULL, {**params, "limit": limit, "skip_device": skip_device}, binary=True).fetchone()
    next_cursor = after if last is None else int(last)
    body = b'{"changes":[' + bytes(changes or b"") + b'],"next_cursor":%d,"has_more":%s' % (
        next_cursor, b"true" if more else b"false")
    if with_summary and not more:
        body += b',"summary":' + json.dumps(_summary(conn, memo, caller, scope)).encode()
    return body + b"}"


def pull(db: Database, identify: Identify, *, after: int, limit: int, skip_device: str | None = None,
         with_summary: bool = False) -> bytes:
    """The changes visible to `caller` with seq > `after`, in seq order, at most `limit` of
    them but for one large push (see the module docstring), as the JSON
    body {"changes": [...], "next_cursor", "has_more"}, rendered by PostgreSQL in one
    statement (rows.change_json_select). `with_summary`: the last page (has_more false) also
    carries what /sync/summary would answer, from the same snapshot, so a device checks its
    round without another request."""
    return db.run(lambda conn: _pull(conn, _memo(db), identify(conn), after, limit, skip_device, with_summary),
                  read_only=True)


def _count_sql(spec: TableSpec, role: str) -> str:
    """A scalar subquery counting the rows of a table the caller can pull (parameters by name).
    Append-only rows are never tombstoned, and PostgreSQL keeps how many each owner has
    (server_row_counts, migration 0004): their count is a sum over the caller's owners, not a
    walk of every history. The client counts the same rows (sync_client/counts.py)."""
    if spec.append_only:
        return ("(SELECT coalesce(sum(row_count), 0) FROM server_row_counts "
                f"WHERE table_name = '{spec.name}' AND owner_id = ANY(%(owners)s))")
    where = ["NOT deleted"]
    if spec.access == OWNED:
        where.append(f'"{spec.owner}" = ANY(%(owners)s)')
    elif spec.access == CLASS and role == "student":
        where.append("id = ANY(%(classes)s)")
    elif spec.access != SYLLABUS:
        where.append(f'"{spec.owner}" = %(user)s')
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    return f'(SELECT count(*) FROM "{spec.name}"{condition})'


assert all(spec.access == OWNED for spec in SPECS.values() if spec.append_only), \
    "server_row_counts counts append-only rows per owner"

# The newest seq among the entries a scope can see: every write of a visible row moves its
# entry to a new, higher seq, so while this number stays the same the counts stay the same.
# Each branch is a backward walk of an index that stops at its first entry. The syllabus
# branch names the (owner_id, seq) order: written as max(seq), PostgreSQL walks the seq index
# instead and filters out every student's entry on its way down to the syllabus.
_NEWEST_VISIBLE = """
SELECT greatest(
  (SELECT seq FROM server_changes WHERE owner_id IS NULL ORDER BY owner_id DESC, seq DESC LIMIT 1),
  (SELECT max(x.m) FROM unnest(%(owners)s::text[]) AS o(id),
     LATERAL (SELECT max(seq) AS m FROM server_changes WHERE owner_id = o.id) AS x),
  (SELECT max(seq) FROM server_changes WHERE table_name = 'classes' AND row_id = ANY(%(classes)s::text[])),
  0), (SELECT coalesce(max(seq), 0) FROM server_changes)
"""


class CountsMemo:
    """The last counts per caller and scope, with the newest visible seq they were taken at.

    A device asks after every round, and the answer only changes when a visible row does;
    counting the syllabus and the other tables' live rows walks them (a large bank has tens
    of thousands of questions), so an unchanged answer is not counted again. Per process,
    bounded (least recently used dropped), and checked against the database on every use,
    so several server processes each keep their own without ever disagreeing.
    """

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[int, dict[str, int]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], newest: int) -> dict[str, int] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != newest:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: tuple[Any, ...], newest: int, counts: dict[str, int]) -> None:
        with self._lock:
            self._entries[key] = (newest, counts)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


_MEMOS: WeakKeyDictionary[Database, CountsMemo] = WeakKeyDictionary()  # one per database, not per process
_MEMOS_LOCK = threading.Lock()


def _memo(db: Database) -> CountsMemo:
    with _MEMOS_LOCK:
        memo = _MEMOS.get(db)
        if memo is None:
            memo = _MEMOS[db] = CountsMemo()
        return memo


def _summary(conn: psycopg.Connection, memo: CountsMemo, caller: Caller, scope: changelog.Scope) -> dict[str, Any]:
    """Counts of what the caller can pull and the latest seq, read in the caller's snapshot."""
    params = {"owners": list(scope.owners), "classes": list(scope.class_ids), "user": caller.user_id}
    newest, latest = conn.execute(_NEWEST_VISIBLE, params).fetchone()  # type: ignore[misc]
    key = (caller.user_id, caller.role, scope.owners, scope.class_ids)
    counts = memo.get(key, newest)
    if counts is None:
        parts = [_count_sql(spec, caller.role) for spec in SPECS.values()]
        row = conn.execute(f"SELECT {', '.join(parts)}", params).fetchone()
        assert row is not None
        counts = {name: int(n) for name, n in zip(SPECS, row)}
        memo.put(key, newest, counts)
    return {"counts": counts, "cursor": int(latest)}


def summary(db: Database, identify: Identify) -> dict[str, Any]:
    """Live (not deleted) rows per synced table that the caller can pull, and the latest seq."""
    def work(conn: psycopg.Connection) -> dict[str, Any]:
        caller = identify(conn)
        return _summary(conn, _memo(db), caller, changelog.scope_of(conn, caller.user_id, caller.role))
    return db.run(work, read_only=True)
