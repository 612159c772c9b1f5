"""What the server knows about each synced table, derived from the shared models.

One `TableSpec` per table of SYNCED_MODELS: its content columns with their kinds and
limits (so a bad value is rejected as an op, never reaches PostgreSQL as a 500), the
owner column (the one foreign key to users), other references, unique constraints and the
CHECK constraints restated as value checks. Everything except CHECKS is read from the
models, so a column added to a model is validated, stored and pulled without code here;
tests/sync_server/test_tables.py fails if a CHECK constraint has no entry in CHECKS.
"""
from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Float, Integer, String, UniqueConstraint
from sqlalchemy.dialects import postgresql

from desktop_app.db.base import UTCDateTime
from desktop_app.db.models import APPEND_ONLY, SYNCED_MODELS
from desktop_app.db.models.content import QUESTION_TYPES, model_params_problem
from desktop_app.db.serialize import SERVER_MANAGED, content_fields

SYLLABUS = "syllabus"  # teachers/admins write, everybody reads
OWNED = "owned"  # a student's own rows: only the owner writes; owner and their teachers read
CLASS = "class"  # a teacher's class: only that teacher writes

_INT_RANGE = (-(2 ** 31), 2 ** 31 - 1)
_FLOAT_MAX = sys.float_info.max  # an integer sent for a float column must fit in one

# The CHECK constraints of the models as value checks: constraint name -> (column, test, text).
CHECKS: dict[str, tuple[str, Callable[[Any], bool], str]] = {
    "ck_student_profiles_hours": ("available_hours_per_day", lambda v: 0 <= v <= 24, "must be between 0 and 24"),
    # Also at most 100 (a percentage of the exam): the engine refuses more, on every device.
    "ck_topics_weightage": ("exam_weightage", lambda v: 0 <= v <= 100, "must be between 0 and 100"),
    "ck_topics_hours": ("estimated_hours", lambda v: v >= 0, "must be >= 0"),
    "ck_questions_difficulty": ("difficulty", lambda v: 1 <= v <= 5, "must be between 1 and 5"),
    "ck_questions_type": ("type", lambda v: v in QUESTION_TYPES, f"must be one of {', '.join(QUESTION_TYPES)}"),
    "ck_question_attempts_confidence": ("confidence", lambda v: v is None or 1 <= v <= 5, "must be between 1 and 5"),
    "ck_question_attempts_time": ("time_taken_seconds", lambda v: v >= 0, "must be >= 0"),
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # str, int, float, bool, json, date, datetime
    nullable: bool
    max_length: int | None
    # The type named in jsonb_to_recordset(...) AS x(name type, ...): date-times travel with
    # their offset (timestamptz) and are stored as UTC by `stored_sql`.
    pg_type: str
    default: Callable[[], Any] | None  # Python default for a new row; None: required unless nullable
    ref_table: str | None  # foreign key target (users for the owner column)
    convert: Callable[[Any], Any] | None  # wire -> Python (dates and date-times only)
    # Why a Python value cannot be stored (its type, limits and CHECK constraint), or None.
    problem: Callable[[Any], str | None]
    check: Callable[[Any], bool] | None = None  # the CHECK constraint's test (part of `problem` too)


_TIMESTAMPTZ = "TIMESTAMP WITH TIME ZONE"


@dataclass(frozen=True)
class TableSpec:
    name: str
    model: type
    access: str  # SYLLABUS, OWNED or CLASS
    columns: dict[str, Column]  # content columns, in model order
    owner: str | None  # the column naming the owning user
    uniques: tuple[tuple[str, ...], ...]
    converted: tuple[str, ...]  # columns whose values need to_db/from_db (dates and times)
    fields: list[str] = field(default_factory=list)  # content column names, in model order
    # Foreign-key columns other than the owner: column -> referenced synced table.
    references: dict[str, str] = field(default_factory=dict)
    # Rows are immutable events: push refuses updates and deletes, stored rows need no merge
    # and no tombstone filter, and a row stamped `hlc` on every field stores no field_stamps.
    append_only: bool = False
    # Fields a push never writes (serialize.SERVER_MANAGED): membership changes by join code.
    server_managed: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.fields[:] = list(self.columns)
        self.references.update({c.name: c.ref_table for c in self.columns.values()
                                if c.ref_table and c.name != self.owner})


def _kind(column: Any) -> str:
    t = column.type
    if isinstance(t, UTCDateTime):
        return "datetime"
    for cls, kind in ((Date, "date"), (Boolean, "bool"), (Integer, "int"), (Float, "float"),
                      (JSON, "json"), (String, "str")):
        if isinstance(t, cls):
            return kind
    raise TypeError(f"{column.table.name}.{column.name}: no sync rule for {t!r}")


def _default(column: Any) -> Callable[[], Any] | None:
    if column.default is None:
        return None
    arg = column.default.arg
    return (lambda: arg(None)) if callable(arg) else (lambda: arg)


def _spec(name: str, model: type) -> TableSpec:
    table = model.__table__  # type: ignore[attr-defined]
    dialect = postgresql.dialect()
    checks = {}
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint):
            column_name, test, text = CHECKS[str(constraint.name)]
            checks[column_name] = (test, text)
    columns: dict[str, Column] = {}
    owner = None
    for column_name in content_fields(model):
        col = table.columns[column_name]
        refs = [fk.column.table.name for fk in col.foreign_keys]
        if refs == ["users"]:
            assert owner is None, f"{name}: two columns refer to users"
            owner = column_name
        kind, nullable, max_length = _kind(col), bool(col.nullable), getattr(col.type, "length", None)
        problem, check = _validator(kind, nullable, max_length), None
        if column_name in checks:
            check = checks[column_name][0]
            problem = _checked(problem, *checks[column_name])
        if column_name == "model_params":  # no CHECK constraint: JSON, read by the mastery model
            problem = _checked(problem, lambda v: model_params_problem(v) is None,
                               "must be an object of finite numbers, e.g. {\"intercept\": -0.4}")
        columns[column_name] = Column(
            name=column_name, kind=kind, nullable=nullable, max_length=max_length,
            pg_type=_TIMESTAMPTZ if kind == "datetime" else col.type.compile(dialect=dialect),
            default=_default(col), ref_table=refs[0] if refs else None, convert=_converter(kind), problem=problem,
            check=check)
    uniques = tuple(tuple(c.name for c in u.columns) for u in table.constraints if isinstance(u, UniqueConstraint))
    uniques += tuple(tuple(c.name for c in i.columns) for i in table.indexes if i.unique)
    if owner is None:
        access = SYLLABUS
    elif name == "classes":
        access = CLASS
    else:
        access = OWNED
    converted = tuple(c.name for c in columns.values() if c.kind in ("date", "datetime"))
    return TableSpec(name=name, model=model, access=access, columns=columns, owner=owner,
                     uniques=uniques, converted=converted, append_only=name in APPEND_ONLY,
                     server_managed=SERVER_MANAGED.get(name, frozenset()))


