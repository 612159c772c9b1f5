"""The bulk case of push: a batch of new question attempts and nothing else, in one pass.

Nearly every op a device sends is a new attempt, and nearly every batch holds nothing
else. The general path (push.py) builds a row state per op, merges stamps field by field,
completes rows and checks uniques: needed for rows that change, not for an immutable
event that arrives whole. This module takes such a batch when every op is a complete
attempt insert (all fields present and valid, distinct op and row ids, the caller's own,
on questions that exist) and writes it with one statement.

Anything else returns None before anything is written, and push.py takes the general
path, which stays the reference: it rejects and explains exactly as before, and
tests/sync_server/test_push_attempts.py holds both paths to the same stored rows.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import errors as pg_errors

from desktop_app.db.models import QuestionAttempt
from sync_server import changelog, rows
from sync_server.auth import Caller
from sync_server.db import Retry
from sync_server.push_checks import Batch, stamp_ok, storage_errors, too_far_ahead
from sync_server.tables import SPECS, all_valid, converted_all

if TYPE_CHECKING:
    from sync_server.push import Op

ATTEMPTS = QuestionAttempt.__tablename__
_SPEC = SPECS[ATTEMPTS]
_FIELDS = frozenset(_SPEC.fields)
_OWNER = _SPEC.owner
_REFERENCES = tuple(_SPEC.references.items())
DEVICE = "device_id"  # the column naming the device that recorded an attempt (pull's skip_device)
_PRIMARY_KEY = QuestionAttempt.__table__.primary_key.name


@dataclass
class Attempts:
    """A bulk batch a column at a time: "id", every content field and "hlc", in database form
    (as rows.db_record has them), one value per op, in the order of the ops."""

    columns: dict[str, list[Any]]
    op_ids: list[str]

    @property
    def ids(self) -> list[str]:
        return self.columns["id"]

    def without(self, ids: set[str]) -> Attempts:
        keep = [i for i, row_id in enumerate(self.ids) if row_id not in ids]
        return Attempts({name: [values[i] for i in keep] for name, values in self.columns.items()},
                        [self.op_ids[i] for i in keep])


def attempts_of(ops: Sequence[Op], caller: Caller, stamp_limit: str) -> Attempts | None:
    """The batch's rows, or None if any op needs the general path.

    Row by row they equal rows.db_record of each op (every field carries the op's stamp).
    The fields are checked and converted a column at a time (tables.all_valid,
    tables.converted_all): the same checks as parse_fields, which test_tables holds them to.
    """
    if any(op.table != ATTEMPTS or op.operation != "insert" or op.payload.keys() != _FIELDS for op in ops):
        return None
    row_ids, op_ids, stamps = [op.row_id for op in ops], [op.op_id for op in ops], [op.hlc for op in ops]
    if len(set(op_ids)) != len(ops) or len(set(row_ids)) != len(ops) or not all(map(stamp_ok, stamps)) \
            or too_far_ahead(max(stamps, default=""), stamp_limit):
        return None
    columns: dict[str, list[Any]] = {"id": row_ids}
    for name, column in _SPEC.columns.items():
        values = [op.payload[name] for op in ops]
        if column.convert is not None:
            try:
                values = converted_all(column, values)
            except ValueError:
                return None
        if not all_valid(column, values):
            return None
        if name == _OWNER and any(owner != caller.user_id for owner in values):
            return None
        columns[name] = values
    columns["hlc"] = stamps
    return Attempts(columns, op_ids)


@dataclass
class Tries:
    """What the runs of one push have learnt: an earlier run met attempts stored already,
    and the rows it built from the ops (the ops and the caller do not change)."""

    stored_seen: bool = False
    attempts: Attempts | None = None


def write(conn: psycopg.Connection, batch: Batch, ops: Sequence[Op], tries: Tries) -> list[changelog.Entry] | None:
    """Insert the batch's attempts and return their change-log entry (one for all the new
    ones: changelog.grouped); None (nothing written) when the batch is not for this path.
    Attempts stored already are settled as on the general path: the same content is a
    no-op, anything else is refused.

    New attempts are the rule, and a batch sent again (its response was lost) the exception:
    the insert first assumes they are all new (no conflict check per row, ~15% of its
    PostgreSQL time). If one was stored already, that aborts the transaction; the push runs
    again (Retry) and this time settles the stored ones first and inserts only the rest. A
    batch sent again whole, the usual case, then costs one read of its rows, with neither
    a second insert nor the ops parsed again."""
    attempts = tries.attempts or attempts_of(ops, batch.caller, batch.stamp_limit)
    if attempts is None or not attempts.ids:
        return None
    used = {column: set(attempts.columns[column]) - {None} for column, _ in _REFERENCES}
    refs = batch.visible_references((_SPEC, {column: value}) for column, values in used.items() for value in values)
    if any(used[column] - refs.get(table, set()) for column, table in _REFERENCES):
        return None
    new = attempts
    if tries.stored_seen:
        sent = {row_id: ([op_id], {name: attempts.columns[name][i] for name in _SPEC.fields})
                for i, (row_id, op_id) in enumerate(zip(attempts.ids, attempts.op_ids))}
        stored = settle_existing(conn, batch, sent)
        batch.raise_if_rejected()
        new = attempts.without(stored)
    with storage_errors(ATTEMPTS, attempts.op_ids):
        try:
            rows.insert_columns(conn, _SPEC, new.columns)
        except pg_errors.UniqueViolation as exc:
            if exc.diag.constraint_name != _PRIMARY_KEY:
                raise
            tries.stored_seen, tries.attempts = True, attempts
            raise Retry("question_attempts: some were stored already (a batch sent again)") from None
    return changelog.grouped(ATTEMPTS, new.ids, batch.caller.user_id, set(new.columns[DEVICE]))


def settle_existing(conn: psycopg.Connection, batch: Batch,
                    sent: dict[str, tuple[list[str], dict[str, Any]]]) -> set[str]:
    """Attempts that may be stored already ({row id: (its op ids, values sent)}): the same
    content is a no-op, anything else (or another user's row) is refused. Returns the ids
    that were stored. Both paths use this."""
    stored = rows.load(conn, _SPEC, sent, lock=False)
    for row_id, old in stored.items():
        op_ids, values = sent[row_id]
        if old.values.get(_OWNER) != batch.caller.user_id:
            code, message = "forbidden", "this question_attempts row belongs to another user"
        elif any(old.values.get(k) != v for k, v in values.items()):
            code, message = "append_only", "this attempt exists with different content"
        else:
            continue
        for op_id in op_ids:
            batch.reject(op_id, code, message)
    return set(stored)
