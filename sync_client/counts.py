"""Local row counts with the server's visibility, to check a round (see /sync/summary).

The server counts live (not deleted) rows the account can pull: the whole syllabus, the
account's own rows, and for a student their class (for a teacher: their classes and the
rows of the students in them). Counting the same set locally and comparing tells whether
the two copies hold the same rows. Rows the server cannot have yet are left out: those
whose insert is still queued or was rejected; a table with any other unsettled op (an
update or a tombstone not yet acknowledged) is not compared this round.

Functions take the caller's session (any thread) and never write.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from desktop_app.db.models import APPEND_ONLY, SYNCED_MODELS, SchoolClass, StudentProfile, SyncOperation, User
from desktop_app.db.serialize import references
from sync_client import outbox

_OWNER = {name: next((field for field, table in references(model).items() if table == "users"), None)
          for name, model in SYNCED_MODELS.items()}


def _owners(session: Session, user_id: str, role: str) -> list[str]:
    if role == "student":
        return [user_id]
    students = session.scalars(
        select(StudentProfile.user_id).join(SchoolClass, SchoolClass.id == StudentProfile.class_id)
        .where(SchoolClass.teacher_id == user_id, SchoolClass.deleted.is_(False),
               StudentProfile.deleted.is_(False)))
    return [user_id, *sorted(set(students))]


def local_counts(session: Session, *, user_id: str, tables: list[str] | None = None) -> dict[str, int | None]:
    """table -> live rows the server should also hold for `user_id`; None = not comparable now.

    One statement (a scalar subquery per table): this runs after every round.
    """
    role = session.scalar(select(User.role).where(User.id == user_id)) or "student"
    owners = _owners(session, user_id, role)
    unsettled = session.execute(
        select(SyncOperation.table_name, SyncOperation.operation, SyncOperation.row_id)
        .where(outbox.unsettled())).all()
    skip_tables = {t for t, op, _ in unsettled if op != "insert"}
    counts: dict[str, int | None] = {}
    parts: dict[str, str] = {}
    params: dict[str, object] = {"user": user_id, "owners": owners}
    expanding = ["owners"]
    # Plain SQL, built from the table names: this runs after every round, and building the
    # same statement with SQLAlchemy's expression language cost more than running it.
    for name in tables or list(SYNCED_MODELS):
        if name not in SYNCED_MODELS or name in skip_tables:
            counts[name] = None
            continue
        where = [] if name in APPEND_ONLY else ["deleted = 0"]
        local_only = [r for t, op, r in unsettled if t == name]
        if local_only:
            params[f"local_{len(parts)}"] = local_only
            expanding.append(f"local_{len(parts)}")
            where.append(f"id NOT IN :local_{len(parts)}")
        owner = _OWNER[name]
        if name == "classes" and role == "student":
            where.append("id IN (SELECT class_id FROM student_profiles WHERE user_id = :user AND deleted = 0)")
        elif owner is not None and name != "classes":
            where.append(f'"{owner}" IN :owners')
        elif owner is not None:
            where.append(f'"{owner}" = :user')
        parts[name] = f'(SELECT count(*) FROM "{name}"' + (f" WHERE {' AND '.join(where)})" if where else ")")
    if parts:
        sql = f"SELECT {', '.join(parts.values())}"
        statement = text(sql).bindparams(*(bindparam(n, expanding=True) for n in expanding if f":{n}" in sql))
        row = session.execute(statement, params).one()
        counts.update({name: int(n or 0) for name, n in zip(parts, row)})
    return counts


def compare_counts(session: Session, server: dict[str, int], *, user_id: str | None) -> dict[str, tuple[int, int]]:
    """Tables whose local count differs from the server's: table -> (local, server)."""
    if not user_id:
        return {}
    local = local_counts(session, user_id=user_id, tables=list(server))
    return {t: (n, server[t]) for t, n in local.items() if n is not None and n != server[t]}
