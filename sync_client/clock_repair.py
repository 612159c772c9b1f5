"""Getting a laptop back in sync after its date was wrong (far in the future) for a while.

What it wrote then carries stamps the server refuses (`clock_ahead`, more than a day ahead
of the server's clock), and its clock keeps issuing such stamps after the date is put
right: a clock never runs back. Once the server has refused one of its changes and this
laptop's own date is far behind that change's stamp, the date has been put right, so:

- the clock is set back to just after the newest stamp that is not too far ahead (a stamp
  pulled from the server, or wall time): a later edit still beats everything it has seen;
- every field stamp of a local row that is too far ahead gets a fresh stamp, *older* than
  the fresh stamps of the queued changes below, so the server's copy (which holds those)
  still wins the field when it comes back on pull and the two copies agree;
- every change not yet accepted that is too far ahead is stamped again, in its order, and
  the ones refused for `clock_ahead` go back in the queue.

While the date is still wrong, nothing happens: the changes wait, set aside with the
server's "check this computer's date and time". Core statements only, so nothing is queued
by the outbox hook; the caller's transaction persists the clock (LocalDatabase.transaction).
"""
from __future__ import annotations

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from desktop_app.db.database import LocalDatabase
from desktop_app.db.hlc import MAX_AHEAD_MS
from desktop_app.db.models import SYNCED_MODELS, SyncOperation
from sync_client.outbox import FAILED, PENDING, unsettled

CLOCK_AHEAD = "clock_ahead"


def repair_if_date_fixed(db: LocalDatabase, *, wall_ms: int | None = None) -> int:
    """Re-stamp what a wrong date stamped, once the date is right; returns the changes re-queued."""
    wall = db.clock.wall_ms() if wall_ms is None else wall_ms
    limit = f"{wall + MAX_AHEAD_MS:015d}"
    with db.transaction() as session:
        refused = session.scalar(select(func.max(SyncOperation.hlc))
                                 .where(SyncOperation.status == FAILED)
                                 .where(SyncOperation.last_error.startswith(f"{CLOCK_AHEAD}:")))
        if refused is None or refused < limit:
            return 0  # nothing refused for its date, or the date is still wrong
        db.clock.set_back(_newest_stamp_before(session, limit, db.device_id, wall))
        _restamp_rows(session, limit, db.clock.now())
        return _restamp_ops(session, limit, db)


def _newest_stamp_before(session: Session, limit: str, device: str, wall: int) -> str:
    """The newest stamp below `limit` this laptop holds, or wall time if that is newer."""
    newest = f"{wall:015d}:000000:{device}"
    for model in (*SYNCED_MODELS.values(), SyncOperation):
        found = session.scalar(select(func.max(model.hlc)).where(model.hlc < limit))
        newest = max(newest, found or "")
    return newest


def _restamp_rows(session: Session, limit: str, stamp: str) -> None:
    for model in SYNCED_MODELS.values():
        table = model.__table__
        fixed = []
        for row_id, stamps in session.execute(select(model.id, model.field_stamps).where(model.hlc >= limit)):
            stamps = {name: stamp if old >= limit else old for name, old in (stamps or {}).items()}
            fixed.append({"b_id": row_id, "b_stamps": stamps, "b_hlc": max(stamps.values(), default=stamp)})
        if fixed:
            session.execute(update(table).where(table.c.id == bindparam("b_id"))
                            .values(field_stamps=bindparam("b_stamps"), hlc=bindparam("b_hlc")), fixed)


def _restamp_ops(session: Session, limit: str, db: LocalDatabase) -> int:
    ops = session.execute(select(SyncOperation.id, SyncOperation.status, SyncOperation.last_error)
                          .where(unsettled()).where(SyncOperation.hlc >= limit)
                          .order_by(SyncOperation.hlc, SyncOperation.id)).all()
    requeued = 0
    params = []
    for op_id, status, error in ops:
        refused = status == FAILED and (error or "").startswith(f"{CLOCK_AHEAD}:")
        requeued += refused
        params.append({"b_id": op_id, "b_hlc": db.clock.now(), "b_status": PENDING if refused else status,
                       "b_error": None if refused else error})
    if params:
        table = SyncOperation.__table__
        session.execute(update(table).where(table.c.id == bindparam("b_id"))
                        .values(hlc=bindparam("b_hlc"), status=bindparam("b_status"),
                                last_error=bindparam("b_error")), params)
    return requeued
