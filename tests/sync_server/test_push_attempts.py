"""The bulk path for batches of new attempts stores exactly what the general path stores,
settles replays the same way, and leaves every unusual batch to the general path."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.db.hlc import HybridLogicalClock
from desktop_app.db.ids import new_id
from sync_server import push_attempts
from sync_server.auth import Caller
from sync_server.bank import load_bank
from sync_server.changelog import COVERED_ROWS
from sync_server.classes import profile_id
from sync_server.db import Database
from sync_server.errors import OpsRejected
from sync_server.push import push
from sync_server.push_checks import stamp_limit
from tests.sync_server.conftest import account_in, question_ids


class Op:
    def __init__(self, table: str, row_id: str, payload: dict[str, Any], hlc: str, operation: str = "insert") -> None:
        self.op_id, self.table, self.row_id, self.payload, self.hlc = new_id(), table, row_id, payload, hlc
        self.operation = operation


def _student(db: Database) -> Caller:
    return account_in(db)


def _push(db: Database, caller: Caller, ops: list[Op]) -> Any:
    return push(db, lambda conn: caller, ops)


def _stored(db: Database, caller: Caller) -> list[dict[str, Any]]:
    """The caller's attempts as PostgreSQL holds them, minus what differs per account."""
    with db.connection() as conn:
        rows = conn.execute("SELECT to_jsonb(t) - 'id' - 'student_id' FROM question_attempts t "
                            "WHERE student_id = %s ORDER BY hlc", (caller.user_id,)).fetchall()
        covered = conn.execute(f"SELECT count(*), count(DISTINCT row_id) FROM ({COVERED_ROWS}) e "
                               "WHERE owner_id = %s AND table_name = 'question_attempts'", (caller.user_id,)).fetchone()
    assert covered == (len(rows), len(rows))  # the change log stands for each stored attempt once
    return [r[0] for r in rows]


attempt_content = st.fixed_dictionaries({
    "answer": st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40),
    "is_correct": st.booleans(),
    "time_taken_seconds": st.one_of(st.integers(0, 10_000), st.floats(0, 1e6, allow_nan=False)),
    "confidence": st.one_of(st.none(), st.integers(1, 5)),
    "timestamp": st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                              timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-5, minutes=-30))])),
    "device_id": st.one_of(st.none(), st.text("abcdef0123", min_size=1, max_size=64)),
    "deleted": st.booleans(),
})


def _assert_both_paths_store_the_same(db: Database, contents: list[dict[str, Any]]) -> None:
    load_bank(db)
    questions = question_ids(20)
    bulk, general = _student(db), _student(db)
    clock = HybridLogicalClock("laptop")

    def batch(caller: Caller, stamps: list[str]) -> list[Op]:
        return [Op("question_attempts", new_id(), {**c, "timestamp": c["timestamp"].isoformat(),
                                                   "student_id": caller.user_id, "question_id": questions[i % 20]},
                   stamp) for i, (c, stamp) in enumerate(zip(contents, stamps))]

    stamps = [clock.now() for _ in contents]
    bulk_ops = batch(bulk, stamps)
    assert push_attempts.attempts_of(bulk_ops, bulk, stamp_limit()) is not None  # this batch takes the bulk path
    _push(db, bulk, bulk_ops)
    profile = Op("student_profiles", profile_id(general.user_id), {
        "user_id": general.user_id, "class_id": None, "grade": "10", "target_exam": "GCSE",
        "exam_date": "2027-06-01", "available_hours_per_day": 2.0, "deleted": False}, clock.now())
    general_ops = [profile, *batch(general, stamps)]  # another table: the general path
    assert push_attempts.attempts_of(general_ops, general, stamp_limit()) is None
    _push(db, general, general_ops)
    assert _stored(db, bulk) == _stored(db, general)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contents=st.lists(attempt_content, min_size=1, max_size=30))
def test_both_paths_store_the_same_rows(db: Database, contents: list[dict[str, Any]]) -> None:
    _assert_both_paths_store_the_same(db, contents)


@pytest.mark.parametrize("answer", ["a\x1fb", "\x1e", "", "x\x1e"])
def test_answers_holding_the_bulk_insert_separators_are_stored_as_sent(db: Database, answer: str) -> None:
    """The bulk insert sends columns as texts split at \\x1f, with \\x1e for NULL (rows.SEPARATOR):
    an answer holding either goes another way, and is stored exactly as the general path does."""
    now = datetime.now(timezone.utc)
    plain = {"answer": "4", "is_correct": True, "time_taken_seconds": 3, "confidence": None, "timestamp": now,
             "device_id": None, "deleted": False}
    _assert_both_paths_store_the_same(db, [plain, {**plain, "answer": answer, "confidence": 5}])
    caller = _student(db)
    ops = [Op("question_attempts", new_id(), {**plain, "answer": answer, "timestamp": now.isoformat(),
                                               "student_id": caller.user_id, "question_id": question_ids(1)[0]},
              HybridLogicalClock("laptop").now())]
    _push(db, caller, ops)
    assert [row["answer"] for row in _stored(db, caller)] == [answer]


