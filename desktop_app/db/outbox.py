"""Transactional outbox: every change to a synced row enqueues its operation in the same flush.

Hooking `before_flush` of the desktop's session class (rather than asking every service
to remember) makes "a write and its sync_operations row commit together" hold for every
synced table by construction. Each written field gets the operation's clock stamp in
`field_stamps`, which is what latest-wins compares on the server and on pull.

Rows applied from a pull are written inside `applying_remote(session)`: they keep the
stamps they came with and are not queued again.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from desktop_app.db.base import SyncedMixin
from desktop_app.db.hlc import HybridLogicalClock
from desktop_app.db.ids import new_id
from desktop_app.db.models import SYNCED_MODELS, QuestionAttempt
from desktop_app.db.models.sync import SyncOperation, SyncState
from desktop_app.db.serialize import device_fields, row_to_wire

CLOCK_KEY = "clock"
_REMOTE_KEY = "applying_remote"
_QUIET_KEY = "outbox_off"


class LocalSession(Session):
    """The desktop's session: writes to synced tables are stamped and queued.

    `session.info["clock"]` must hold the device's HybridLogicalClock (the session factory
    puts it there).
    """


class HardDeleteError(RuntimeError):
    """Synced rows are tombstoned (deleted=True), never deleted: the server must learn of it."""


@contextmanager
def applying_remote(session: Session) -> Iterator[None]:
    """Writes inside this block come from the server: keep their stamps, queue nothing."""
    session.info[_REMOTE_KEY] = True
    try:
        yield
    finally:
        session.flush()
        session.info.pop(_REMOTE_KEY, None)


@contextmanager
def outbox_disabled(session: Session) -> Iterator[None]:
    """Local-only content (a student's own import of a bank): stamped, but not pushed."""
    session.info[_QUIET_KEY] = True
    try:
        yield
    finally:
        session.flush()
        session.info.pop(_QUIET_KEY, None)


def _changed_fields(row: Any) -> list[str]:
    state = inspect(row)
    return [name for name in device_fields(type(row)) if state.attrs[name].history.has_changes()]


CONTENT_VERSION_KEY = "content_version"
CONTENT_TABLES = frozenset({"topics", "topic_prerequisites", "concepts", "questions"})


def _bump_content_version(session: Session) -> None:
    """Mark the syllabus as changed (local import or pull), so caches built on it are rebuilt."""
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(getattr(row, "__tablename__", None) in CONTENT_TABLES for row in touched):
        row = session.get(SyncState, CONTENT_VERSION_KEY)
        if row is None:
            session.add(SyncState(key=CONTENT_VERSION_KEY, value=new_id()))
        else:
            row.value = new_id()


@event.listens_for(LocalSession, "before_flush")
def _stamp_and_enqueue(session: Session, _ctx: Any, _instances: Any) -> None:
    _bump_content_version(session)
    if session.info.get(_REMOTE_KEY):
        return
    clock: HybridLogicalClock = session.info[CLOCK_KEY]
    for row in list(session.deleted):
        if isinstance(row, SyncedMixin):
            raise HardDeleteError(f"{type(row).__tablename__} rows are tombstoned, not deleted")
    quiet = bool(session.info.get(_QUIET_KEY))
    for row in list(session.new):
        if isinstance(row, SyncedMixin):
            if isinstance(row, QuestionAttempt) and row.device_id is None:
                row.device_id = clock.device  # the laptop that recorded it (pull's skip_device relies on it)
            _stamp(session, row, device_fields(type(row)), "insert", clock, quiet)
    for row in list(session.dirty):
        if isinstance(row, SyncedMixin) and session.is_modified(row, include_collections=False):
            fields = _changed_fields(row)
            if fields:
                op = "delete" if "deleted" in fields and row.deleted else "update"
                _stamp(session, row, fields, op, clock, quiet)


def _stamp(session: Session, row: SyncedMixin, fields: list[str], operation: str,
           clock: HybridLogicalClock, quiet: bool) -> None:
    if row.id is None:
        row.id = new_id()
    # Defaults are applied at INSERT time; resolve them now so the payload carries them.
    for column in inspect(type(row)).columns:
        if getattr(row, column.key) is None and column.default is not None and column.key in fields:
            arg = column.default.arg
            setattr(row, column.key, arg(None) if callable(arg) else arg)
    stamp = clock.now()
    stamps = dict(row.field_stamps or {})
    stamps.update({name: stamp for name in fields})
    row.field_stamps = stamps
    row.hlc = max(stamps.values())  # the newest of any field (a clock set back issues older ones)
    if quiet:
        return
    table = type(row).__tablename__
    assert table in SYNCED_MODELS, table
    session.add(SyncOperation(table_name=table, row_id=row.id, operation=operation,
                              payload=row_to_wire(row, fields), hlc=stamp))
