"""Applying pulled changes to the local database: latest wins, field by field.

For each incoming field, the incoming stamp replaces the local value only when it is
greater than the local `field_stamps[field]` (string order == stamp order; a tie means the
same write, so nothing changes). Rows are written with bulk statements: one SELECT of the
local stamps per table and call, one executemany INSERT and one UPDATE.

Parents before children: the server's change log is compacted (a row sits at the seq of its
*latest* change), so a question edited after an attempt on it comes later in the log than
the attempt. A change whose parent row (a foreign key to another synced table) is neither
stored locally nor part of the same call is *held*, not applied: the engine passes it again
with the next page and does not move the stored cursor past it. Owners (foreign keys to
`users`, which is not synced) get a placeholder account that cannot sign in.

Contract: runs inside the caller's transaction and inside `applying_remote(session)` (the
engine commits each page together with the new cursor), so nothing written here is queued
again. Raises `ProtocolMismatch` for a change this client cannot read (unknown table or
field, bad stamp); the page is then not applied.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, bindparam, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.sqlite import insert as sqlite_upsert
from sqlalchemy.orm import Session

from desktop_app.db.base import UTCDateTime
from desktop_app.db.ids import new_id
from desktop_app.db.models import SYNCED_MODELS, QuestionAttempt, SyncState, User
from desktop_app.db.outbox import CONTENT_VERSION_KEY
from desktop_app.db.serialize import SERVER_MANAGED, content_fields, references
from sync_client import singletons
from sync_client.errors import SyncError

UNUSABLE_PASSWORD = "!"  # no argon2 hash: a placeholder account can never sign in


class ProtocolMismatch(SyncError):
    """The server sent something this client does not understand (update the app)."""


@dataclass
class Applied:
    """What one call changed locally, and what it had to hold back."""

    inserted: int = 0
    updated: int = 0
    newest_stamp: str = ""
    changed_students: set[str] = field(default_factory=set)  # whose attempts were inserted or changed
    held: list[dict[str, Any]] = field(default_factory=list)  # changes waiting for a parent row

    @property
    def changed(self) -> int:
        return self.inserted + self.updated


def apply_changes(session: Session, changes: Iterable[dict[str, Any]]) -> Applied:
    """Merge `changes` (the server's pull format) into the local rows. See the module docstring."""
    _defer_foreign_keys(session)
    parsed: list[tuple[type, dict[str, Any], dict[str, Any], dict[str, str]]] = []
    readers: dict[str, _Reader] = {}
    for change in changes:
        reader = readers.get(change["table"])
        if reader is None:
            model = SYNCED_MODELS.get(change["table"])
            if model is None:
                raise ProtocolMismatch(f"the server sent rows of an unknown table {change['table']!r}; "
                                       "please update the app")
            reader = readers[change["table"]] = _Reader(model)
        fields, stamps = reader.read(change)
        parsed.append((reader.model, change, fields, stamps))
    applied = Applied()
    ready = _resolve_parents(session, parsed, applied)
    by_model: dict[type, list[tuple[dict[str, Any], dict[str, Any], dict[str, str]]]] = defaultdict(list)
    for model, change, fields, stamps in ready:
        by_model[model].append((change, fields, stamps))
    for model, items in sorted(by_model.items(), key=lambda kv: _PARENTS_FIRST.index(kv[0].__tablename__)):
        before = applied.changed
        _apply_table(session, model, items, applied)
        if applied.changed > before and model.__tablename__ in _SYLLABUS:
            _bump_content_version(session)
    return applied


_PARENTS_FIRST = ["topics", "topic_prerequisites", "concepts", "questions", "classes", "student_profiles",
                  "question_attempts", "study_plans"]
assert sorted(_PARENTS_FIRST) == sorted(SYNCED_MODELS), "every synced table needs a place in the apply order"
_SYLLABUS = frozenset({"topics", "topic_prerequisites", "concepts", "questions"})


def _bump_content_version(session: Session) -> None:
    """Tell caches built on the syllabus (services/learner.py) that it changed.

    The outbox hook renews this key on ORM flushes; pulled rows are written with Core
    statements, which the hook does not see.
    """
    session.execute(sqlite_upsert(SyncState).values(key=CONTENT_VERSION_KEY, value=new_id())
                    .on_conflict_do_update(index_elements=["key"], set_={"value": new_id()}))


def _defer_foreign_keys(session: Session) -> None:
    """Check foreign keys at COMMIT (a topic's parent may come later in the same page).

    The pragma only holds inside an open transaction, and pysqlite opens one lazily at the
    first write, so the transaction is begun explicitly first.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN")
    connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")


def _resolve_parents(session: Session, parsed: list[Any], applied: Applied) -> list[Any]:
    """Split off changes whose parent rows are missing; create placeholder owners."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for model, _, fields, _ in parsed:
        for column, target in references(model).items():
            if fields.get(column) is not None:
                wanted[target].add(fields[column])
    stored = {target: _existing(session, _table(target), ids) for target, ids in wanted.items()}
    owners = wanted.get("users", set()) - stored.get("users", set())
    if owners:
        session.execute(insert(User), [{"id": o, "username": f"~{o}", "password_hash": UNUSABLE_PASSWORD,
                                        "role": "student"} for o in sorted(owners)])
        stored["users"] |= owners
    ready = list(parsed)
    while True:  # a row whose parent is held is held too: repeat until nothing moves
        in_call: dict[str, set[str]] = defaultdict(set)
        for model, change, _, _ in ready:
            in_call[model.__tablename__].add(change["row_id"])
        keep = [item for item in ready
                if all(item[2].get(c) is None or item[2][c] in stored[t] or item[2][c] in in_call[t]
                       for c, t in references(item[0]).items())]
        if len(keep) == len(ready):
            kept = {id(item) for item in keep}
            applied.held.extend(item[1] for item in parsed if id(item) not in kept)
            return keep
        ready = keep


def _table(name: str) -> Any:
    return User.__table__ if name == "users" else SYNCED_MODELS[name].__table__  # type: ignore[attr-defined]


def _existing(session: Session, table: Any, ids: set[str]) -> set[str]:
    found: set[str] = set()
    wanted = list(ids)
    query = select(table.c.id).where(table.c.id.in_(bindparam("ids", expanding=True)))
    for start in range(0, len(wanted), 500):
        found.update(session.scalars(query, {"ids": wanted[start:start + 500]}))
    return found


def _apply_table(session: Session, model: type, items: list[Any], applied: Applied) -> None:
    ids = list({change["row_id"] for change, _, _ in items})
    local: dict[str, tuple[dict[str, str], str]] = {}
    query = select(model.id, model.field_stamps, model.hlc).where(model.id.in_(bindparam("ids", expanding=True)))
    for start in range(0, len(ids), 500):
        for row_id, stamps, hlc in session.execute(query, {"ids": ids[start:start + 500]}):
            local[row_id] = (dict(stamps or {}), hlc or "")
    inserts: dict[str, dict[str, Any]] = {}
    updates: dict[str, dict[str, Any]] = {}
    managed = SERVER_MANAGED.get(model.__tablename__, frozenset())  # the server's value wins (serialize.py)
    for change, fields, stamps in items:
        row_id = change["row_id"]
        newest = max(stamps.values(), default="")
        applied.newest_stamp = max(applied.newest_stamp, newest)
        if row_id not in local:
            row = {"id": row_id, **fields, "field_stamps": stamps, "hlc": newest}
            inserts[row_id] = row
            local[row_id] = (dict(stamps), newest)
            continue
        current, hlc = local[row_id]
        winners = {name: value for name, value in fields.items()
                   if stamps[name] > current.get(name, "") or (name in managed and stamps[name] != current.get(name))}
        if not winners:
            continue
        merged = {**current, **{name: stamps[name] for name in winners}}
        new_hlc = max(hlc, *(stamps[name] for name in winners))
        local[row_id] = (merged, new_hlc)
        target = inserts.get(row_id)
        if target is None:
            target = updates.setdefault(row_id, {"id": row_id})
        target.update(winners)
        target["field_stamps"] = merged
        target["hlc"] = new_hlc
    if inserts and model.__tablename__ in singletons.SINGLETONS:
        _fold_duplicates(session, model.__tablename__, inserts)
    table = model.__table__  # type: ignore[attr-defined]
    for keys, group in _grouped(inserts.values()).items():
        _insert_many(session, table, sorted(keys), group)
    for keys, group in _grouped(updates.values()).items():
        names = sorted(keys - {"id"})
        statement = (table.update().where(table.c.id == bindparam("b_id"))
                     .values({name: bindparam(f"b_{name}") for name in names}))
        session.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in group])
    applied.inserted += len(inserts)
    applied.updated += len(updates)
    if model is QuestionAttempt:
        changed = inserts.keys() | updates.keys()
        applied.changed_students.update(fields["student_id"] for change, fields, _ in items if change["row_id"] in changed)


