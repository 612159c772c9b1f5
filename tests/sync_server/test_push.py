"""Push through the real server: idempotence, latest-wins per field, append-only attempts,
all-or-nothing batches and per-op authorisation."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
import requests

from desktop_app.db.hlc import HybridLogicalClock
from desktop_app.db.ids import new_id, singleton_id
from sync_server.classes import profile_id
from sync_server.merge import DEFAULT_STAMP
from tests.sync_server.conftest import HEADERS, PASSWORD, Server, User, question_ids

DAY_MS = 24 * 3600 * 1000


def _ok(r: Any) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    return r.json()


def _rejected(r: Any) -> dict[str, str]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "ops_rejected"
    return {x["op_id"]: x["code"] for x in body["rejected"]}


def _profile(user: User, **fields: Any) -> dict[str, Any]:
    return {"user_id": user.user_id, "class_id": None, "grade": "10", "target_exam": "GCSE", "exam_date": "2027-06-01",
            "available_hours_per_day": 2.0, "deleted": False, **fields}


def _row(server: Server, table: str, row_id: str) -> dict[str, Any] | None:
    rows = server.sql(f'SELECT to_json(t) FROM "{table}" t WHERE id = %s', (row_id,))
    return rows[0][0] if rows else None


def test_a_replayed_batch_is_acknowledged_and_not_applied_again(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    profile = user.op("student_profiles", profile_id(user.user_id), _profile(user))
    ops = [profile, *(user.attempt(q) for q in question_ids(3))]
    first = _ok(user.push(ops))
    assert first["acknowledged"] == [op["op_id"] for op in ops]
    again = _ok(user.push(ops))
    assert again == first  # same acknowledgement, and no new change: the cursor did not move
    assert server.sql("SELECT count(*) FROM question_attempts WHERE student_id = %s", (user.user_id,)) == [(3,)]
    # The profile op's id is remembered; attempts are settled by their row id instead.
    assert server.sql("SELECT op_id FROM server_seen_ops WHERE user_id = %s", (user.user_id,)) == [(profile["op_id"],)]
    # A batch that repeats an op id inside itself counts it once.
    dup = user.attempt(question_ids(1)[0])
    assert _ok(user.push([dup, dup]))["acknowledged"] == [dup["op_id"]]


def test_an_older_stamp_loses_and_different_fields_both_survive(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    pid = profile_id(user.user_id)
    laptop_a, laptop_b = HybridLogicalClock("laptop-a"), HybridLogicalClock("laptop-b")
    _ok(user.push([user.op("student_profiles", pid, _profile(user), stamp=laptop_a.now())]))
    stale = laptop_a.now()  # laptop A edits the exam date first but pushes it last
    laptop_b.receive(stale)
    newer_hours = laptop_b.now()  # laptop B changes the hours later
    newer_grade = laptop_b.now()
    _ok(user.push([user.op("student_profiles", pid, {"available_hours_per_day": 3.5}, operation="update",
                           stamp=newer_hours),
                   user.op("student_profiles", pid, {"grade": "11"}, operation="update", stamp=newer_grade)]))
    _ok(user.push([user.op("student_profiles", pid, {"exam_date": "2027-05-20", "grade": "9"}, operation="update",
                           stamp=stale)]))
    row = _row(server, "student_profiles", pid)
    assert row is not None
    assert (row["exam_date"], row["available_hours_per_day"], row["grade"]) == ("2027-05-20", 3.5, "11")
    assert row["field_stamps"]["grade"] == newer_grade and row["field_stamps"]["exam_date"] == stale
    assert row["hlc"] == newer_grade


def test_a_tie_is_broken_by_device_id_whatever_the_arrival_order(server: Server,
                                                                 provision: Callable[..., User]) -> None:
    for order in ((0, 1), (1, 0)):
        user = provision()
        pid = profile_id(user.user_id)
        _ok(user.push([user.op("student_profiles", pid, _profile(user), stamp="000000000000001:000000:seed")]))
        same = [f"001700000000000:000007:{device}" for device in ("device-a", "device-b")]
        for i in order:
            _ok(user.push([user.op("student_profiles", pid, {"target_exam": f"from {i}"}, operation="update",
                                   stamp=same[i])]))
        assert _row(server, "student_profiles", pid)["target_exam"] == "from 1"  # "device-b" > "device-a"


def test_a_day_behind_clock_wins_with_a_causally_later_edit(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    pid = profile_id(user.user_id)
    now = time.time_ns() // 1_000_000
    right = HybridLogicalClock("laptop-right", wall=lambda: now)
    behind = HybridLogicalClock("laptop-behind", wall=lambda: now - DAY_MS)
    _ok(user.push([user.op("student_profiles", pid, _profile(user, target_exam="GCSE"), stamp=right.now())]))
    changes, _ = user.pull_all()
    for change in changes:  # the slow laptop pulls (its clock moves past every stamp it sees) ...
        for stamp in change["stamps"].values():
            behind.receive(stamp)
    later = behind.now()  # ... then edits: its wall clock is a day behind, its stamp is not
    assert later > right.last
    _ok(user.push([user.op("student_profiles", pid, {"target_exam": "A-level"}, operation="update", stamp=later)]))
    assert _row(server, "student_profiles", pid)["target_exam"] == "A-level"
    # Whereas the same laptop without the pull would have lost:
    blind = HybridLogicalClock("laptop-blind", wall=lambda: now - DAY_MS)
    _ok(user.push([user.op("student_profiles", pid, {"target_exam": "lost"}, operation="update",
                           stamp=blind.now())]))
    assert _row(server, "student_profiles", pid)["target_exam"] == "A-level"


def test_a_stamp_more_than_a_day_ahead_is_rejected_and_moves_no_clock(
        server: Server, provision: Callable[..., User]) -> None:
    """A laptop whose clock is years fast must not win every later edit, nor drag the
    server's clock (and through it every device's) into the future."""
    user = provision()
    pid = profile_id(user.user_id)
    now = time.time_ns() // 1_000_000
    _ok(user.push([user.op("student_profiles", pid, _profile(user))]))
    fast = HybridLogicalClock("laptop-hours-fast", wall=lambda: now + 3 * 3600 * 1000)
    hours_fast = user.attempt(question_ids(1)[0])
    _ok(user.push([{**hours_fast, "hlc": fast.now()}]))  # hours: fine
    years = HybridLogicalClock("laptop-years-fast", wall=lambda: now + 3 * 365 * DAY_MS)
    edit = user.op("student_profiles", pid, {"grade": "13"}, operation="update", stamp=years.now())
    counter_full = user.op("student_profiles", pid, {"grade": "12"}, operation="update",
                           stamp="999999999999999:999999:x")
    attempts = [user.attempt(q) for q in question_ids(3)]
    attempts[1]["hlc"] = years.now()  # one of a bulk batch of attempts
    rejected = _rejected(user.push([edit, counter_full, *attempts]))
    assert rejected == {edit["op_id"]: "clock_ahead", counter_full["op_id"]: "clock_ahead",
                        attempts[1]["op_id"]: "clock_ahead"}
    body = user.push([edit]).json()
    assert "check this computer's date and time" in body["rejected"][0]["message"]
    assert _row(server, "student_profiles", pid)["grade"] == "10"
    # The rest goes through; the server's own stamps (a class join) stay near the real time.
    _ok(user.push([attempts[0], attempts[2]]))
    teacher = provision(role="teacher")
    created = teacher.post("/classes", {"name": "7B"})
    assert created.status_code == 201, created.text
    code = created.json()["join_code"]
    _ok(user.post("/classes/join", {"join_code": code}))
    server_stamp = _row(server, "student_profiles", pid)["field_stamps"]["class_id"]
    assert int(server_stamp[:15]) < now + 3600 * 1000


def test_attempts_are_append_only(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    attempt = user.attempt(question_ids(1)[0])
    _ok(user.push([attempt]))
    row_id = attempt["row_id"]
    update = user.op("question_attempts", row_id, {"is_correct": False}, operation="update")
    delete = user.op("question_attempts", row_id, {"deleted": True}, operation="delete")
    assert _rejected(user.push([update, delete])) == {update["op_id"]: "append_only", delete["op_id"]: "append_only"}
    # The same attempt under a new op id (a re-queued outbox row): accepted, nothing changes.
    again = {**attempt, "op_id": new_id(), "hlc": user.clock.now()}
    _ok(user.push([again]))
    different = {**again, "op_id": new_id(), "payload": {**attempt["payload"], "answer": "changed"}}
    assert _rejected(user.push([different])) == {different["op_id"]: "append_only"}
    assert server.sql("SELECT count(*), min(answer) FROM question_attempts WHERE id = %s", (row_id,)) == [(1, "x")]


def test_a_rejected_op_rejects_the_batch_and_changes_nothing(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    q = question_ids(2)
    good = [user.attempt(q[0]), user.attempt(q[1])]
    bad = user.attempt(new_id())  # a question the server does not have
    before = server.sql("SELECT coalesce(max(seq), 0) FROM server_changes")
    assert _rejected(user.push([good[0], bad, good[1]])) == {bad["op_id"]: "unknown_reference"}
    assert server.sql("SELECT count(*) FROM question_attempts WHERE student_id = %s", (user.user_id,)) == [(0,)]
    assert server.sql("SELECT count(*) FROM server_seen_ops WHERE user_id = %s", (user.user_id,)) == [(0,)]
    assert server.sql("SELECT coalesce(max(seq), 0) FROM server_changes") >= before
    # The client sets the rejected op aside and sends the rest: accepted.
    _ok(user.push(good))
    assert server.sql("SELECT count(*) FROM question_attempts WHERE student_id = %s", (user.user_id,)) == [(2,)]


def test_the_rows_attempts_refer_to_can_never_be_deleted(server: Server, provision: Callable[..., User]) -> None:
    """The server checks an attempt's question and student at push, with no foreign key
    after that (migration 0003): so PostgreSQL itself refuses to delete either kind of row."""
    user = provision()
    q = question_ids(1)[0]
    _ok(user.push([user.attempt(q)]))
    for statement, params in (("DELETE FROM questions WHERE id = %s", (q,)),
                              ("DELETE FROM users WHERE id = %s", (user.user_id,)), ("TRUNCATE questions CASCADE", None)):
        with pytest.raises(psycopg.errors.RestrictViolation, match="never deleted"):
            server.sql(statement, params)
    assert server.sql("SELECT count(*) FROM question_attempts a JOIN questions q ON q.id = a.question_id "
                      "JOIN users u ON u.id = a.student_id WHERE a.student_id = %s", (user.user_id,)) == [(1,)]


def test_malformed_ops_are_named(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    q = question_ids(1)[0]
    ops = {
        "unknown_table": user.op("users", new_id(), {"username": "x"}),
        "bad_stamp": {**user.attempt(q), "hlc": "yesterday"},
        "invalid_field": user.op("question_attempts", new_id(), {"confidence": 11}),
        "unknown_field": user.op("question_attempts", new_id(), {"password_hash": "x"}),
    }
    rejected = _rejected(user.push(list(ops.values())))
    assert rejected == {ops["unknown_table"]["op_id"]: "unknown_table", ops["bad_stamp"]["op_id"]: "bad_stamp",
                        ops["invalid_field"]["op_id"]: "invalid_field", ops["unknown_field"]["op_id"]: "invalid_field"}


def test_students_write_only_their_own_rows(server: Server, provision: Callable[..., User]) -> None:
    alice, bob = provision(), provision()
    _ok(bob.push([bob.op("student_profiles", profile_id(bob.user_id), _profile(bob))]))
    q = question_ids(1)[0]
    as_bob = alice.attempt(q)
    as_bob["payload"]["student_id"] = bob.user_id
    bobs_profile = alice.op("student_profiles", profile_id(bob.user_id), {"grade": "1"}, operation="update")
    topic = alice.op("topics", new_id(), {"bank_id": "b", "local_id": "t", "name": "T"})
    new_class = alice.op("classes", new_id(), {"name": "C", "teacher_id": alice.user_id, "join_code": "ABCDEFGH"})
    rejected = _rejected(alice.push([as_bob, bobs_profile, topic, new_class]))
    assert rejected == {as_bob["op_id"]: "forbidden", bobs_profile["op_id"]: "forbidden",
                        topic["op_id"]: "forbidden", new_class["op_id"]: "forbidden"}
    assert _row(server, "student_profiles", profile_id(bob.user_id))["grade"] == "10"


def test_a_student_cannot_point_their_profile_at_a_class_they_did_not_join(
        server: Server, provision: Callable[..., User]) -> None:
    teacher, student = provision("teacher"), provision()
    created = teacher.post("/classes", {"name": "Year 11"}).json()
    op = student.op("student_profiles", profile_id(student.user_id), _profile(student, class_id=created["class_id"]))
    assert _rejected(student.push([op])) == {op["op_id"]: "unknown_reference"}
    _ok(student.post("/classes/join", {"join_code": created["join_code"]}))
    ok = student.op("student_profiles", profile_id(student.user_id), {"class_id": created["class_id"]},
                    operation="update")
    _ok(student.push([ok]))


def test_teachers_write_the_syllabus_and_their_own_classes(server: Server, provision: Callable[..., User]) -> None:
    teacher, other = provision("teacher"), provision("teacher")
    topic_id, concept_id, question_id = new_id(), new_id(), new_id()
    ops = [teacher.op("topics", topic_id, {"bank_id": "extra", "local_id": "t1", "name": "Vectors",
                                           "exam_weightage": 5.0}),
           teacher.op("concepts", concept_id, {"topic_id": topic_id, "local_id": "c1", "name": "Adding vectors"}),
           teacher.op("questions", question_id, {"concept_id": concept_id, "local_id": "q1", "type": "true_false",
                                                 "text": "a+b = b+a?", "correct_answer": "true", "difficulty": 1})]
    _ok(teacher.push(ops))
    assert _row(server, "questions", question_id)["explanation"] == ""  # a default ...
    assert _row(server, "questions", question_id)["field_stamps"]["explanation"] == DEFAULT_STAMP  # any wins
    class_id = new_id()
    mine = teacher.op("classes", class_id, {"name": "Set 1", "teacher_id": teacher.user_id, "join_code": "QWERTYUP",
                                            "created_at": "2026-09-01T08:00:00+00:00"})
    _ok(teacher.push([mine]))
    theirs = other.op("classes", class_id, {"name": "Mine now"}, operation="update")
    forged = other.op("classes", new_id(), {"name": "X", "teacher_id": teacher.user_id, "join_code": "ZXCVBNMA",
                                            "created_at": "2026-09-01T08:00:00+00:00"})
    assert _rejected(other.push([theirs, forged])) == {theirs["op_id"]: "forbidden", forged["op_id"]: "forbidden"}
    # A student can now answer the teacher's new question.
    student = provision()
    _ok(student.push([student.attempt(question_id)]))
    # Model parameters the mastery model cannot read are refused: they would break every
    # class report and every device that builds the model from this syllabus.
    bad = [teacher.op("concepts", concept_id, {"model_params": ["intercept"]}, operation="update"),
           teacher.op("questions", question_id, {"model_params": {"difficulty": "hard"}}, operation="update"),
           teacher.op("concepts", concept_id, {"model_params": {"intercept": 10 ** 400}}, operation="update")]
    assert _rejected(teacher.push(bad)) == {op["op_id"]: "invalid_field" for op in bad}
    _ok(teacher.push([teacher.op("concepts", concept_id, {"model_params": {"intercept": -0.4}}, operation="update")]))


def test_new_rows_must_be_complete_and_unique(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    partial = user.op("study_plans", new_id(), {"statement": "only this"}, operation="update")
    assert _rejected(user.push([partial])) == {partial["op_id"]: "incomplete_row"}
    _ok(user.push([user.op("student_profiles", profile_id(user.user_id), _profile(user))]))
    second = user.op("student_profiles", new_id(), _profile(user))  # another id for the same user
    assert _rejected(user.push([second])) == {second["op_id"]: "unique_violation"}
    teacher = provision("teacher")
    code = teacher.post("/classes", {"name": "C"}).json()["join_code"]
    clash = teacher.op("classes", new_id(), {"name": "D", "teacher_id": teacher.user_id, "join_code": code,
                                             "created_at": "2026-09-01T08:00:00+00:00"})
    assert _rejected(teacher.push([clash])) == {clash["op_id"]: "unique_violation"}


def test_a_delete_is_a_tombstone_that_travels(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    plan_id = new_id()
    _ok(user.push([user.op("study_plans", plan_id, {"student_id": user.user_id, "plan": {"days": []},
                                                    "created_at": "2026-09-01T08:00:00+00:00"})]))
    _ok(user.push([user.op("study_plans", plan_id, {"deleted": True}, operation="delete")]))
    changes, _ = user.pull_all()
    plan = [c for c in changes if c["row_id"] == plan_id]
    assert len(plan) == 1 and plan[0]["deleted"] is True and plan[0]["fields"]["deleted"] is True


def _plan(user: User) -> dict[str, Any]:
    return {"student_id": user.user_id, "plan": {"days": []}, "created_at": "2026-09-01T08:00:00+00:00"}


def test_nobody_creates_their_profile_or_plan_under_another_users_derived_id(
        server: Server, provision: Callable[..., User]) -> None:
    """The ids are derived from the user id, which others may know: a student who took
    another's id for a row of their own would lock that student out of their row for good
    (a stored row owned by someone else is never written)."""
    squatter, victim = provision(), provision()
    plan_id, pid = singleton_id("study_plans", victim.user_id), profile_id(victim.user_id)
    squats = [squatter.op("study_plans", plan_id, _plan(squatter)),
              squatter.op("student_profiles", pid, _profile(squatter))]
    by_update = squatter.op("study_plans", plan_id, _plan(squatter), operation="update")  # also a create
    answer = squatter.attempt(question_ids(1)[0])
    assert _rejected(squatter.push([*squats, answer])) == {op["op_id"]: "reserved_id" for op in squats}
    assert _rejected(squatter.push([by_update])) == {by_update["op_id"]: "reserved_id"}
    _ok(squatter.push([answer]))  # the client sets the refused ops aside and sends the rest
    assert _row(server, "study_plans", plan_id) is None and _row(server, "student_profiles", pid) is None
    _ok(victim.push([victim.op("study_plans", plan_id, _plan(victim)),
                     victim.op("student_profiles", pid, _profile(victim))]))
    assert _row(server, "study_plans", plan_id)["student_id"] == victim.user_id
    assert _row(server, "student_profiles", pid)["user_id"] == victim.user_id


def test_an_account_registered_over_http_has_its_derived_ids_reserved(
        server: Server, provision: Callable[..., User]) -> None:
    r = requests.post(server.api("/auth/register"), json={"username": f"reg-{new_id()[-12:]}", "password": PASSWORD},
                      headers=HEADERS, timeout=30)
    assert r.status_code == 201, r.text
    squatter = provision()
    squat = squatter.op("study_plans", singleton_id("study_plans", r.json()["user_id"]), _plan(squatter))
    assert _rejected(squatter.push([squat])) == {squat["op_id"]: "reserved_id"}


def test_own_derived_ids_and_ids_derived_from_no_account_are_accepted(
        server: Server, provision: Callable[..., User]) -> None:
    """Only another account's derived id is refused. A laptop's offline account that logged
    in to this one (an older client kept the offline account's derived id, which no account
    on the server has) and any other id are the caller's to use, as before."""
    user, other = provision(), provision()
    _ok(user.push([user.op("student_profiles", profile_id(user.user_id), _profile(user))]))
    offline_account = new_id()
    plan_id = singleton_id("study_plans", offline_account)
    _ok(user.push([user.op("study_plans", plan_id, _plan(user))]))
    assert _row(server, "study_plans", plan_id)["student_id"] == user.user_id
    # Another account's derived id is theirs whatever the table (nobody needs it elsewhere).
    crossed = other.op("student_profiles", singleton_id("study_plans", user.user_id), _profile(other))
    assert _rejected(other.push([crossed])) == {crossed["op_id"]: "reserved_id"}


def test_a_topic_weighing_more_than_the_whole_exam_is_refused(server: Server, provision: Callable[..., User]) -> None:
    teacher = provision("teacher")
    op = teacher.op("topics", new_id(), {"bank_id": "extra", "local_id": "big", "name": "Everything",
                                         "exam_weightage": 150.0})
    assert _rejected(teacher.push([op])) == {op["op_id"]: "invalid_field"}  # practice would stop on every laptop
    _ok(teacher.push([{**op, "op_id": new_id(), "payload": {**op["payload"], "exam_weightage": 100.0}}]))
