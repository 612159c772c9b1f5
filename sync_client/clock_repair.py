"""Getting a laptop back in sync after its date was wrong (far in the future) for a while.

What it wrote then carries stamps the server refuses (`clock_ahead`, more than a day ahead
of the server's clock), and its clock keeps issuing such stamps after the date is put
right: a clock never runs back. Once the server has refused one of its changes and this
laptop's own date is far behind that change's stamp, the date has been put right. Let R be
the oldest such refused stamp: the clock issued every stamp from R on, so the server would
refuse them all. Then, in one transaction that holds the database's write lock:

- every change not yet accepted stamped R or later gets a fresh stamp, in its order (the
  ones refused for `clock_ahead` go back in the queue); the fresh stamps follow the newest
  stamp received from another device, the newest change the server accepted and wall
  time, so a change still beats every edit this laptop had seen (HLC's promise);
- every field stamp of a local row that *this laptop* wrote at R or later gets a fresh
  stamp older than those of the changes, so the server's copy (which holds the changes')
  still wins the field when it comes back on pull and the two copies agree. Stamps other
  devices wrote are left alone: the server accepted them;
- after the commit the clock continues after the fresh stamps. Until then it is not
  touched: an edit saved meanwhile gets a stamp at R or later, which the next round
  stamps again after these, in the order the edits were made.

While the date is still wrong, nothing happens: the changes wait, set aside with the
server's "check this computer's date and time". Core statements only, so the outbox hook
queues nothing.
"""
from __future__ import annotations

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from desktop_app.db.database import CLOCK_STATE_KEY, LocalDatabase
from desktop_app.db.hlc import MAX_AHEAD_MS, HybridLogicalClock
from desktop_app.db.models import SYNCED_MODELS, SyncOperation, SyncState
from sync_client.outbox import FAILED, PENDING, unsettled

CLOCK_AHEAD = "clock_ahead"


def repair_if_date_fixed(db: LocalDatabase, *, wall_ms: int | None = None) -> int:
    """Re-stamp what a wrong date stamped, once the date is right; returns the changes re-queued."""
    wall = db.clock.wall_ms() if wall_ms is None else wall_ms
    limit = f"{wall + MAX_AHEAD_MS:015d}"
    with db.transaction() as session:
        # Take the write lock first: no other write lands between the reads and the writes.
        session.execute(update(SyncState).where(SyncState.key == CLOCK_STATE_KEY).values(value=SyncState.value))
        refused = session.scalar(select(func.min(SyncOperation.hlc))
                                 .where(SyncOperation.status == FAILED, SyncOperation.hlc >= limit)
                                 .where(SyncOperation.last_error.startswith(f"{CLOCK_AHEAD}:")))
        if refused is None:
            return 0  # nothing refused for its date, or the date is still wrong
        fresh = HybridLogicalClock(db.device_id, wall=lambda: wall,
                                   last=max(_newest_accepted(session, refused, db.device_id, wall), db.clock.received))
        _restamp_rows(session, refused, db.device_id, fresh.now())
        requeued = _restamp_ops(session, refused, fresh)
        db.remember_clock(session, CLOCK_STATE_KEY, fresh.last)
    db.clock.set_back(fresh.last)
    return requeued


def _newest_accepted(session: Session, refused: str, device: str, wall: int) -> str:
    """The newest stamp of a change older than `refused` (the server has those), or wall time."""
    newest = session.scalar(select(func.max(SyncOperation.hlc)).where(SyncOperation.hlc < refused))
    return max(f"{wall:015d}:000000:{device}", newest or "")


def _restamp_rows(session: Session, refused: str, device: str, stamp: str) -> None:
    mine = f":{device}"
    for model in SYNCED_MODELS.values():
        table = model.__table__
        fixed = []
        for row_id, stamps in session.execute(select(model.id, model.field_stamps).where(model.hlc >= refused)):
            stamps = {name: stamp if old >= refused and old.endswith(mine) else old
                      for name, old in (stamps or {}).items()}
            fixed.append({"b_id": row_id, "b_stamps": stamps, "b_hlc": max(stamps.values(), default=stamp)})
        if fixed:
            session.execute(update(table).where(table.c.id == bindparam("b_id"))
                            .values(field_stamps=bindparam("b_stamps"), hlc=bindparam("b_hlc")), fixed)


def _restamp_ops(session: Session, refused: str, fresh: HybridLogicalClock) -> int:
    ops = session.execute(select(SyncOperation.id, SyncOperation.status, SyncOperation.last_error)
                          .where(unsettled()).where(SyncOperation.hlc >= refused)
                          .order_by(SyncOperation.hlc, SyncOperation.id)).all()
    requeued = 0
    params = []
    for op_id, status, error in ops:
        again = status == FAILED and (error or "").startswith(f"{CLOCK_AHEAD}:")
        requeued += again
        params.append({"b_id": op_id, "b_hlc": fresh.now(), "b_status": PENDING if again else status,
                       "b_error": None if again else error})
    if params:
        table = SyncOperation.__table__
        session.execute(update(table).where(table.c.id == bindparam("b_id"))
                        .values(hlc=bindparam("b_hlc"), status=bindparam("b_status"),
                                last_error=bindparam("b_error")), params)
    return requeued