def _insert_many(session: Session, table: Any, keys: list[str], rows: list[dict[str, Any]]) -> None:
    """One DB-API executemany: values go through each column type's own bind processor (so they
    are stored exactly as SQLAlchemy stores them), without its per-row statement machinery,
    which costs more than the insert itself on a 1,000-row page. `field_stamps` is encoded
    by _encode_stamps, which gives the JSON processor's text faster."""
    connection = session.connection()
    dialect = connection.dialect
    processors = [_encode_stamps if k == "field_stamps" else
                  table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys]
    columns = ", ".join(dialect.identifier_preparer.quote(k) for k in keys)
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in keys)
    columns_values = [[row[k] for row in rows] if proc is None else [proc(row[k]) for row in rows]
                      for k, proc in zip(keys, processors)]
    params = list(zip(*columns_values))
    connection.exec_driver_sql(f"INSERT INTO {dialect.identifier_preparer.quote(table.name)} ({columns}) "
                               f"VALUES ({marks})", params)


_STAMP_PARTS: dict[tuple[str, ...], list[str]] = {}


def _encode_stamps(stamps: dict[str, str]) -> str:
    """json.dumps(stamps), exactly; most rows carry one stamp on every field (a row made by
    one op), whose text is then put together from parts made once per set of fields."""
    values = iter(stamps.values())
    first = next(values, None)
    if first is None or any(v != first for v in values):
        return json.dumps(stamps)
    keys = tuple(stamps)
    parts = _STAMP_PARTS.get(keys)
    if parts is None:
        parts = _STAMP_PARTS[keys] = (["{" + json.dumps(keys[0]) + ": "] + [", " + json.dumps(k) + ": " for k in keys[1:]]
                                      + ["}"])
    return json.dumps(first).join(parts)


