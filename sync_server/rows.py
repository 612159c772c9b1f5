"""Storage of synced rows in PostgreSQL: bulk load (locked), bulk insert, bulk update.

Statements are set-based: one statement per table and kind, the rows passed as one JSON
array expanded by `jsonb_to_recordset` (or, for the bulk attempts, a text per column:
insert_columns), so a batch of a thousand ops costs a handful of round trips, not a
thousand. Callers own the transaction.

Locking: `load(..., lock=True)` takes row locks in id order, so two pushes touching the
same rows queue behind each other (no lost update of a field) and rarely deadlock; a
deadlock that does happen is retried by Database.run.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import psycopg
from pydantic_core import to_json

from sync_server.db import id_list
from sync_server.merge import RowState
from sync_server.tables import TableSpec, from_db, recordset_type, stored_sql, to_db


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _x(name: str) -> str:
    """A column of the recordset row `x`."""
    return f'x."{name}"'


def load(conn: psycopg.Connection, spec: TableSpec, ids: Iterable[str], *, lock: bool) -> dict[str, RowState]:
    """The stored rows among `ids` (Python values), locked FOR UPDATE when `lock`."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    cols = spec.fields
    # The stamps come as text: an attempt's are {} (see _stamps_sql), not worth a JSON parse.
    sql = (f'SELECT id, nullif(field_stamps::text, \'{{}}\'), hlc, {_quoted(cols)} FROM "{spec.name}" '
           "WHERE id = ANY(string_to_array(%s, ',')) ORDER BY id" + (" FOR UPDATE" if lock else ""))
    converted = [(i, spec.columns[c]) for i, c in enumerate(cols) if c in spec.converted]
    out = {}
    for row in conn.execute(sql, (id_list(wanted),)):
        values = list(row[3:])
        for i, column in converted:
            values[i] = from_db(column, values[i])
        stamps = json.loads(row[1]) if row[1] else {}
        if spec.append_only and not stamps:
            stamps = dict.fromkeys(cols, row[2])  # see _stamps_sql
        out[row[0]] = RowState(row_id=row[0], values=dict(zip(cols, values)), stamps=stamps, exists=True)
    return out


