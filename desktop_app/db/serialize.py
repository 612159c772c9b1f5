"""Row fields to and from their JSON wire form (sync payloads, the server's change log)."""
from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Date, inspect

from desktop_app.db.base import SYNC_META_COLUMNS, UTCDateTime


def content_fields(model: type) -> list[str]:
    """The columns of a synced model that carry content (stamped field by field)."""
    return [c.key for c in inspect(model).column_attrs if c.key not in SYNC_META_COLUMNS]


# Fields only the server writes: class membership changes by a join code (or the class's
# deletion), never by an edit on a laptop. A device never stamps or sends them, so a
# profile saved on a laptop that has not yet heard of the join cannot take the student out
# of the class, and a device takes the server's value whatever stamp its copy holds.
SERVER_MANAGED: dict[str, frozenset[str]] = {"student_profiles": frozenset({"class_id"})}


@cache
def references(model: type) -> dict[str, str]:
    """The foreign-key fields of `model`: field -> the table it refers to.

    The one place the client learns which fields of a change point at another row (from
    the models, which the server's schema shares): a pulled change waits for its parent row
    (sync_client/apply.py), a pushed one for a row the server has not got (isolation.py),
    and a row's owner is its field that refers to `users` (counts.py)."""
    return {c.key: next(iter(c.foreign_keys)).column.table.name
            for c in model.__table__.columns if c.foreign_keys}  # type: ignore[attr-defined]


def device_fields(model: type) -> list[str]:
    """The content fields a device writes: all but the server's own (SERVER_MANAGED)."""
    managed = SERVER_MANAGED.get(getattr(model, "__tablename__", ""), frozenset())
    return [name for name in content_fields(model) if name not in managed]


def to_wire(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def row_to_wire(row: Any, fields: list[str] | None = None) -> dict[str, Any]:
    """The given (default: all content) fields of an ORM row, JSON-ready."""
    names = content_fields(type(row)) if fields is None else fields
    return {name: to_wire(getattr(row, name)) for name in names}


def from_wire(model: type, fields: dict[str, Any]) -> dict[str, Any]:
    """Wire values back to Python values for `model`'s columns.

    Raises ValueError naming the field for an unknown column or an unparsable value.
    """
    columns = {c.key: c.columns[0] for c in inspect(model).column_attrs}
    out: dict[str, Any] = {}
    for name, value in fields.items():
        column = columns.get(name)
        if column is None or name in SYNC_META_COLUMNS:
            raise ValueError(f"{model.__tablename__}.{name}: unknown field")
        try:
            if value is not None and isinstance(column.type, UTCDateTime):
                value = datetime.fromisoformat(value)
                if value.tzinfo is None:
                    raise ValueError("time zone missing")
            elif value is not None and isinstance(column.type, Date):
                value = date.fromisoformat(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{model.__tablename__}.{name}: {exc}") from None
        out[name] = value
    return out
