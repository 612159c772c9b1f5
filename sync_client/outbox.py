"""Reading and settling the local `sync_operations` queue (the transactional outbox).

The before_flush hook in desktop_app/db/outbox.py *fills* the queue; this module *drains*
it. Every function takes the caller's session and never commits: the caller owns the
transaction. Ops are sent in the order they were made on this device, which is their clock
stamp (`hlc`) order: the HLC never runs backwards on a device, wall time can.
"""
from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, bindparam, delete, func, select, tuple_, type_coerce, update
from sqlalchemy.orm import Session

from desktop_app.db.models import SyncOperation
from sync_client.errors import Rejection

PENDING, SYNCED, FAILED = "pending", "synced", "failed"


def unsettled() -> Any:
    """The condition "not yet accepted by the server" (pending or failed), written so that
    SQLite answers it from idx_sync_pending instead of scanning every op ever synced."""
    return SyncOperation.status.in_((PENDING, FAILED))


@dataclass(frozen=True)
class FailedOp:
    """An op the server refused for good, kept for the person to see (and retry after a fix)."""

    op_id: str
    table: str
    row_id: str
    operation: str
    reason: str


def next_batch(session: Session, *, max_ops: int, max_bytes: int, after: tuple[str, str] | None = None,
               exclude_rows: Collection[tuple[str, str]] = ()) -> list[dict[str, Any]]:
    """The oldest pending ops in wire form, at most `max_ops` and about `max_bytes` of JSON;
    with `after` (hlc, op id), only ops that come after that one (a batch still in flight);
    never the ops of the rows `exclude_rows` (a few (table, row id)).

    At least one op is returned when any is pending, however large it is (the server's
    413 answer then sets it aside).
    """
    query = (select(SyncOperation.id, SyncOperation.table_name, SyncOperation.row_id, SyncOperation.operation,
                    type_coerce(SyncOperation.payload, Text), SyncOperation.hlc)  # stored text: its length is its size
             .where(SyncOperation.status == PENDING)
             .order_by(SyncOperation.hlc, SyncOperation.id)
             .limit(max_ops))
    if after is not None:
        query = query.where(tuple_(SyncOperation.hlc, SyncOperation.id) > tuple_(*after))
    if exclude_rows:
        query = query.where(tuple_(SyncOperation.table_name, SyncOperation.row_id).not_in(list(exclude_rows)))
    rows = session.execute(query).all()
    batch: list[dict[str, Any]] = []
    size = 0
    for op_id, table, row_id, operation, payload, hlc in rows:
        size += len(payload) + 200
        if batch and size > max_bytes:
            break
        batch.append({"op_id": op_id, "table": table, "row_id": row_id, "operation": operation,
                      "payload": json.loads(payload), "hlc": hlc})
    return batch


def mark_synced(session: Session, op_ids: Iterable[str]) -> int:
    """Acknowledged by the server: never sent again. Returns how many ops changed."""
    ids = list(op_ids)
    total = 0
    for chunk in _chunks(ids):
        total += session.execute(update(SyncOperation).where(SyncOperation.id.in_(chunk))
                                 .where(SyncOperation.status != SYNCED)
                                 .values(status=SYNCED, last_error=None)
                                 .execution_options(synchronize_session=False)).rowcount
    return total


def mark_failed(session: Session, rejections: Iterable[Rejection], sent: dict[str, str]) -> None:
    """Set ops aside for good with the server's reason; the rest of the queue goes on.

    `sent` maps each op id to the stamp it was sent with: an op stamped again since
    (clock_repair.py, while its batch was on its way) is not what the server refused, and
    stays in the queue."""
    params = [{"b_id": r.op_id, "b_hlc": sent[r.op_id], "b_error": f"{r.code}: {r.message}" if r.code else r.message}
              for r in rejections]
    if params:
        table = SyncOperation.__table__
        session.execute(update(table).where(table.c.id == bindparam("b_id")).where(table.c.hlc == bindparam("b_hlc"))
                        .values(status=FAILED, tries=table.c.tries + 1, last_error=bindparam("b_error")), params)


def set_aside_rows(session: Session, rows: Collection[tuple[str, str]], error: str) -> None:
    """Set the pending ops of `rows` aside with `error` (which starts with "code: ")."""
    if rows:
        session.execute(update(SyncOperation).where(SyncOperation.status == PENDING)
                        .where(tuple_(SyncOperation.table_name, SyncOperation.row_id).in_(list(rows)))
                        .values(status=FAILED, last_error=error).execution_options(synchronize_session=False))


def refused_with(code: str) -> Any:
    """The condition "set aside by the server with `code`" (mark_failed writes "code: message")."""
    return (SyncOperation.status == FAILED) & SyncOperation.last_error.startswith(f"{code}: ")


def record_failure(session: Session, op_ids: Iterable[str], error: str) -> None:
    """A push that did not get through: count the try, keep the reason, leave them pending."""
    for chunk in _chunks(list(op_ids)):
        session.execute(update(SyncOperation).where(SyncOperation.id.in_(chunk))
                        .values(tries=SyncOperation.tries + 1, last_error=error[:500])
                        .execution_options(synchronize_session=False))


def any_failed(session: Session) -> bool:
    """Whether any op is set aside (answered from idx_sync_pending)."""
    return session.scalar(select(SyncOperation.id).where(SyncOperation.status == FAILED).limit(1)) is not None


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SyncOperation)
                          .where(SyncOperation.status == PENDING)) or 0


def failed_ops(session: Session) -> list[FailedOp]:
    rows = session.execute(select(SyncOperation.id, SyncOperation.table_name, SyncOperation.row_id,
                                  SyncOperation.operation, SyncOperation.last_error)
                           .where(SyncOperation.status == FAILED).order_by(SyncOperation.hlc)).all()
    return [FailedOp(op_id=r[0], table=r[1], row_id=r[2], operation=r[3], reason=r[4] or "") for r in rows]


def retry_failed(session: Session) -> int:
    """Put failed ops back in the queue (after the person fixed the cause). Returns the count."""
    return session.execute(update(SyncOperation).where(SyncOperation.status == FAILED)
                           .values(status=PENDING).execution_options(synchronize_session=False)).rowcount


def purge_synced(session: Session, *, before: datetime) -> int:
    """Forget acknowledged ops made before `before` (the server has them; the queue stays small)."""
    return session.execute(delete(SyncOperation).where(SyncOperation.status == SYNCED)
                           .where(SyncOperation.created_at < before)
                           .execution_options(synchronize_session=False)).rowcount


def default_purge_horizon(now: datetime) -> datetime:
    return now - timedelta(days=7)


def _chunks(ids: list[str], size: int = 500) -> Iterable[list[str]]:
    # SQLite limits bound parameters per statement (32766 since 3.32, 999 before).
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
