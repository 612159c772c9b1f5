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
- `skip_device`: attempts recorded by that device are left out of the page (its cursor still
  moves past them). A laptop that has just pushed its answers does not download them again;
  attempts are immutable, so the laptop that made one already holds exactly what the server
  holds. A client that may have lost rows (its repair pull) does not pass it.
"""
from __future__ import annotations

from typing import Any

import psycopg

from sync_server import changelog, rows
from sync_server.auth import Caller
from sync_server.db import Database
from sync_server.push import Identify
from sync_server.tables import CLASS, OWNED, SPECS, SYLLABUS


# Attempts the asking device recorded itself (see the module docstring).
_SKIP = {"question_attempts": "(%(skip_device)s::text IS NULL OR t.device_id IS DISTINCT FROM %(skip_device)s::text)"}

_PULL = f"""
WITH page AS ({changelog.VISIBLE_PAGE}),
shown AS (SELECT seq, table_name, row_id FROM page ORDER BY seq LIMIT %(limit)s)
SELECT (SELECT count(*) FROM page), (SELECT max(seq) FROM shown),
       (SELECT convert_to(string_agg(j, ',' ORDER BY seq), 'UTF8') FROM (
          {" UNION ALL ".join(rows.change_json_select(spec, "shown", _SKIP.get(name, ""))
                              for name, spec in SPECS.items())}
       ) rendered)
"""


def _pull(conn: psycopg.Connection, caller: Caller, after: int, limit: int, skip_device: str | None) -> bytes:
    scope = changelog.scope_of(conn, caller.user_id, caller.role)
    params = changelog.page_params(scope, after=after, n=limit + 1)
    # Binary results: the rendered page arrives as UTF-8 bytes and goes out as they are.
    found, last, changes = conn.execute(  # type: ignore[misc]
        _PULL, {**params, "limit": limit, "skip_device": skip_device}, binary=True).fetchone()
    next_cursor = after if last is None else int(last)
    more = b"true" if found > limit else b"false"
    return b'{"changes":[' + bytes(changes or b"") + b'],"next_cursor":%d,"has_more":%s}' % (next_cursor, more)


def pull(db: Database, identify: Identify, *, after: int, limit: int, skip_device: str | None = None) -> bytes:
    """Up to `limit` changes visible to `caller` with seq > `after`, in seq order, as the JSON
    body {"changes": [...], "next_cursor", "has_more"}, rendered by PostgreSQL in one
    statement (rows.change_json_select)."""
    return db.run(lambda conn: _pull(conn, identify(conn), after, limit, skip_device), read_only=True)


# Attempts are append-only (push refuses to update or tombstone them), so their count needs
# no tombstone filter: PostgreSQL counts them from the (student_id, timestamp) index alone.
# The client counts them the same way (sync_client/counts.py APPEND_ONLY).
_APPEND_ONLY = frozenset({"question_attempts"})


def _count_sql(name: str, spec: Any, role: str) -> str:
    """A scalar subquery counting the rows of `name` the caller can pull (parameters by name)."""
    where = [] if name in _APPEND_ONLY else ["NOT deleted"]
    if spec.access == OWNED:
        where.append(f'"{spec.owner}" = ANY(%(owners)s)')
    elif spec.access == CLASS and role == "student":
        where.append("id = ANY(%(classes)s)")
    elif spec.access != SYLLABUS:
        where.append(f'"{spec.owner}" = %(user)s')
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    return f'(SELECT count(*) FROM "{name}"{condition})'


def _counts(conn: psycopg.Connection, caller: Caller) -> dict[str, Any]:
    """Every count and the latest seq in one statement (one round trip, one snapshot)."""
    scope = changelog.scope_of(conn, caller.user_id, caller.role)
    parts = [_count_sql(name, spec, caller.role) for name, spec in SPECS.items()]
    row = conn.execute(f"SELECT {', '.join(parts)}, (SELECT coalesce(max(seq), 0) FROM server_changes)",
                       {"owners": list(scope.owners), "classes": list(scope.class_ids),
                        "user": caller.user_id}).fetchone()
    assert row is not None
    return {"counts": {name: int(n) for name, n in zip(SPECS, row)}, "cursor": int(row[-1])}


def summary(db: Database, identify: Identify) -> dict[str, Any]:
    """Live (not deleted) rows per synced table that the caller can pull, and the latest seq."""
    return db.run(lambda conn: _counts(conn, identify(conn)), read_only=True)
