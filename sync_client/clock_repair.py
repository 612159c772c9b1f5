"""Getting a laptop back in sync after its date was wrong (far in the future) for a while.

What it wrote then carries stamps the server refuses (`clock_ahead`, more than a day ahead
of the server's clock), and its clock keeps issuing such stamps after the date is put
right: a clock never runs back. Once the server has refused one of its changes and this
laptop's own date is more than a day behind that change's stamp, the date has been put
right. Let R be the oldest stamp of a change not yet accepted that is that far ahead: the
server would refuse every stamp from R on. Then, in one transaction that holds the
database's write lock:

- every change not yet accepted stamped R or later gets a fresh stamp, in its order (the
  ones refused for `clock_ahead` go back in the queue); the fresh stamps follow the newest
  stamp pulled, the newest change older than R and wall time, so a change still beats
  every edit this laptop had seen (HLC's promise);
- every field stamp of a local row that *this laptop* wrote at R or later gets a fresh
  stamp older than those of the changes, so the server's copy (which holds the changes')
  still wins the field when it comes back on pull and the two copies agree. Stamps other
  devices wrote are left alone: the server accepted them;
- the clock is held (no thread gets a stamp) from the reads to the commit and set back
  after the fresh stamps, unless a stamp it issued before is still on its way to the
  database (an edit being saved): then it stays ahead, and that edit, refused in turn, is
  stamped again after these in a later round, in the order the edits were made.

A change refused for `clock_ahead` whose stamp is within the day (the date was a little
more than a day ahead, or it is right now) is simply sent again: `requeue_within_margin`.
While the date is still far ahead, nothing happens: the changes wait, set aside with the
server's "check this computer's date and time". Core statements only, so the outbox hook
queues nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.orm import Session

from desktop_app.db.database import CLOCK_RECEIVED_KEY, CLOCK_STATE_KEY, LocalDatabase
from desktop_app.db.hlc import MAX_AHEAD_MS, HybridLogicalClock
from desktop_app.db.models import SYNCED_MODELS, QuestionAttempt, SyncOperation, SyncState
from desktop_app.db.serialize import to_wire
from desktop_app.services import learner
from desktop_app.services.learner_snapshot import KEY_PREFIX as SNAPSHOT
from sync_client import state
from sync_client.outbox import PENDING, refused_with, unsettled

CLOCK_AHEAD = "clock_ahead"
REFUSED = refused_with(CLOCK_AHEAD)  # set aside by the server for its date


def repair_if_date_fixed(db: LocalDatabase, *, wall_ms: int | None = None) -> int:
    """Re-stamp what a wrong date stamped, once the date is right; returns the changes re-queued."""
    limit = _limit(db, wall_ms)
    far_ahead = REFUSED & (SyncOperation.hlc >= limit)
    if not _any(db, far_ahead):
        return 0  # nothing refused for its date, or the date is still wrong (the usual round writes nothing)
    with db.session() as session:
        # The write lock first, then the clock (never the other way round: an edit being
        # saved may hold the write lock while it asks the clock for a stamp).
        session.execute(update(SyncState).where(SyncState.key == CLOCK_STATE_KEY).values(value=SyncState.value))
        with db.clock.held():
            if session.scalar(select(SyncOperation.id).where(far_ahead).limit(1)) is None:
                return 0  # settled meanwhile; closing rolls the lock back
            refused = session.scalar(select(func.min(SyncOperation.hlc)).where(unsettled(), SyncOperation.hlc >= limit))
            saved = session.get(SyncState, CLOCK_STATE_KEY)
            written = max(session.scalar(select(func.max(SyncOperation.hlc))) or "", saved.value if saved else "",
                          db.clock.received)
            fresh = HybridLogicalClock(db.device_id, wall=lambda: _wall_of(limit),
                                       last=max(_newest_before(session, refused, db.device_id, limit),
                                                _newest_pulled(session, db)))
            redated = _redate_answers(session, refused, _wall_of(limit))
            _restamp_rows(session, refused, db.device_id, fresh.now())
            requeued = _restamp_ops(session, refused, fresh)
            on_its_way = db.clock.last > written  # a stamp issued, its edit not saved yet
            if not on_its_way:
                db.remember_clock(session, CLOCK_STATE_KEY, fresh.last)
            session.commit()
            if not on_its_way:
                db.clock.set_back(fresh.last)
    if redated:
        learner.forget()  # the model state this process holds was built from the old dates
    return requeued


def resend_refused_for_date(db: LocalDatabase, *, wall_ms: int | None = None) -> None:
    """Before a push: send again what the server refused for its date, if the date allows
    now (the usual round: one read, nothing written)."""
    if _any(db, REFUSED):
        requeue_within_margin(db, wall_ms=wall_ms)
        repair_if_date_fixed(db, wall_ms=wall_ms)


def requeue_within_margin(db: LocalDatabase, *, wall_ms: int | None = None) -> int:
    """Send again the changes refused for their date whose stamps the server takes now."""
    within = REFUSED & (SyncOperation.hlc < _limit(db, wall_ms))
    with db.transaction() as session:
        return session.execute(update(SyncOperation).where(within)
                               .values(status=PENDING, last_error=None)
                               .execution_options(synchronize_session=False)).rowcount


def _any(db: LocalDatabase, condition: Any) -> bool:
    with db.session() as session:
        return session.scalar(select(SyncOperation.id).where(condition).limit(1)) is not None


def _limit(db: LocalDatabase, wall_ms: int | None) -> str:
    """Stamps from this (15-digit wall part) on are more than a day ahead of this laptop's date."""
    wall = db.clock.wall_ms() if wall_ms is None else wall_ms
    return f"{wall + MAX_AHEAD_MS:015d}"


