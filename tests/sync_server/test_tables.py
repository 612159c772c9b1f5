"""Table rules derived from the shared models: validation, conversions, constraint coverage."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import CheckConstraint

from desktop_app.db.hlc import HybridLogicalClock, is_stamp
from desktop_app.db.models import SYNCED_MODELS
from desktop_app.db.serialize import from_wire
from sync_server.push_checks import STAMP_PATTERN
from sync_server.tables import CHECKS, CLASS, OWNED, SPECS, SYLLABUS, all_valid, converted_all, parse_fields, to_db


def test_every_check_constraint_has_a_value_check() -> None:
    names = {str(c.name) for m in SYNCED_MODELS.values() for c in m.__table__.constraints
             if isinstance(c, CheckConstraint)}
    assert names == set(CHECKS)


def test_access_and_owners_come_from_the_models() -> None:
    assert {n for n, s in SPECS.items() if s.access == SYLLABUS} == {"topics", "topic_prerequisites", "concepts",
                                                                     "questions"}
    assert {n: s.owner for n, s in SPECS.items() if s.access == OWNED} == {
        "question_attempts": "student_id", "student_profiles": "user_id", "study_plans": "student_id"}
    assert SPECS["classes"].access == CLASS and SPECS["classes"].owner == "teacher_id"
    assert SPECS["question_attempts"].references == {"question_id": "questions"}
    assert SPECS["student_profiles"].references == {"class_id": "classes"}


ATTEMPT = {"student_id": "u", "question_id": "q", "answer": "4", "is_correct": True, "time_taken_seconds": 3.5,
           "confidence": 4, "timestamp": "2026-03-01T10:00:00+01:00", "device_id": "d", "deleted": False}
PROFILE = {"user_id": "u", "class_id": None, "grade": "11", "target_exam": "GCSE", "exam_date": "2027-06-01",
           "available_hours_per_day": 2, "deleted": False}


@pytest.mark.parametrize(("table", "payload"), [("question_attempts", ATTEMPT), ("student_profiles", PROFILE),
                                                ("study_plans", {"plan": {"days": [1, 2]}, "exam_date": None})])
def test_parsing_converts_exactly_like_from_wire(table: str, payload: dict) -> None:
    assert parse_fields(SPECS[table], payload) == from_wire(SYNCED_MODELS[table], payload)


def test_timestamps_keep_their_instant() -> None:
    parsed = parse_fields(SPECS["question_attempts"], ATTEMPT)
    assert parsed["timestamp"] == datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    assert parse_fields(SPECS["student_profiles"], PROFILE)["exam_date"] == date(2027, 6, 1)


@pytest.mark.parametrize(("table", "field", "value", "why"), [
    ("question_attempts", "nope", 1, "unknown field"),
    ("question_attempts", "id", "x", "unknown field"),
    ("question_attempts", "field_stamps", {}, "unknown field"),
    ("question_attempts", "timestamp", "2026-03-01T10:00:00", "time zone missing"),
    ("question_attempts", "timestamp", "yesterday", "Invalid isoformat"),
    ("question_attempts", "timestamp", 5, "date-time"),
    ("question_attempts", "confidence", 9, "between 1 and 5"),
    ("question_attempts", "confidence", 2.5, "integer"),
    ("question_attempts", "confidence", True, "integer"),
    ("question_attempts", "is_correct", 1, "true or false"),
    ("question_attempts", "time_taken_seconds", -1, ">= 0"),
    ("question_attempts", "time_taken_seconds", "fast", "number"),
    ("question_attempts", "answer", "x" * 501, "longer than 500"),
    ("question_attempts", "answer", "a\x00b", "NUL"),
    ("question_attempts", "answer", "\ud800", "UTF-8"),
    ("question_attempts", "student_id", None, "must not be null"),
    ("student_profiles", "available_hours_per_day", 25, "between 0 and 24"),
    ("student_profiles", "exam_date", "2027-13-01", "month"),
    ("questions", "type", "essay", "one of"),
    ("questions", "difficulty", 0, "between 1 and 5"),
    ("questions", "options", ["ok", "bad\x00"], "NUL"),
    ("questions", "model_params", {"x": float("nan")}, "non-finite"),
    ("topics", "exam_weightage", float("inf"), "finite"),
    ("topics", "position", 2 ** 40, "out of range"),
])
def test_bad_values_are_refused_with_the_field_named(table: str, field: str, value: object, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"{table}.{field}")) as info:
        parse_fields(SPECS[table], {field: value})
    assert why in str(info.value)


@pytest.mark.parametrize("text", ["", "1:2:3", "000000000001000:000000:", "00000000000100:000000:d",
                                  "000000000001000:00000x:d", "x00000000001000:000000:d",
                                  "000000000001000:000000:d:e", "000000000001000:000000:dev"])
def test_the_stamp_pattern_agrees_with_the_clock(text: str) -> None:
    assert bool(re.fullmatch(STAMP_PATTERN, text, re.DOTALL)) == is_stamp(text)
    assert re.fullmatch(STAMP_PATTERN, HybridLogicalClock("dev").now())


SAMPLES = [None, "", "abc", "x" * 501, "a\x00b", "\ud800", "é", "essay", "multiple_choice", 0, 1, -1, 5, 9, 25,
           2 ** 31, 2 ** 40, -(2 ** 31), True, False, 0.0, 1.5, -2.5, 24.0, float("inf"), float("nan"), 10 ** 400,
           {"a": 1}, ["ok"], [1.0, float("nan")]]


@pytest.mark.parametrize("column", [c for spec in SPECS.values() for c in spec.columns.values()
                                    if c.convert is None], ids=lambda c: c.name)
def test_a_column_at_a_time_agrees_with_value_by_value(column: object) -> None:
    """all_valid (the bulk path's check) says yes exactly when `problem` passes every value."""
    for first in SAMPLES:
        for second in SAMPLES:
            values = [first, second, first]
            expected = all(column.problem(v) is None for v in values)  # type: ignore[attr-defined]
            assert all_valid(column, values) == expected, values  # type: ignore[arg-type]


TIMES = ["2026-03-01T09:00:00+00:00", "2026-03-01T09:00:00.250000Z", "2026-03-01T09:00:00-00:00",
         "2026-03-01T10:30:00+01:30", "2026-03-01T09:00:00", "0001-01-01T00:00:00+01:00", "yesterday", None, 5]


@pytest.mark.parametrize("column", [c for spec in SPECS.values() for c in spec.columns.values()
                                    if c.convert is not None], ids=lambda c: c.name)
def test_converting_a_column_at_a_time_agrees_with_value_by_value(column: object) -> None:
    """converted_all (the bulk path's conversion) gives what convert + to_db give, or fails alike."""
    samples = TIMES + ["2027-06-01", "2027-13-01"]
    for first in samples:
        for second in samples:
            values = [first, second]
            try:
                expected = [None if v is None else to_db(column, column.convert(v))  # type: ignore[attr-defined]
                            for v in values]
            except ValueError:
                with pytest.raises(ValueError):
                    converted_all(column, values)  # type: ignore[arg-type]
                continue
            got = converted_all(column, values)  # type: ignore[arg-type]
            assert got == expected and [getattr(v, "tzinfo", None) for v in got] == \
                [getattr(v, "tzinfo", None) for v in expected], values


def test_the_tables_of_one_row_per_user_are_the_profile_and_the_plan() -> None:
    """Migration 0007 reserved the derived ids of exactly these: a new such table needs its
    accounts' ids reserved by a migration too, or push would let them be taken."""
    from sync_server.derived_ids import SINGLETONS

    assert SINGLETONS == {"student_profiles": "user_id", "study_plans": "student_id"}