def _clean_text(value: str) -> str | None:
    """PostgreSQL text holds neither NUL nor lone surrogates: say so instead of failing later."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8 text"
    return None


def _check_json(value: Any, depth: int = 0) -> str | None:
    if depth > 32:
        return "is nested too deeply"
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "holds a non-finite number"
    if isinstance(value, list):
        return next((p for p in (_check_json(v, depth + 1) for v in value) if p), None)
    if isinstance(value, dict):
        return next((p for p in (_check_json(v, depth + 1) or _check_json(k, depth + 1)
                                 for k, v in value.items()) if p), None)
    return None


def _validator(kind: str, nullable: bool, max_length: int | None) -> Callable[[Any], str | None]:
    """A function telling why a (converted) value cannot be stored in such a column, or None.

    Built once per column, one function per kind: this runs for every field of every op.
    """
    null = None if nullable else "must not be null"
    too_long = f"is longer than {max_length} characters"

    def text(value: Any) -> str | None:
        if value is None:
            return null
        if type(value) is not str:
            return "must be a string"
        if max_length is not None and len(value) > max_length:
            return too_long
        return None if value.isascii() and "\x00" not in value else _clean_text(value)

    def integer(value: Any) -> str | None:
        if value is None:
            return null
        if type(value) is not int:
            return "must be an integer"
        return None if _INT_RANGE[0] <= value <= _INT_RANGE[1] else "is out of range"

    def number(value: Any) -> str | None:
        if value is None:
            return null
        if type(value) is float:
            return None if math.isfinite(value) else "must be finite"
        if type(value) is not int:
            return "must be a number"
        return None if abs(value) <= _FLOAT_MAX else "is out of range"

    def boolean(value: Any) -> str | None:
        if value is None:
            return null
        return None if type(value) is bool else "must be true or false"

    def json_value(value: Any) -> str | None:
        return null if value is None else _check_json(value)

    def converted(value: Any) -> str | None:
        return null if value is None else None  # dates and date-times: their converter checked them

    return {"str": text, "int": integer, "float": number, "bool": boolean, "json": json_value}.get(kind, converted)


def _checked(problem: Callable[[Any], str | None], test: Callable[[Any], bool],
             text: str) -> Callable[[Any], str | None]:
    """`problem`, then the column's CHECK constraint on a value of the right type."""
    def check(value: Any) -> str | None:
        found = problem(value)
        if found is None and value is not None and not test(value):
            return text
        return found

    return check