def test_a_replay_is_acknowledged_once_and_a_changed_replay_is_refused(db: Database) -> None:
    load_bank(db)
    caller, clock = _student(db), HybridLogicalClock("laptop")
    ops = [Op("question_attempts", new_id(), {
        "student_id": caller.user_id, "question_id": q, "answer": "7", "is_correct": True, "time_taken_seconds": 9.0,
        "confidence": 2, "timestamp": datetime.now(timezone.utc).isoformat(), "device_id": "laptop",
        "deleted": False}, clock.now()) for q in question_ids(5)]
    first = _push(db, caller, ops)
    again = _push(db, caller, ops)
    assert again == first  # same acknowledgement, same cursor: nothing was applied again
    assert len(_stored(db, caller)) == 5
    changed = Op("question_attempts", ops[2].row_id, {**ops[2].payload, "is_correct": False}, clock.now())
    changed_ops = [ops[0], changed]
    with pytest.raises(OpsRejected) as refused:
        _push(db, caller, changed_ops)
    assert refused.value.extra["rejected"] == [{"op_id": changed.op_id, "code": "append_only",
                                       "message": "this attempt exists with different content"}]


@pytest.mark.parametrize("spoil, code", [
    (lambda op, other: op.payload.update(student_id=other), "forbidden"),
    (lambda op, other: op.payload.update(question_id=new_id()), "unknown_reference"),
    (lambda op, other: op.payload.update(confidence=9), "invalid_field"),
    (lambda op, other: op.payload.pop("answer"), "incomplete_row"),
    (lambda op, other: setattr(op, "hlc", "yesterday"), "bad_stamp"),
    (lambda op, other: op.payload.update(time_taken_seconds=10 ** 400), "invalid_field"),  # no float holds it
    (lambda op, other: op.payload.update(timestamp="0001-01-01T00:00:00+01:00"), "invalid_field"),  # no UTC value
])
def test_one_bad_attempt_in_a_bulk_batch_is_named_and_nothing_is_stored(db: Database, spoil: Any, code: str) -> None:
    load_bank(db)
    caller, other, clock = _student(db), _student(db), HybridLogicalClock("laptop")
    questions = question_ids(10)
    ops = [Op("question_attempts", new_id(), {
        "student_id": caller.user_id, "question_id": random.choice(questions), "answer": "7",
        "is_correct": True, "time_taken_seconds": 9.0, "confidence": 2,
        "timestamp": datetime.now(timezone.utc).isoformat(), "device_id": "laptop", "deleted": False},
        clock.now()) for _ in range(50)]
    spoil(ops[17], other.user_id)
    with pytest.raises(OpsRejected) as refused:
        _push(db, caller, ops)
    assert [(r["op_id"], r["code"]) for r in refused.value.extra["rejected"]] == [(ops[17].op_id, code)]
    assert _stored(db, caller) == []


def test_attempts_sent_again_under_another_account_are_refused_by_the_bulk_path(db: Database) -> None:
    load_bank(db)
    owner, intruder, clock = _student(db), _student(db), HybridLogicalClock("laptop")
    content = {"question_id": question_ids(1)[0], "answer": "7", "is_correct": True, "time_taken_seconds": 9.0,
               "confidence": 2, "timestamp": datetime.now(timezone.utc).isoformat(), "device_id": "laptop",
               "deleted": False}
    mine = [Op("question_attempts", new_id(), {**content, "student_id": owner.user_id}, clock.now()) for _ in range(3)]
    _push(db, owner, mine)
    theirs = [Op("question_attempts", op.row_id, {**content, "student_id": intruder.user_id}, op.hlc) for op in mine]
    assert push_attempts.attempts_of(theirs, intruder, stamp_limit()) is not None  # the bulk path takes it, and finds the rows
    with pytest.raises(OpsRejected) as refused:
        _push(db, intruder, theirs)
    assert {(r["op_id"], r["code"]) for r in refused.value.extra["rejected"]} == {(op.op_id, "forbidden") for op in theirs}
    assert _stored(db, intruder) == [] and len(_stored(db, owner)) == 3
