"""Pull and summary: what changed after a cursor, and how many rows the caller can see.

Guarantees:
- A pull page is read in one REPEATABLE READ snapshot: the log entries and the rows'
  states agree, and because commit order == seq order (changelog.py) every change with a
  seq <= next_cursor is in this page or an earlier one. Resuming from next_cursor never
  skips a change, however many pushes run concurrently.
- Each change is the row's current full state with its field stamps; the client merges it
  field by field with the same rule as the server (merge.py).
- Scope: the syllabus for everybody; a student's own rows and their class; a teacher's own
  classes and the rows of the students in them.
"""
from __future__ import annotations

from typing import Any

import psycopg

from sync_server import changelog, rows
from sync_server.auth import Caller
from sync_server.db import Database
from sync_server.push import Identify
from sync_server.tables import CLASS, OWNED, SPECS, SYLLABUS


_PULL = f"""
WITH page AS ({changelog.VISIBLE_PAGE}),
shown AS (SELECT seq, table_name, row_id FROM page ORDER BY seq LIMIT %(limit)s)
SELECT (SELECT count(*) FROM page), (SELECT max(seq) FROM shown),
       (SELECT convert_to(string_agg(j, ',' ORDER BY seq), 'UTF8') FROM (
          {" UNION ALL ".join(rows.change_json_select(spec, "shown") for spec in SPECS.values())}
       ) rendered)
"""


def _pull(conn: psycopg.Connection, caller: Caller, after: int, limit: int) -> bytes:
    scope = changelog.scope_of(conn, caller.user_id, caller.role)
    params = changelog.page_params(scope, after=after, n=limit + 1)
    # Binary results: the rendered page arrives as UTF-8 bytes and goes out as they are.
    found, last, changes = conn.execute(_PULL, {**params, "limit": limit}, binary=True).fetchone()  # type: ignore[misc]
    next_cursor = after if last is None else int(last)
    more = b"true" if found > limit else b"false"
    return b'{"changes":[' + bytes(changes or b"") + b'],"next_cursor":%d,"has_more":%s}' % (next_cursor, more)


def pull(db: Database, identify: Identify, *, after: int, limit: int) -> bytes:
    """Up to `limit` changes visible to `caller` with seq > `after`, in seq order, as the JSON
    body {"changes": [...], "next_cursor", "has_more"}, rendered by PostgreSQL in one
    statement (rows.change_json_select)."""
    return db.run(lambda conn: _pull(conn, identify(conn), after, limit), read_only=True)


def _counts(conn: psycopg.Connection, caller: Caller) -> dict[str, Any]:
    scope = changelog.scope_of(conn, caller.user_id, caller.role)
    owners = list(scope.owners)
    counts = {}
    for name, spec in SPECS.items():
        if spec.access == SYLLABUS:
            where, params = "", ()
        elif spec.access == OWNED:
            where, params = f' AND "{spec.owner}" = ANY(%s)', (owners,)
        elif spec.access == CLASS and caller.role == "student":
            where, params = " AND id = ANY(%s)", (list(scope.class_ids),)
        else:
            where, params = f' AND "{spec.owner}" = %s', (caller.user_id,)  # type: ignore[assignment]
        row = conn.execute(f'SELECT count(*) FROM "{name}" WHERE NOT deleted{where}', params).fetchone()
        counts[name] = int(row[0]) if row else 0
    return {"counts": counts, "cursor": changelog.latest_seq(conn)}


def summary(db: Database, identify: Identify) -> dict[str, Any]:
    """Live (not deleted) rows per synced table that the caller can pull, and the latest seq."""
    return db.run(lambda conn: _counts(conn, identify(conn)), read_only=True)