def _grouped(rows: Iterable[dict[str, Any]]) -> dict[frozenset[str], list[dict[str, Any]]]:
    groups: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[frozenset(row)].append(row)
    return groups


def _fold_duplicates(session: Session, table: str, inserts: dict[str, dict[str, Any]]) -> None:
    """A pulled profile/plan whose owner already has a local one absorbs it (singletons.py)."""
    owner = singletons.SINGLETONS[table][1]
    found = singletons.duplicates(session, table, {i: r[owner] for i, r in inserts.items() if r.get(owner)})
    for drop_id, keep_id in found.items():
        inserts[keep_id].update(singletons.fold(session, table, keep=inserts[keep_id], drop_id=drop_id))


_STAMP = re.compile(r"\d{15}:\d{6}:.+", re.DOTALL)  # hlc.Stamp.encode's format


class _Reader:
    """Wire fields of one model to Python values (serialize.from_wire's rules, precomputed).

    Stamps are validated once per distinct string: a pulled row's fields usually share one.
    """

    def __init__(self, model: type) -> None:
        self.model = model
        self.fields = frozenset(content_fields(model))
        types = {c.key: c.columns[0].type for c in sa_inspect(model).column_attrs}
        self.datetimes = frozenset(n for n in self.fields if isinstance(types[n], UTCDateTime))
        self.dates = frozenset(n for n in self.fields if isinstance(types[n], Date))
        self.good_stamps: set[str] = set()

    def read(self, change: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """(Python values, stamp per field) of a change; every field gets a valid stamp."""
        table = self.model.__tablename__  # type: ignore[attr-defined]
        fields = dict(change.get("fields") or {})
        stamps = change.get("stamps") or {}
        fallback = change.get("hlc") or max(stamps.values(), default="")
        if "deleted" not in fields and "deleted" in change:
            fields["deleted"] = bool(change["deleted"])
        unknown = fields.keys() - self.fields
        if unknown:
            raise ProtocolMismatch(f"the server sent unknown fields {table}.{', '.join(sorted(unknown))}; "
                                   "please update the app")
        try:
            for name in self.datetimes & fields.keys():
                if fields[name] is not None:
                    value = datetime.fromisoformat(fields[name])
                    if value.tzinfo is None:
                        raise ValueError("time zone missing")
                    fields[name] = value
            for name in self.dates & fields.keys():
                if fields[name] is not None:
                    fields[name] = date.fromisoformat(fields[name])
        except (TypeError, ValueError) as exc:
            raise ProtocolMismatch(f"cannot read a change from the server ({table}: {exc}); "
                                   "please update the app") from None
        out = {}
        for name in fields:
            stamp = stamps.get(name) or fallback
            if stamp not in self.good_stamps:
                if not isinstance(stamp, str) or not _STAMP.fullmatch(stamp):
                    raise ProtocolMismatch(f"{table}.{name}: bad clock stamp {stamp!r}")
                self.good_stamps.add(stamp)
            out[name] = stamp
        return fields, out
