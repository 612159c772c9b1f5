"""Bringing an offline local account's history into the server account it logs in to.

A laptop used before its first login has a local user whose id the server does not know.
Registering sends that id (so nothing moves). Logging in to an EXISTING server account
whose id differs re-owns the local rows in one transaction:

1. `prepare` (at login): the server's user row is added locally (the old local user gives
   up its username), and `REOWN_FROM` records the old id, so an interrupted login resumes.
2. The engine pulls the account's rows first (its profile and plan must be known to merge).
3. `complete`: attempts move to the new owner. A profile or plan moves too, taking the id
   derived from the account (docs/sync-protocol.md, "Derived row ids"); if the account
   already has one, the local one is folded into it (singletons.py: a profile field by
   field, a plan whole). Mastery is recomputed from the attempts; the old user row goes.

None of the old rows has reached the server (the device never synced under another
account: `account.login` refuses that), so their queued inserts are rewritten to name the
new owner instead of queueing updates the server would refuse (attempts are append-only).
Nothing is lost and nothing is counted twice. Callers own the transaction.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from desktop_app.db.models import ConceptMastery, QuestionAttempt, SyncOperation, User
from sync_client import outbox, singletons, state

REOWN_FROM = "sync_reown_from"


def prepare(session: Session, *, old_user: User, new_id: str, role: str, password_hash: str) -> None:
    """Add the server's user row, freeing the username held by `old_user`; remember the move."""
    username = old_user.username
    old_user.username = f"~{old_user.id}"
    session.flush()
    session.add(User(id=new_id, username=username, password_hash=password_hash, role=role,
                     display_name=old_user.display_name))
    state.put(session, REOWN_FROM, old_user.id)


def pending(session: Session) -> str | None:
    return state.get(session, REOWN_FROM)


def complete(session: Session, *, new_id: str, now: datetime,
             recompute: Callable[..., None]) -> None:
    """Move the old local user's rows to `new_id` (see the module docstring)."""
    old_id = state.get(session, REOWN_FROM)
    if not old_id or old_id == new_id:
        state.drop(session, REOWN_FROM)
        return
    for table in singletons.SINGLETONS:
        _merge_singleton(session, table, old_id, new_id)
    moved = session.scalars(select(QuestionAttempt.id).where(QuestionAttempt.student_id == old_id)).all()
    session.execute(update(QuestionAttempt).where(QuestionAttempt.student_id == old_id)
                    .values(student_id=new_id).execution_options(synchronize_session=False))
    _rewrite_queued(session, QuestionAttempt, "student_id", set(moved), old_id, new_id)
    session.execute(delete(ConceptMastery).where(ConceptMastery.student_id == old_id))
    old = session.get(User, old_id)
    if old is not None:
        session.delete(old)
    state.drop(session, REOWN_FROM)
    session.flush()
    recompute(session, student_id=new_id, concept_ids=None, now=now)


def _merge_singleton(session: Session, table: str, old_id: str, new_id: str) -> None:
    model, owner, _ = singletons.SINGLETONS[table]
    mine = session.scalar(select(model.id).where(getattr(model, owner) == old_id))
    if mine is None:
        return
    theirs = session.scalar(select(model.id).where(getattr(model, owner) == new_id))
    if theirs is None:  # the account has none yet: the local row changes owner, and id
        new_row = singletons.derived_id(table, new_id)
        session.execute(update(model).where(model.id == mine).values({owner: new_id, "id": new_row})
                        .execution_options(synchronize_session=False))
        session.execute(update(SyncOperation).where(SyncOperation.table_name == table, SyncOperation.row_id == mine)
                        .values(row_id=new_row).execution_options(synchronize_session=False))
        _rewrite_queued(session, model, owner, {new_row}, old_id, new_id)
        return
    changes = singletons.fold(session, table, keep=singletons.stored_state(session, table, theirs), drop_id=mine)
    singletons.write(session, table, theirs, changes)


def _rewrite_queued(session: Session, model: Any, owner: str, row_ids: set[str], old_id: str, new_id: str) -> None:
    """Queued ops of moved rows name the new owner (they have never been sent)."""
    if not row_ids:
        return
    ops = session.execute(select(SyncOperation.id, SyncOperation.row_id, SyncOperation.payload)
                          .where(SyncOperation.table_name == model.__tablename__,
                                 outbox.unsettled())).all()
    changes = [{"b_id": op_id, "b_payload": {**payload, owner: new_id}}
               for op_id, row_id, payload in ops if row_id in row_ids and payload.get(owner) == old_id]
    if changes:
        table = SyncOperation.__table__
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(payload=bindparam("b_payload")),
                        changes)