def _wall_of(limit: str) -> int:
    return int(limit) - MAX_AHEAD_MS


def _newest_before(session: Session, refused: str, device: str, limit: str) -> str:
    """The newest stamp of a change older than `refused` (none of those is too far ahead:
    R is the oldest that is), or wall time."""
    newest = session.scalar(select(func.max(SyncOperation.hlc)).where(SyncOperation.hlc < refused))
    return max(f"{_wall_of(limit):015d}:000000:{device}", newest or "")


def _newest_pulled(session: Session, db: LocalDatabase) -> str:
    """The newest stamp pulled. A database from before that was kept learns it from its rows:
    the newest field stamp another device wrote."""
    if session.get(SyncState, CLOCK_RECEIVED_KEY) is not None:
        return db.clock.received
    newest = db.clock.received
    for table in SYNCED_MODELS:
        found = session.execute(text(f"SELECT max(stamp.value) FROM {table}, json_each({table}.field_stamps) AS stamp "
                                     "WHERE stamp.value NOT LIKE :mine"), {"mine": f"%:{db.device_id}"}).scalar()
        newest = max(newest, found or "")
    return newest


def _redate_answers(session: Session, refused: str, wall: int) -> bool:
    """Answers given while the date was wrong carry that date too (a year ahead, say), and
    mastery and the review schedule would count them as given then. The true moment is
    unknown; "now" is the nearest we know, so they move to now, one millisecond apart in
    their order. Only answers the server has not accepted change (it has none of these).
    The students' saved model states are dropped: they were built in the old order."""
    now = datetime.fromtimestamp(wall / 1000, timezone.utc)
    a = QuestionAttempt
    found = session.execute(select(SyncOperation.id, SyncOperation.payload, a.id, a.student_id)
                            .join(a, a.id == SyncOperation.row_id)
                            .where(unsettled(), SyncOperation.hlc >= refused, SyncOperation.table_name == a.__tablename__,
                                   a.timestamp > now + timedelta(milliseconds=MAX_AHEAD_MS))
                            .order_by(a.timestamp, a.id)).all()
    if not found:
        return False
    moved = [{"b_op": op_id, "b_row": row_id, "b_when": now + timedelta(milliseconds=i),
              "b_payload": {**payload, "timestamp": to_wire(now + timedelta(milliseconds=i))}}
             for i, (op_id, payload, row_id, _) in enumerate(found)]
    ops, attempts = SyncOperation.__table__, a.__table__
    session.execute(update(ops).where(ops.c.id == bindparam("b_op")).values(payload=bindparam("b_payload")), moved)
    session.execute(update(attempts).where(attempts.c.id == bindparam("b_row")).values(timestamp=bindparam("b_when")),
                    moved)
    students = {student for *_, student in found}
    session.execute(delete(SyncState).where(SyncState.key.in_([SNAPSHOT + s for s in students])))
    state.add_stale_students(session, students)  # mastery is recomputed from them
    return True


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
    requeued = session.execute(update(SyncOperation).where(REFUSED, SyncOperation.hlc >= refused)
                               .values(status=PENDING, last_error=None)
                               .execution_options(synchronize_session=False)).rowcount
    ops = session.scalars(select(SyncOperation.id).where(unsettled(), SyncOperation.hlc >= refused)
                          .order_by(SyncOperation.hlc, SyncOperation.id)).all()
    if ops:
        table = SyncOperation.__table__
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(hlc=bindparam("b_hlc")),
                        [{"b_id": op_id, "b_hlc": fresh.now()} for op_id in ops])
    return requeued
