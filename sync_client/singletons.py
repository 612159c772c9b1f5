"""One profile and one plan per student: folding a local duplicate into the account's row.

`student_profiles.user_id` and `study_plans.student_id` are unique. Two devices that each
created "the" profile offline (or an offline local account that logs in to an account that
already has one) hold two rows for one owner; the server keeps the first it received and
refuses the other (unique_violation). The client then folds its local row into the
server's row: a profile field by field (latest wins, each value keeping its own stamp), a
plan whole (a plan is one piece: the newer plan wins). The winning values are queued as
updates of the kept row *with their original stamps*, so the server decides exactly as it
would have; the local duplicate, which never reached the server, is removed with its ops.

Core statements only (no flush hooks): safe inside `applying_remote`. Callers own the
transaction.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from desktop_app.db.ids import new_id, singleton_id
from desktop_app.db.models import StudentProfile, StudyPlan, SyncOperation
from desktop_app.db.serialize import device_fields, to_wire

# table -> (model, owner column, merge field by field?)
SINGLETONS: dict[str, tuple[Any, str, bool]] = {
    "student_profiles": (StudentProfile, "user_id", True),
    "study_plans": (StudyPlan, "student_id", False),
}


# The id every device and the server give `user_id`'s one row of `table` (sync protocol).
derived_id = singleton_id


def duplicates(session: Session, table: str, rows: dict[str, str]) -> dict[str, str]:
    """{local duplicate id: kept id} for incoming rows {row id: owner} of a singleton table."""
    model, owner, _ = SINGLETONS[table]
    if not rows:
        return {}
    found = session.execute(select(model.id, getattr(model, owner))
                            .where(getattr(model, owner).in_(set(rows.values())))).all()
    by_owner = {o: i for i, o in rows.items()}
    return {row_id: by_owner[o] for row_id, o in found if row_id not in rows}


def fold(session: Session, table: str, *, keep: dict[str, Any], drop_id: str) -> dict[str, Any]:
    """Merge row `drop_id` into the row state `keep` and remove it (see the module docstring).

    `keep` holds the kept row's "id", "field_stamps", "hlc" and field values (an incoming
    row not inserted yet, or a stored row read by `stored_state`). Returns the columns of
    the kept row that change ({} when the kept row wins everything); the caller writes
    them. The winning values are queued as updates of the kept row.
    """
    model, owner, field_wise = SINGLETONS[table]
    names = [n for n in device_fields(model) if n not in (owner, "deleted")]  # the kept row's class stays
    drop = session.execute(select(model.field_stamps, model.hlc, *(getattr(model, n) for n in names))
                           .where(model.id == drop_id)).one()
    keep_stamps, drop_stamps = dict(keep.get("field_stamps") or {}), dict(drop[0] or {})
    if field_wise:
        winners = [n for n in names if drop_stamps.get(n, "") > keep_stamps.get(n, "")]
    else:
        winners = names if (drop[1] or "") > (keep.get("hlc") or "") else []
    values = dict(zip(names, drop[2:]))
    session.execute(delete(SyncOperation).where(SyncOperation.table_name == table,
                                                SyncOperation.row_id == drop_id))
    session.execute(delete(model).where(model.id == drop_id).execution_options(synchronize_session=False))
    if not winners:
        return {}
    stamps = {**keep_stamps, **{n: drop_stamps.get(n) or drop[1] for n in winners}}
    by_stamp: dict[str, dict[str, Any]] = defaultdict(dict)
    for n in winners:
        by_stamp[stamps[n]][n] = to_wire(values[n])
    session.execute(insert(SyncOperation), [
        {"id": new_id(), "table_name": table, "row_id": keep["id"], "operation": "update",
         "payload": payload, "hlc": stamp, "status": "pending", "tries": 0}
        for stamp, payload in sorted(by_stamp.items())])
    return {**{n: values[n] for n in winners}, "field_stamps": stamps, "hlc": max(stamps.values())}


def stored_state(session: Session, table: str, row_id: str) -> dict[str, Any]:
    """A stored row of a singleton table as `fold` wants it."""
    model = SINGLETONS[table][0]
    row = session.execute(select(model.field_stamps, model.hlc).where(model.id == row_id)).one()
    return {"id": row_id, "field_stamps": row[0], "hlc": row[1]}


def write(session: Session, table: str, row_id: str, changes: dict[str, Any]) -> None:
    if changes:
        model = SINGLETONS[table][0]
        session.execute(update(model).where(model.id == row_id).values(changes)
                        .execution_options(synchronize_session=False))