def existing_ids(conn: psycopg.Connection, table: str, ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    sql = f'SELECT id FROM "{table}" WHERE id = ANY(string_to_array(%s, \',\'))'
    return {r[0] for r in conn.execute(sql, (id_list(wanted),))}


def _records(spec: TableSpec, states: list[RowState]) -> list[dict[str, Any]]:
    """The rows in the form `insert_records` takes.

    A row whose every field carries the same stamp (a row created by one op: nearly every
    attempt) is sent without `field_stamps`, and _stamps_sql rebuilds it from `hlc` (or, for
    an attempt, stores {}): the stamps are most of a row's JSON, which PostgreSQL would
    otherwise parse row by row.
    """
    rows = []
    every_field = set(spec.fields)
    for s in states:  # every content field is there (new rows were completed by the caller)
        hlc = s.hlc
        uniform = s.stamps.keys() == every_field and all(stamp == hlc for stamp in s.stamps.values())
        rows.append(db_record(spec, s.values, row_id=s.row_id, hlc=hlc, stamps=None if uniform else s.stamps))
    return rows


def db_record(spec: TableSpec, values: dict[str, Any], *, row_id: str, hlc: str,
              stamps: dict[str, str] | None = None) -> dict[str, Any]:
    """One row as `insert_records` takes it: content fields in database form, `id`, `hlc`, and
    `field_stamps` (None: every field carries `hlc`, see _stamps_sql)."""
    record = dict(values)
    for name in spec.converted:
        record[name] = to_db(spec.columns[name], record.get(name))
    record["id"], record["hlc"], record["field_stamps"] = row_id, hlc, stamps
    return record


def _json(records: list[dict[str, Any]]) -> str:
    """Records as one JSON array for jsonb_to_recordset (pydantic-core's encoder: several
    times faster than json.dumps on a thousand rows)."""
    return to_json(records).decode()


def _stamps_sql(spec: TableSpec) -> str:
    """field_stamps of a recordset row `x`: as sent, or every field stamped `x.hlc` (see _records).

    An append-only row (an attempt) with one stamp on every field stores {}, which means
    exactly that (a field without a stamp carries `hlc`, as on the wire): its stamps are never
    merged again, so spelling out the same stamp ten times would only cost PostgreSQL JSON to
    build and store (~60% of an attempt's bytes) and every pull page the bytes to send.
    """
    if spec.append_only:
        return 'coalesce(x."field_stamps", \'{}\'::json)'
    names = ",".join(spec.fields)
    return (f"coalesce(x.\"field_stamps\", json_object(string_to_array('{names}', ','), "
            f"array_fill(x.\"hlc\"::text, ARRAY[{len(spec.fields)}])))")


def insert(conn: psycopg.Connection, spec: TableSpec, states: list[RowState]) -> set[str]:
    """Insert new rows; returns the ids that were not inserted because they exist already
    (inserted concurrently, or for append-only rows, sent again)."""
    return insert_records(conn, spec, _records(spec, states)) if states else set()


def insert_records(conn: psycopg.Connection, spec: TableSpec, records: list[dict[str, Any]], *,
                   may_exist: bool = True) -> set[str]:
    """`insert` of rows already in database form: every content field, `id`, `hlc`, and
    `field_stamps` (None: every field stamped `hlc`). `may_exist=False` is the plain insert
    for rows that are expected to be new: cheaper (no conflict check first, no ids back),
    and a row stored already raises UniqueViolation, which aborts the transaction."""
    if not records:
        return set()
    cols = ["id", *spec.fields, "hlc", "field_stamps"]
    rs = recordset_type(spec, ("hlc", "VARCHAR(80)"), ("field_stamps", "JSON"))
    values = ", ".join(['"id"', *(stored_sql(spec.columns[c], _x(c)) for c in spec.fields), '"hlc"',
                        _stamps_sql(spec)])
    insert = f'INSERT INTO "{spec.name}" ({_quoted(cols)}) SELECT {values} FROM jsonb_to_recordset(%s::jsonb) AS {rs}'
    if not may_exist:
        conn.execute(insert, (_json(records),))
        return set()
    # One row back: NULL when every row was inserted (the usual case), else the inserted ids.
    sql = (f"WITH ins AS ({insert} ON CONFLICT (id) DO NOTHING RETURNING id) "
           "SELECT CASE WHEN count(*) = %s THEN NULL ELSE coalesce(array_agg(id), '{}') END FROM ins")
    row = conn.execute(sql, (_json(records), len(records))).fetchone()
    if row is None or row[0] is None:
        return set()
    return {r["id"] for r in records} - set(row[0])


# insert_columns sends each column as one text, split by PostgreSQL's string_to_array: the
# ASCII unit separator between values, the record separator alone for NULL. Text that holds
# either character goes as JSON instead (insert_records).
SEPARATOR, NULL = "\x1f", "\x1e"
_AS_TEXT = {"int": str, "float": str, "bool": {True: "t", False: "f"}.__getitem__,
            "datetime": datetime.isoformat, "date": date.isoformat}


def _column_text(kind: str, values: list[Any]) -> str | None:
    """`values` (database form) as one text for string_to_array, or None if they cannot be."""
    nulls = None in values
    present = [v for v in values if v is not None] if nulls else values
    if kind == "str":
        joined = "".join(present)
        if SEPARATOR in joined or NULL in joined:
            return None
        texts = present
    elif kind in _AS_TEXT:
        texts = list(map(_AS_TEXT[kind], present))
    else:
        return None  # JSON
    if nulls:
        found = iter(texts)
        texts = [NULL if v is None else next(found) for v in values]
    return SEPARATOR + SEPARATOR.join(texts)  # led by a separator: one empty text is still one value


def insert_columns(conn: psycopg.Connection, spec: TableSpec, columns: dict[str, list[Any]]) -> None:
    """The plain insert (insert_records with may_exist=False) of new rows given a column at a
    time: "id", every content field and "hlc", in database form; every field of a row stamped
    with its `hlc`. A row stored already raises UniqueViolation.

    Why: PostgreSQL splits eleven texts faster than it parses a JSON array of a hundred
    objects (~0.3 ms less per 100 attempts), and joining a column is nearly free in Python
    where building and encoding the records was a tenth of a push's CPU. Values that cannot
    travel as text (see SEPARATOR) go as records, through insert_records."""
    names = ["id", *spec.fields, "hlc"]
    if not columns["id"]:
        return
    kinds = {"id": "str", "hlc": "str", **{c: spec.columns[c].kind for c in spec.fields}}
    texts = [_column_text(kinds[name], columns[name]) for name in names]
    if None in texts:
        records = [{**dict(zip(names, row)), "field_stamps": None} for row in zip(*(columns[n] for n in names))]
        insert_records(conn, spec, records, may_exist=False)
        return
    # Text arrays for text columns: a cast to VARCHAR(n)[] would cut a longer value short.
    array_types = ["TEXT" if kinds[n] == "str" else spec.columns[n].pg_type for n in names]
    # [2:]: past the empty value before the leading separator (string_to_array('') is empty)
    arrays = ", ".join(f"(string_to_array(%s, E'\\x1f', E'\\x1e'))[2:]::{t}[]" for t in array_types)
    values = ", ".join(['"id"', *(stored_sql(spec.columns[c], _x(c)) for c in spec.fields), '"hlc"',
                        _stamps_sql(spec)])
    conn.execute(f'INSERT INTO "{spec.name}" ({_quoted([*names, "field_stamps"])}) SELECT {values} '
                 f"FROM (SELECT *, NULL::json AS field_stamps FROM unnest({arrays}) AS u({_quoted(names)})) AS x",
                 texts)


def update(conn: psycopg.Connection, spec: TableSpec, states: list[RowState]) -> None:
    """Write the full merged state of stored rows (they are locked by `load`)."""
    if not states:
        return
    rs = recordset_type(spec, ("hlc", "VARCHAR(80)"), ("field_stamps", "JSON"))
    assignments = ", ".join([*(f'"{c}" = {stored_sql(spec.columns[c], _x(c))}' for c in spec.fields),
                             '"hlc" = x."hlc"', f'"field_stamps" = {_stamps_sql(spec)}'])
    conn.execute(f'UPDATE "{spec.name}" AS t SET {assignments} FROM jsonb_to_recordset(%s::jsonb) AS {rs} '
                 "WHERE t.id = x.id", (_json(_records(spec, states)),))


def change_json_select(spec: TableSpec, source: str, condition: str = "") -> str:
    """SELECT (seq, row_id, j) over `source` rows (seq, table_name, row_id) of this table, where j is
    the pulled change as JSON text rendered by PostgreSQL (a page of a thousand rows costs
    Python nothing but one string).

    j = {"seq", "table", "row_id", "fields": {every content field}, "stamps", "hlc", "deleted"}
    ("stamps" is {} for an attempt stamped `hlc` on every field: see _stamps_sql),
    values in the wire form of serialize.to_wire: date-times as datetime.isoformat() of the
    UTC value, dates ISO 8601, JSON as JSON (floats as JSON numbers: 2.0 may read as 2).
    `condition` (SQL on `t`, the row) leaves rows out of the rendering, not out of the page.
    """
    def field(name: str) -> str:
        if spec.columns[name].kind != "datetime":
            return f't."{name}"'
        # Exactly datetime.isoformat() of the aware UTC value: microseconds only when non-zero.
        return (f"""CASE WHEN date_trunc('second', t."{name}") = t."{name}" """
                f"""THEN to_char(t."{name}", 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') """
                f"""ELSE to_char(t."{name}", 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') END""")

    fields = ", ".join(f"'{name}', {field(name)}" for name in spec.fields)
    return (f"SELECT s.seq, t.id AS row_id, json_build_object('seq', s.seq, 'table', '{spec.name}', 'row_id', t.id, "
            f"'fields', json_build_object({fields}), 'stamps', t.field_stamps, 'hlc', t.hlc, "
            f"'deleted', t.deleted)::text AS j "
            f"FROM {source} s JOIN \"{spec.name}\" AS t ON s.table_name = '{spec.name}' AND t.id = s.row_id"
            + (f" AND {condition}" if condition else ""))


def unique_clashes(conn: psycopg.Connection, spec: TableSpec, columns: tuple[str, ...],
                   states: list[RowState]) -> dict[str, str]:
    """Rows of `states` whose values of `columns` are already held by another stored row.

    Returns {row id: id of the other row}. NULLs never clash (SQL unique semantics).
    """
    probes = [s for s in states if all(s.values.get(c) is not None for c in columns)]
    if not probes:
        return {}
    rs = "x(" + ", ".join(['"id" VARCHAR(36)', *(f'"{c}" {spec.columns[c].pg_type}' for c in columns)]) + ")"
    on = " AND ".join(f't."{c}" = {stored_sql(spec.columns[c], _x(c))}' for c in columns)
    records = _json([{"id": s.row_id, **{c: to_db(spec.columns[c], s.values[c]) for c in columns}} for s in probes])
    sql = (f'SELECT x.id, t.id FROM jsonb_to_recordset(%s::jsonb) AS {rs} JOIN "{spec.name}" AS t ON {on} '
           "WHERE t.id <> x.id")
    return {mine: other for mine, other in conn.execute(sql, (records,))}
