"""The checks of one push against stored rows: ownership, references, new rows, unique values.

`Batch` collects rejections instead of stopping at the first, so the client learns every
op to set aside in one answer. An op is rejected with a code:

    unknown_table, bad_stamp, invalid_field   the op itself is malformed
    clock_ahead                               stamped more than a day ahead of the server's clock
    forbidden                                 not the caller's to write
    unknown_reference                         points at a row the caller cannot see
    append_only                               changes an attempt
    incomplete_row                            creates a row without its required fields
    reserved_id                               creates a profile or plan under another account's derived id
    unique_violation                          a unique value already used by another row
    rejected_by_storage                       refused by PostgreSQL (a server bug; logged)

Row-level problems (incomplete_row, reserved_id, unique_violation) reject every op of that
row in the batch. Runs inside the push transaction; never commits.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from desktop_app.db.hlc import MAX_AHEAD_MS
from sync_server import derived_ids, rows
from sync_server.auth import Caller
from sync_server.db import Retry
from sync_server.errors import OpsRejected
from sync_server.merge import RowState, fill_defaults
from sync_server.tables import OWNED, SPECS, TableSpec

log = logging.getLogger(__name__)
_known_lock = threading.Lock()
# The shape hlc.Stamp.decode accepts (wall ms: 15 digits, counter: 6, device), as one regex:
# this runs for every op. tests/sync_server/test_tables.py holds the two in agreement.
STAMP_PATTERN = r"[0-9]{15}:[0-9]{6}:.+"
_STAMP = re.compile(STAMP_PATTERN, re.DOTALL)


# How far a stamp may run ahead of the server's clock (hlc.MAX_AHEAD_MS, one day, the margin
# the desktop's clock repair uses too). A laptop whose clock is hours fast still syncs; a
# stamp years ahead would win every later edit of its field and drag every clock that sees
# it (the server's, then every device's) into the future. One day is the same margin as a
# device a day behind (which needs none: its stamps only lose ties).


def stamp_ok(text: str) -> bool:
    return _STAMP.fullmatch(text) is not None


def stamp_limit() -> str:
    """The greatest wall-time part (15 digits) a stamp may have now: stamps compare as
    strings, so a stamp whose first 15 characters sort after it is too far ahead."""
    return f"{time.time_ns() // 1_000_000 + MAX_AHEAD_MS:015d}"


def too_far_ahead(stamp: str, limit: str) -> bool:
    """`stamp` is more than a day ahead of the clock that gave `limit` (stamp_limit())."""
    return stamp[:15] > limit


def ahead_message(stamp: str) -> str:
    hours = (int(stamp[:15]) - time.time_ns() // 1_000_000) / 3_600_000
    return (f"stamped {hours:,.0f} hours ahead of the server's clock (at most "
            f"{MAX_AHEAD_MS // 3_600_000} allowed): check this computer's date and time")


@contextmanager
def storage_errors(table: str, op_ids: Iterable[str]) -> Iterator[None]:
    """What PostgreSQL refuses while a table's rows are written, as the push answers it.

    A unique value stored first by a concurrent push: run again (Retry), the checks then see
    it and name the op. Anything else the checks should have caught (they mirror every
    constraint): a server bug, logged, and the table's ops refused as `rejected_by_storage`
    (a 4xx the client can set aside), never a 500 that would block its queue.
    """
    try:
        yield
    except pg_errors.UniqueViolation:
        raise Retry(f"{table}: unique value taken concurrently") from None
    except (pg_errors.IntegrityError, pg_errors.DataError) as exc:
        log.error("push: %s refused by PostgreSQL despite validation: %s", table, exc)
        raise OpsRejected([{"op_id": op_id, "code": "rejected_by_storage",
                            "message": f"{table}: {exc.diag.message_primary}"} for op_id in op_ids]) from None


class Batch:
    def __init__(self, conn: psycopg.Connection, caller: Caller, known_ids: dict[str, set[str]]) -> None:
        self.conn, self.caller = conn, caller
        # Syllabus ids known to exist (rows are never deleted, only tombstoned, so an id once
        # seen stays valid): spares the lookup of the same questions on every push.
        self.known_ids = known_ids
        self.stamp_limit = stamp_limit()
        self.rejected: dict[str, tuple[str, str]] = {}  # op id -> (code, message)
        self.rows: dict[tuple[str, str], RowState] = {}
        self.ops_of_row: dict[tuple[str, str], list[str]] = {}

    # -- rejections ---------------------------------------------------------------------
    def reject(self, op_id: str, code: str, message: str) -> None:
        self.rejected.setdefault(op_id, (code, message))

    def reject_row(self, key: tuple[str, str], code: str, message: str) -> None:
        for op_id in self.ops_of_row.get(key, []):
            self.reject(op_id, code, message)

    def raise_if_rejected(self) -> None:
        if self.rejected:
            raise OpsRejected([{"op_id": op_id, "code": code, "message": message}
                               for op_id, (code, message) in self.rejected.items()])

    # -- rows ---------------------------------------------------------------------------
    def state(self, table: str, row_id: str, op_id: str | None = None) -> RowState:
        """The row as this batch sees it (stored, created earlier in the batch, or new)."""
        key = (table, row_id)
        if op_id is not None:
            self.ops_of_row.setdefault(key, []).append(op_id)
        state = self.rows.get(key)
        if state is None:
            state = self.rows[key] = RowState(row_id=row_id, values={}, stamps={}, exists=False)
        return state

    def _created_in_batch(self, table: str, row_id: str) -> bool:
        state = self.rows.get((table, row_id))
        return bool(state and state.changed and not state.exists)

    # -- references ---------------------------------------------------------------------
    def visible_references(self, items: Iterable[tuple[TableSpec, dict[str, Any]]]) -> dict[str, set[str]]:
        """Referenced ids that exist and that the caller may use, per referenced table."""
        wanted: dict[str, set[str]] = {}
        for spec, values in items:
            for column, table in spec.references.items():
                if values.get(column) is not None:
                    wanted.setdefault(table, set()).add(values[column])
        out = {}
        for table, ids in wanted.items():
            if table == "classes":
                # A teacher uses their own classes; a student only the class they joined by code.
                result = self.conn.execute(
                    "SELECT id FROM classes WHERE id = ANY(%s) AND (teacher_id = %s OR id IN "
                    "(SELECT class_id FROM student_profiles WHERE user_id = %s))",
                    (sorted(ids), self.caller.user_id, self.caller.user_id))
                out[table] = {r[0] for r in result}
                continue
            known = self.known_ids.setdefault(table, set())
            unknown = ids - known
            found = rows.existing_ids(self.conn, table, unknown) if unknown else set()
            if found:
                with _known_lock:
                    known.update(found)
            out[table] = (ids & known) | found
        return out

    # -- per op -------------------------------------------------------------------------
    def authorise(self, op: Any, spec: TableSpec, values: dict[str, Any], refs: dict[str, set[str]]) -> bool:
        """True if the op may be merged; otherwise it is rejected (or is a no-op replay)."""
        state = self.state(spec.name, op.row_id, op.op_id)
        owner = spec.owner
        if owner:
            current = state.values.get(owner) if state.known else None
            if current is not None and current != self.caller.user_id:
                self.reject(op.op_id, "forbidden", f"this {spec.name} row belongs to another user")
                return False
            if owner in values and values[owner] != self.caller.user_id:
                self.reject(op.op_id, "forbidden", f"{spec.name}.{owner} must be your own user id")
                return False
        for column, table in spec.references.items():
            target = values.get(column)
            if target is not None and target not in refs.get(table, ()) and not self._created_in_batch(table, target):
                self.reject(op.op_id, "unknown_reference", f"{spec.name}.{column}: no {table} row {target} "
                            "that you may use")
                return False
        if spec.append_only and state.known:
            if any(state.values.get(k) != v for k, v in values.items()):
                self.reject(op.op_id, "append_only", "this attempt exists with different content")
            return False  # the same attempt again: nothing to do
        return True

    # -- per row, after the merge --------------------------------------------------------
    def complete_new_rows(self) -> None:
        """New rows get column defaults (DEFAULT_STAMP: any device's value wins) or are incomplete."""
        for (table, row_id), state in self.rows.items():
            if state.exists or not state.changed:
                continue
            defaults, missing = {}, []
            for name, column in SPECS[table].columns.items():
                if name not in state.values:
                    if column.default is not None:
                        defaults[name] = column.default()
                    elif column.nullable:
                        defaults[name] = None
                    else:
                        missing.append(name)
            fill_defaults(state, defaults)
            if missing:
                self.reject_row((table, row_id), "incomplete_row",
                                f"new {table} row {row_id} lacks {', '.join(missing)}")

    def check_derived_ids(self) -> None:
        """A new profile or plan may not take another account's derived id (derived_ids.py)."""
        new = {(table, row_id): state.values[owner] for (table, row_id), state in self.rows.items()
               if (owner := derived_ids.SINGLETONS.get(table)) and not state.exists and state.changed
               and state.values.get(owner) is not None}
        for key in derived_ids.taken(self.conn, new):
            self.reject_row(key, "reserved_id", f"{key[1]} is the derived id of another account's profile or "
                            "plan: derive the id from your own user id (see docs/sync-protocol.md)")

    def check_uniques(self) -> None:
        bad = {k for k, ids in self.ops_of_row.items() if any(i in self.rejected for i in ids)}
        for spec in SPECS.values():
            for columns in spec.uniques:
                changed = [s for (t, row_id), s in self.rows.items()
                           if t == spec.name and s.changed & set(columns) and (t, row_id) not in bad]
                if changed:
                    self._check_unique(spec, columns, changed)

    def _check_unique(self, spec: TableSpec, columns: tuple[str, ...], states: list[RowState]) -> None:
        label = f"{spec.name}.{'+'.join(columns)}"
        holders: dict[tuple[Any, ...], str] = {}
        for s in states:
            value = tuple(s.values.get(c) for c in columns)
            if None in value:
                continue
            if holders.get(value, s.row_id) != s.row_id:
                self.reject_row((spec.name, s.row_id), "unique_violation",
                                f"{label} is used by another row of this batch")
            holders[value] = s.row_id
        for mine, other in rows.unique_clashes(self.conn, spec, columns, states).items():
            hint = " (derive the row id from the user id: see docs/sync-protocol.md)" if spec.access == OWNED else ""
            self.reject_row((spec.name, mine), "unique_violation", f"{label} is already used by row {other}{hint}")
