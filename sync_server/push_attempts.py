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
from sync_server.push_checks import Batch, stamp_ok, storage_errors
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


def records_of(ops: Sequence[Op], caller: Caller) -> list[dict[str, Any]] | None:
    """The rows to insert, one per op, or None if any op needs the general path.

    Each record equals rows.db_record of the op (every field carries the op's stamp), built
    from the payload in one dict display. The fields are checked and converted a column at a
    time (tables.all_valid, tables.converted_all): the same checks as parse_fields, which
    test_tables holds them to.
    """
    if any(op.table != ATTEMPTS or op.operation != "insert" or op.payload.keys() != _FIELDS for op in ops):
        return None
    if len({op.op_id for op in ops}) != len(ops) or len({op.row_id for op in ops}) != len(ops):
        return None
    if not all(map(stamp_ok, [op.hlc for op in ops])):
        return None
    converted: dict[str, list[Any]] = {}
    for name, column in _SPEC.columns.items():
        values = [op.payload[name] for op in ops]
        if column.convert is not None:
            try:
                values = converted[name] = converted_all(column, values)
            except ValueError:
                return None
        if not all_valid(column, values):
            return None
        if name == _OWNER and any(owner != caller.user_id for owner in values):
            return None
    records = [{**op.payload, "id": op.row_id, "hlc": op.hlc, "field_stamps": None} for op in ops]
    for name, values in converted.items():
        for record, value in zip(records, values):
            record[name] = value
    return records


@dataclass
class Tries:
    """What the runs of one push have learnt: an earlier run met attempts stored already,
    and the records it built from the ops (the ops and the caller do not change)."""

    stored_seen: bool = False
    records: list[dict[str, Any]] | None = None


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
    records = tries.records or records_of(ops, batch.caller)
    if not records:
        return None
    refs = batch.visible_references((_SPEC, r) for r in records)
    for column, table in _REFERENCES:
        visible = refs.get(table, set())
        if any(r[column] is not None and r[column] not in visible for r in records):
            return None
    new = records
    if tries.stored_seen:
        sent = {r["id"]: ([op.op_id], {name: r[name] for name in _SPEC.fields}) for op, r in zip(ops, records)}
        stored = settle_existing(conn, batch, sent)
        batch.raise_if_rejected()
        new = [r for r in records if r["id"] not in stored]
    with storage_errors(ATTEMPTS, (op.op_id for op in ops)):
        try:
            rows.insert_records(conn, _SPEC, new, may_exist=False)
        except pg_errors.UniqueViolation as exc:
            if exc.diag.constraint_name != _PRIMARY_KEY:
                raise
            tries.stored_seen, tries.records = True, records
            raise Retry("question_attempts: some were stored already (a batch sent again)") from None
    return changelog.grouped(ATTEMPTS, [r["id"] for r in new], batch.caller.user_id, {r[DEVICE] for r in new})


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
