"""Push: apply a device's batch of operations atomically, idempotently, latest-wins per field.

Guarantees (docs/sync-protocol.md states them for clients):
- All or nothing: the batch runs in one transaction. If any op is rejected, OpsRejected
  lists exactly those ops (op_id, code, message) and nothing is stored, not even the op
  ids, so the client sets those aside and sends the rest again.
- Idempotent: op ids are claimed per user in server_seen_ops inside the same transaction;
  an op id seen before is acknowledged and not applied again. Two concurrent pushes of one
  op id serialise on its primary key, so it is applied once. Question attempts are the
  exception, and the bulk of all ops: an attempt is an immutable event whose row id is
  already its idempotency key (below), so its op id is not stored; an attempt sent again
  is acknowledged and stored once all the same.
- Latest wins field by field (merge.py); a write that wins no field changes nothing and
  gets no new seq. Stored rows are locked (FOR UPDATE) before they are merged, so two
  concurrent pushes to one row cannot lose a field.
- question_attempts are append-only: update/delete ops are rejected, and re-inserting an
  existing attempt is accepted only with identical content (a no-op). Being immutable,
  attempts need no row locks: they are inserted with ON CONFLICT DO NOTHING (the bulk path
  first tries a plain insert, see push_attempts.write) and the few that existed are
  compared afterwards, still inside the transaction. The new attempts of a push share one
  change-log entry (changelog.grouped). A batch of nothing
  but complete new attempts (the bulk of all traffic) is written by push_attempts.py in
  one pass, with the same checks and the same stored rows.
- Authorisation per op: syllabus tables and classes need a teacher (or admin); a class
  row's teacher_id, and the owner column of a student's row (student_id / user_id), must
  be the caller, and a stored row owned by someone else is never written. A reference to a
  row the caller cannot see (a question that does not exist, a class that is not theirs)
  is rejected, and so is a new profile or plan under another account's derived id
  (derived_ids.py), which would lock that account out of its own row.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg

from sync_server import changelog, content_version, push_attempts, rows
from sync_server.auth import Caller
from sync_server.db import Database, Retry, id_list
from sync_server.merge import RowState, merge
from sync_server.push_attempts import ATTEMPTS
from sync_server.push_checks import Batch, ahead_message, stamp_ok, storage_errors, too_far_ahead
from sync_server.tables import CLASS, SPECS, SYLLABUS, TableSpec, parse_fields

# Tables in foreign-key order (a batch may create a topic and its concepts): locks and writes.
TABLE_ORDER = ["classes", "student_profiles", "topics", "topic_prerequisites", "concepts", "questions",
               "question_attempts", "study_plans"]
assert sorted(TABLE_ORDER) == sorted(SPECS), "every synced table needs a place in the write order"


Identify = Callable[[psycopg.Connection], Caller]


class Op(Protocol):
    op_id: str
    table: str
    row_id: str
    operation: str
    payload: dict[str, Any]
    hlc: str


@dataclass(frozen=True)
class PushResult:
    acknowledged: list[str]
    cursor: int


@dataclass
class Parsed:
    op: Op
    spec: TableSpec
    values: dict[str, Any]


def parse(batch: Batch, op: Op) -> Parsed | None:
    """Checks that need no database: table, stamp, fields and values, role, append-only."""
    spec = SPECS.get(op.table)
    if spec is None:
        return batch.reject(op.op_id, "unknown_table", f"{op.table!r} is not a synced table")
    if not stamp_ok(op.hlc):
        return batch.reject(op.op_id, "bad_stamp", f"{op.hlc!r} is not a clock stamp")
    if too_far_ahead(op.hlc, batch.stamp_limit):
        return batch.reject(op.op_id, "clock_ahead", ahead_message(op.hlc))
    try:
        values = parse_fields(spec, op.payload)
    except ValueError as exc:
        return batch.reject(op.op_id, "invalid_field", str(exc))
    if spec.access in (SYLLABUS, CLASS) and not batch.caller.is_teacher:
        return batch.reject(op.op_id, "forbidden", f"only teachers may write {spec.name}")
    if spec.append_only and op.operation != "insert":
        return batch.reject(op.op_id, "append_only", "question attempts are never updated or deleted")
    return Parsed(op, spec, values)


def _claim(conn: psycopg.Connection, user_id: str, op_ids: list[str]) -> set[str]:
    """Record op ids as seen; returns those that were new (in this transaction)."""
    wanted = sorted(set(op_ids))
    if not wanted:
        return set()
    # One row back: NULL when every id was new (the usual case), else the new ones.
    row = conn.execute(
        "WITH claimed AS (INSERT INTO server_seen_ops (user_id, op_id, seen_at) "
        "SELECT %s, x, now() AT TIME ZONE 'UTC' FROM unnest(string_to_array(%s, ',')) AS x ORDER BY x "
        "ON CONFLICT DO NOTHING RETURNING op_id) "
        "SELECT CASE WHEN count(*) = %s THEN NULL ELSE coalesce(array_agg(op_id), '{}') END FROM claimed",
        (user_id, id_list(wanted), len(wanted))).fetchone()
    return set(wanted) if row is None or row[0] is None else set(row[0])


def _write(conn: psycopg.Connection, batch: Batch, parsed: list[Parsed]) -> list[changelog.Entry]:
    entries = []
    for table in TABLE_ORDER:
        spec = SPECS[table]
        changed = [s for (t, _), s in batch.rows.items() if t == table and s.changed]
        new = [s for s in changed if not s.exists]
        with storage_errors(table, (p.op.op_id for p in parsed if p.spec.name == table)):
            existed = rows.insert(conn, spec, new)
            rows.update(conn, spec, [s for s in changed if s.exists])
        if existed and table == ATTEMPTS:
            again = [s for s in new if s.row_id in existed]
            push_attempts.settle_existing(conn, batch, {
                s.row_id: (batch.ops_of_row.get((table, s.row_id), []), {k: s.values.get(k) for k in s.changed})
                for s in again})
            for s in again:
                s.changed.clear()  # nothing to write, nothing to log
        elif existed:
            raise Retry(f"{table}: row inserted concurrently")
        written = [s for s in changed if s.changed]
        if table == ATTEMPTS:  # only new rows, all the caller's (authorise): one entry for them all
            entries += changelog.grouped(table, [s.row_id for s in written], batch.caller.user_id,
                                         {s.values.get(push_attempts.DEVICE) for s in written})
        else:
            entries += [changelog.Entry(table, s.row_id, s.values.get(spec.owner) if spec.owner else None,
                                        created=not s.exists) for s in written]
    batch.raise_if_rejected()
    if any(entry.table in content_version.CONTENT_TABLES for entry in entries):
        content_version.renew(conn)
    return entries


def _push(conn: psycopg.Connection, db: Database, caller: Caller, ops: Sequence[Op],
          tries: push_attempts.Tries) -> PushResult:
    batch = Batch(conn, caller, db.known_ids)
    entries = push_attempts.write(conn, batch, ops, tries)  # the bulk case, or None: nothing written
    if entries is None:
        entries = _general(conn, batch, ops)
    cursor = changelog.record(conn, entries)
    return PushResult(acknowledged=list(dict.fromkeys(op.op_id for op in ops)),
                      cursor=cursor if cursor is not None else changelog.latest_seq(conn))


def _general(conn: psycopg.Connection, batch: Batch, ops: Sequence[Op]) -> list[changelog.Entry]:
    """Any batch: parse, lock, authorise, merge, check and write; the change-log entries."""
    # Attempts are settled by row id (see the module docstring): one row less per attempt.
    fresh_ids = _claim(conn, batch.caller.user_id, [op.op_id for op in ops if op.table != ATTEMPTS])
    fresh_ids.update(op.op_id for op in ops if op.table == ATTEMPTS)
    parsed: list[Parsed] = []
    taken: set[str] = set()
    for op in ops:
        if op.op_id in fresh_ids and op.op_id not in taken:  # a repeated id in one batch counts once
            taken.add(op.op_id)
            p = parse(batch, op)
            if p is not None:
                parsed.append(p)
    for table in TABLE_ORDER:  # lock stored rows in a fixed order (table, then id)
        if table == ATTEMPTS:
            continue  # immutable: settled after the insert instead
        ids = {p.op.row_id for p in parsed if p.spec.name == table}
        for row_id, state in rows.load(conn, SPECS[table], ids, lock=True).items():
            batch.rows[(table, row_id)] = state
    tombstoned = {key for key, state in batch.rows.items()
                  if key[0] in _GRANTS_VISIBILITY and state.values.get("deleted")}
    refs = batch.visible_references([(p.spec, p.values) for p in parsed])
    for p in parsed:
        if batch.authorise(p.op, p.spec, p.values, refs):
            merge(batch.state(p.spec.name, p.op.row_id, p.op.op_id), _device_written(p), p.op.hlc)
    batch.complete_new_rows()
    batch.check_derived_ids()
    batch.check_uniques()
    batch.raise_if_rejected()
    entries = _write(conn, batch, parsed)
    return entries + _history_seen_again(conn, [(key, batch.rows[key]) for key in sorted(tombstoned)
                                                if not batch.rows[key].values.get("deleted")])


def _device_written(p: Parsed) -> dict[str, Any]:
    """The values of an op that a push may write: a server-managed field (class_id, which
    changes by join code) is checked like any reference, then left out. An older app sends
    class_id: null with every new profile, which would take the student out of the class."""
    managed = p.spec.server_managed
    return {k: v for k, v in p.values.items() if k not in managed} if managed & p.values.keys() else p.values


# A class or a student's profile lets the class's teacher read the student's rows while
# neither is deleted (changelog.scope_of).
_GRANTS_VISIBILITY = ("classes", "student_profiles")


def _history_seen_again(conn: psycopg.Connection,
                        restored: list[tuple[tuple[str, str], RowState]]) -> list[changelog.Entry]:
    """The log entries of every student a restored class or profile shows to a teacher again.

    While the class (or the profile) was deleted, the teacher's pulls went past that
    student's changes without them; those entries sit below the teacher's cursor. They
    move to new seqs, as when a student joins a class, so the teacher's next pull gets them."""
    owners: set[str] = set()
    for (table, row_id), state in restored:
        if table == "classes":
            owners.update(r[0] for r in conn.execute(
                "SELECT user_id FROM student_profiles WHERE class_id = %s AND NOT deleted", (row_id,)))
        elif state.values.get("class_id") is not None:
            owners.add(state.values["user_id"])
    return [entry for owner in sorted(owners) for entry in changelog.entries_of_owner(conn, owner)]


def push(db: Database, identify: Identify, ops: Sequence[Op]) -> PushResult:
    """Apply `ops` for the caller `identify(conn)` names, in the same transaction (see the
    module docstring). Raises what `identify` raises (Unauthorized), OpsRejected or Busy."""
    tries = push_attempts.Tries()
    return db.run(lambda conn: _push(conn, db, identify(conn), ops, tries))