def _converter(kind: str) -> Callable[[Any], Any] | None:
    """Wire -> Python for dates and date-times, exactly as serialize.from_wire converts them."""
    if kind == "datetime":
        def to_datetime(value: Any) -> Any:
            if not isinstance(value, str):
                raise ValueError("must be an ISO 8601 date-time with a time zone")
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("time zone missing")
            try:
                parsed.astimezone(timezone.utc)  # stored as UTC: year 1 at +01:00 has no UTC value
            except OverflowError:
                raise ValueError("is out of range") from None
            return parsed
        return to_datetime
    if kind == "date":
        def to_date(value: Any) -> Any:
            if not isinstance(value, str):
                raise ValueError("must be an ISO 8601 date")
            return date.fromisoformat(value)
        return to_date
    return None


def parse_fields(spec: TableSpec, payload: dict[str, Any]) -> dict[str, Any]:
    """Wire payload -> Python values, validated against the column and its CHECK constraint.

    Converts like serialize.from_wire (tests/sync_server/test_tables.py holds them equal),
    without its per-call model inspection: this runs for every op of every push.
    Raises ValueError with a message naming the field.
    """
    values = {}
    columns = spec.columns
    for name, value in payload.items():
        column = columns.get(name)
        if column is None:
            raise ValueError(f"{spec.name}.{name}: unknown field")
        if value is not None and column.convert is not None:
            try:
                value = column.convert(value)
            except ValueError as exc:
                raise ValueError(f"{spec.name}.{name}: {exc}") from None
        problem = column.problem(value)
        if problem:
            raise ValueError(f"{spec.name}.{name} {problem}")
        values[name] = value
    return values


def all_valid(column: Column, values: list[Any]) -> bool:
    """Whether `column.problem` finds nothing in any of `values` (converted values), answered a
    column at a time: a set of types, min/max, one join, each a loop in C. The bulk path checks
    a hundred attempts this way instead of calling `problem` once per field of every op (which
    was a fifth of a push's CPU). Unusual columns and values (JSON, non-ASCII text, integers for
    a float column) are checked value by value. tests/sync_server/test_tables.py holds the
    answer equal to `problem`'s."""
    types = set(map(type, values))
    if type(None) in types:
        if not column.nullable:
            return False
        values = [v for v in values if v is not None]
        types.discard(type(None))
    if not values:
        return True
    one_by_one = False
    if column.kind == "str":
        if types != {str} or (column.max_length is not None and max(map(len, values)) > column.max_length):
            return False
        joined = "".join(values)
        one_by_one = not joined.isascii() or "\x00" in joined
    elif column.kind == "int":
        if types != {int} or min(values) < _INT_RANGE[0] or max(values) > _INT_RANGE[1]:
            return False
    elif column.kind == "float":
        one_by_one = types != {float}
        if not one_by_one and not all(map(math.isfinite, values)):
            return False
    elif column.kind == "bool":
        if types != {bool}:
            return False
    else:  # dates and date-times were checked by their converter; JSON goes value by value
        one_by_one = column.convert is None
    if one_by_one:
        return all(column.problem(v) is None for v in values)
    return column.check is None or all(map(column.check, values))


def converted_all(column: Column, values: list[Any]) -> list[Any]:
    """to_db(column.convert(v)) of every value (None stays None), for a column that has a
    converter; raises ValueError as `convert` does. Date-times sent in UTC, nearly all of them,
    are parsed by one map in C (nothing else to do for UTC); any other list goes value by value."""
    if column.kind == "datetime" and set(map(type, values)) == {str}:
        parsed = list(map(datetime.fromisoformat, values))
        if all(p.tzinfo is timezone.utc for p in parsed):
            return parsed
    convert = column.convert
    assert convert is not None
    return [None if v is None else to_db(column, convert(v)) for v in values]


def to_db(column: Column, value: Any) -> Any:
    """A Python value for jsonb_to_recordset, encoded by pydantic-core's to_json (dates and
    date-times as ISO 8601). A date-time goes as UTC ("...Z"): the encoder drops the seconds of
    an offset such as +05:30:15, and nearly every device sends UTC already."""
    if column.kind == "datetime" and value is not None and value.tzinfo is not timezone.utc:
        return value.astimezone(timezone.utc)
    return value


def stored_sql(column: Column, expression: str) -> str:
    """SQL of the value a column stores, from `expression` of the recordset's type: date-times
    as naive UTC (UTCDateTime), whatever the session's time zone."""
    return f"({expression} AT TIME ZONE 'UTC')" if column.kind == "datetime" else expression


def from_db(column: Column, value: Any) -> Any:
    """A value read by psycopg as Python (UTC attached to naive timestamps)."""
    if value is not None and column.kind == "datetime" and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def recordset_type(spec: TableSpec, *extra: tuple[str, str]) -> str:
    """`x(id varchar(36), col type, ...)` for jsonb_to_recordset over this table's rows."""
    parts = ['"id" VARCHAR(36)', *(f'"{c.name}" {c.pg_type}' for c in spec.columns.values()),
             *(f'"{n}" {t}' for n, t in extra)]
    return f"x({', '.join(parts)})"


SPECS: dict[str, TableSpec] = {name: _spec(name, model) for name, model in SYNCED_MODELS.items()}
