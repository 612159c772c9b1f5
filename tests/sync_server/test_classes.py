"""Classes: create, list, join by code (a server write that reaches devices), mastery."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from desktop_app.db.hlc import HybridLogicalClock
from desktop_app.db.ids import new_id
from sync_server import classes, push
from sync_server.bank import load_bank
from sync_server.classes import JOIN_ALPHABET, profile_id
from sync_server.db import Database
from sync_server.merge import DEFAULT_STAMP
from sync_server.tables import SPECS
from tests.sync_server.conftest import Server, User, account_in, question_ids


def _class(teacher: User, name: str = "Year 11 maths") -> dict:
    r = teacher.post("/classes", {"name": name})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_teacher_creates_and_lists_classes(server: Server, provision: Callable[..., User]) -> None:
    teacher = provision("teacher")
    created = _class(teacher)
    assert len(created["join_code"]) == 8 and set(created["join_code"]) <= set(JOIN_ALPHABET)
    student = provision()
    assert student.post("/classes/join", {"join_code": created["join_code"].lower()}).status_code == 200
    listed = teacher.get("/classes").json()["classes"]
    assert listed == [{**created, "students": [{"user_id": student.user_id, "username": student.username}]}]
    # The class travels to the teacher's devices like any synced row.
    changes, _ = teacher.pull_all(limit=1000)
    row = next(c for c in changes if c["row_id"] == created["class_id"])
    assert row["table"] == "classes" and row["fields"]["teacher_id"] == teacher.user_id
    assert row["hlc"].endswith(":server")


def test_joining_sets_the_profile_under_a_server_stamp(server: Server, provision: Callable[..., User]) -> None:
    teacher, student = provision("teacher"), provision()
    created = _class(teacher)
    pid = profile_id(student.user_id)
    # The student's laptop made a profile offline, with a clock a little ahead of the server.
    ahead = datetime.now(timezone.utc) + timedelta(minutes=5)
    stamp = f"{int(ahead.timestamp() * 1000):015d}:000000:{student.device}"
    assert student.push([student.op("student_profiles", pid, {"user_id": student.user_id, "grade": "11",
                                                                "available_hours_per_day": 3.0}, stamp=stamp)]
                        ).status_code == 200
    _, cursor = student.pull_all()
    r = student.post("/classes/join", {"join_code": created["join_code"]})
    assert r.status_code == 200 and r.json() == {"class_id": created["class_id"], "name": created["name"]}
    changes, _ = student.pull_all(after=cursor)
    profile = next(c for c in changes if c["table"] == "student_profiles")
    assert profile["row_id"] == pid and profile["fields"]["class_id"] == created["class_id"]
    assert profile["stamps"]["class_id"] > stamp and profile["stamps"]["class_id"].endswith(":server")
    assert profile["fields"]["grade"] == "11" and profile["fields"]["available_hours_per_day"] == 3.0
    # ... and the class row the profile points to comes along (the device needs it).
    assert any(c["table"] == "classes" and c["row_id"] == created["class_id"] for c in changes)


def test_joining_never_takes_over_a_profile_another_student_put_under_ones_id(
        server: Server, provision: Callable[..., User]) -> None:
    teacher, student, squatter = provision("teacher"), provision(), provision()
    created = _class(teacher)
    pid = profile_id(student.user_id)  # derived: anyone who knows the user id can compute it
    # Push refuses it now (reserved_id); a profile squatted before that, or for an account an
    # older server registered without reserving its ids, may still be stored:
    server.sql("DELETE FROM server_derived_ids WHERE user_id = %s", (student.user_id,))
    assert squatter.push([squatter.op("student_profiles", pid, {"user_id": squatter.user_id, "grade": "9"})]
                         ).status_code == 200
    assert student.post("/classes/join", {"join_code": created["join_code"]}).status_code == 200
    rows = dict(server.sql("SELECT user_id, id FROM student_profiles WHERE user_id IN (%s, %s)",
                           (student.user_id, squatter.user_id)))
    assert rows[squatter.user_id] == pid and rows[student.user_id] != pid  # each keeps a row of their own
    assert server.sql("SELECT grade, class_id FROM student_profiles WHERE id = %s", (pid,)) == [("9", None)]
    listed = teacher.get("/classes").json()["classes"][0]["students"]
    assert listed == [{"user_id": student.user_id, "username": student.username}]


def test_joining_without_a_profile_creates_one_with_only_server_fields_stamped(
        server: Server, provision: Callable[..., User]) -> None:
    teacher, student = provision("teacher"), provision()
    created = _class(teacher)
    assert student.post("/classes/join", {"join_code": created["join_code"]}).status_code == 200
    row = server.sql("SELECT to_json(p) FROM student_profiles p WHERE user_id = %s", (student.user_id,))[0][0]
    assert row["id"] == profile_id(student.user_id) and row["class_id"] == created["class_id"]
    server_stamped = {k for k, v in row["field_stamps"].items() if v.endswith(":server")}
    assert server_stamped == {"user_id", "class_id", "deleted"}
    assert row["available_hours_per_day"] == 2.0  # the model default: any device's value wins
    assert row["field_stamps"]["available_hours_per_day"] == DEFAULT_STAMP
    assert set(row["field_stamps"]) == set(SPECS["student_profiles"].fields)
    # Joining again changes nothing.
    before = server.sql("SELECT hlc FROM student_profiles WHERE id = %s", (row["id"],))
    assert student.post("/classes/join", {"join_code": created["join_code"]}).status_code == 200
    assert server.sql("SELECT hlc FROM student_profiles WHERE id = %s", (row["id"],)) == before


def test_a_teacher_pulls_the_history_of_a_student_who_joins_later(server: Server,
                                                                   provision: Callable[..., User]) -> None:
    teacher, student = provision("teacher"), provision()
    created = _class(teacher)
    ops = [student.attempt(q) for q in question_ids(3)]
    assert student.push(ops).status_code == 200
    _, cursor = teacher.pull_all(limit=1000)  # the teacher is up to date before the join
    assert student.post("/classes/join", {"join_code": created["join_code"]}).status_code == 200
    changes, _ = teacher.pull_all(after=cursor)
    assert {op["row_id"] for op in ops} <= {c["row_id"] for c in changes}
    assert teacher.get("/sync/summary").json()["counts"]["question_attempts"] >= 3


def test_a_class_or_profile_brought_back_from_deletion_resends_what_the_teacher_missed(
        server: Server, provision: Callable[..., User]) -> None:
    """While a class (or a student's profile) is deleted, the teacher's pulls go past the
    student's new rows (the cursor moves on with another class's changes); once it is
    restored, the teacher's next pull must bring them."""
    teacher, student, other = provision("teacher"), provision(), provision()
    created = _class(teacher)
    assert student.post("/classes/join", {"join_code": created["join_code"]}).status_code == 200
    assert other.post("/classes/join", {"join_code": _class(teacher, "Set 2")["join_code"]}).status_code == 200
    profile = next(c for c in student.pull_all()[0] if c["table"] == "student_profiles")
    _, cursor = teacher.pull_all(limit=1000)
    for owner, table, row_id in ((teacher, "classes", created["class_id"]),
                                 (student, "student_profiles", profile["row_id"])):
        for change in owner.pull_all(limit=1000)[0]:  # as a device does before it edits (hlc.py)
            for stamp in change["stamps"].values():
                owner.clock.receive(stamp)
        assert owner.push([owner.op(table, row_id, {"deleted": True}, operation="delete")]).status_code == 200
        unseen = [student.attempt(q) for q in question_ids(2)]
        assert student.push(unseen).status_code == 200
        seen = other.attempt(question_ids(1)[0])
        assert other.push([seen]).status_code == 200
        changes, cursor = teacher.pull_all(after=cursor, limit=1000)
        got = {c["row_id"] for c in changes}
        assert seen["row_id"] in got and not {op["row_id"] for op in unseen} & got, table  # hidden meanwhile
        assert owner.push([owner.op(table, row_id, {"deleted": False}, operation="update")]).status_code == 200
        changes, cursor = teacher.pull_all(after=cursor, limit=1000)
        assert {op["row_id"] for op in unseen} <= {c["row_id"] for c in changes}, table


def test_join_codes_and_roles_are_checked(server: Server, provision: Callable[..., User]) -> None:
    teacher, student = provision("teacher"), provision()
    r = student.post("/classes/join", {"join_code": "NOSUCHCD"})
    assert r.status_code == 404 and r.json()["error"] == "unknown_join_code"
    code = _class(teacher)["join_code"]
    assert teacher.post("/classes/join", {"join_code": code}).status_code == 403
    assert student.post("/classes", {"name": "mine"}).status_code == 403
    assert student.get("/classes").status_code == 403


def test_mastery_per_student_and_topic(server: Server, provision: Callable[..., User]) -> None:
    teacher, good, weak, outsider = provision("teacher"), provision(), provision(), provision()
    created = _class(teacher)
    for student in (good, weak):
        assert student.post("/classes/join", {"join_code": created["join_code"]}).status_code == 200
    q = question_ids(6)
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    assert good.push([good.attempt(q[i % 6], correct=True, at=start + timedelta(minutes=i))
                      for i in range(12)]).status_code == 200
    assert weak.push([weak.attempt(q[i % 6], correct=False, at=start + timedelta(minutes=i))
                      for i in range(12)]).status_code == 200
    assert outsider.push([outsider.attempt(q[0])]).status_code == 200
    r = teacher.get(f"/classes/{created['class_id']}/mastery")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["class_id"] == created["class_id"] and body["method"]
    students = {s["user_id"]: s for s in body["students"]}
    assert set(students) == {good.user_id, weak.user_id}
    practised = {s: [t for t in students[s]["topics"] if t["attempts"]] for s in students}
    assert practised[good.user_id] and {t["topic_id"] for t in practised[good.user_id]} == \
        {t["topic_id"] for t in practised[weak.user_id]}
    for mine, theirs in zip(practised[good.user_id], practised[weak.user_id]):
        assert 0 <= theirs["mastery"] < mine["mastery"] <= 100
    assert sum(t["attempts"] for t in practised[good.user_id]) == 12


def test_mastery_is_for_the_classes_teacher_only(server: Server, provision: Callable[..., User]) -> None:
    teacher, other, student = provision("teacher"), provision("teacher"), provision()
    class_id = _class(teacher)["class_id"]
    assert other.get(f"/classes/{class_id}/mastery").status_code == 403
    assert student.get(f"/classes/{class_id}/mastery").status_code == 403
    assert teacher.get(f"/classes/{new_id()}/mastery").status_code == 404


def test_a_teacher_renames_and_deletes_a_class_and_students_learn_it(
        server: Server, provision: Callable[..., User]) -> None:
    teacher, student = provision("teacher"), provision()
    created = _class(teacher, "11B maths")
    assert student.post("/classes/join", {"join_code": created["join_code"]}).status_code == 200
    assert student.push([student.attempt(question_ids(1)[0])]).status_code == 200
    _, teacher_cursor = teacher.pull_all(limit=1000)
    _, student_cursor = student.pull_all(limit=1000)

    r = teacher.request("PATCH", f"/classes/{created['class_id']}", {"name": "11B maths (set 2)"})
    assert r.status_code == 200
    assert r.json() == {"class_id": created["class_id"], "name": "11B maths (set 2)", "deleted": False}
    assert [c["name"] for c in teacher.get("/classes").json()["classes"]] == ["11B maths (set 2)"]
    renamed = [c for c in student.pull_all(after=student_cursor, limit=1000)[0] if c["table"] == "classes"]
    assert [c["fields"]["name"] for c in renamed] == ["11B maths (set 2)"]  # the student's laptop shows it

    r = teacher.request("DELETE", f"/classes/{created['class_id']}")
    assert r.status_code == 200 and r.json()["deleted"] is True
    assert teacher.get("/classes").json()["classes"] == []
    assert teacher.get(f"/classes/{created['class_id']}/mastery").status_code == 404
    assert teacher.request("DELETE", f"/classes/{created['class_id']}").status_code == 404  # once only
    # The student is out of the class on every device, under a server stamp; their work stays theirs.
    changes, _ = student.pull_all(after=student_cursor, limit=1000)
    profile = next(c for c in changes if c["table"] == "student_profiles")
    assert profile["fields"]["class_id"] is None and profile["stamps"]["class_id"].endswith(":server")
    assert server.sql("SELECT count(*) FROM question_attempts WHERE student_id = %s", (student.user_id,)) == [(1,)]
    # The teacher's devices get the tombstone, and no longer see the student's new work.
    after_delete, cursor = teacher.pull_all(after=teacher_cursor, limit=1000)
    assert any(c["row_id"] == created["class_id"] and c["deleted"] for c in after_delete)
    assert student.push([student.attempt(question_ids(2)[1])]).status_code == 200
    assert not [c for c in teacher.pull_all(after=cursor, limit=1000)[0] if c["table"] == "question_attempts"]


def test_a_push_never_takes_a_student_out_of_a_class(server: Server, provision: Callable[..., User]) -> None:
    teacher, student = provision("teacher"), provision()
    created = _class(teacher)
    assert student.post("/classes/join", {"join_code": created["join_code"]}).status_code == 200
    # An older app sent class_id with every new profile: null, stamped after the join (and
    # after any stamp the server's clock has seen: other tests push stamps minutes ahead).
    later = f"{int(datetime.now(timezone.utc).timestamp() * 1000) + 12 * 3600_000:015d}:000000:{student.device}"
    r = student.push([student.op("student_profiles", profile_id(student.user_id),
                                 {"user_id": student.user_id, "class_id": None, "grade": "11"}, stamp=later)])
    assert r.status_code == 200, r.text
    assert teacher.get("/classes").json()["classes"][0]["students"] == [
        {"user_id": student.user_id, "username": student.username}]
    changes, _ = student.pull_all()
    profile = next(c for c in changes if c["table"] == "student_profiles")
    assert profile["fields"]["class_id"] == created["class_id"] and profile["fields"]["grade"] == "11"


def test_a_join_racing_the_profiles_first_push_still_joins(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    teacher, student = account_in(db, "teacher"), account_in(db)
    created = classes.create_class(db, teacher, "11A")
    pid = profile_id(student.user_id)
    op = SimpleNamespace(op_id=new_id(), table="student_profiles", row_id=pid, operation="insert",
                         payload={"user_id": student.user_id, "target_exam": "GCSE"},
                         hlc=HybridLogicalClock("laptop").now())
    load = classes.rows.load
    pushed: list[bool] = []

    def load_then_the_laptop_pushes(conn: Any, spec: Any, ids: Any, *, lock: bool) -> Any:
        found = load(conn, spec, ids, lock=lock)
        if spec.name == "student_profiles" and not pushed:  # the join found no profile; the push commits now
            pushed.append(True)
            push.push(db, lambda _: student, [op])
        return found

    monkeypatch.setattr(classes.rows, "load", load_then_the_laptop_pushes)
    assert classes.join_class(db, student, created["join_code"])["class_id"] == created["class_id"]
    with db.connection() as conn:
        assert conn.execute("SELECT class_id, target_exam FROM student_profiles WHERE id = %s",
                            (pid,)).fetchone() == (created["class_id"], "GCSE")


def test_class_mastery_follows_the_syllabus_a_teacher_publishes(db: Database) -> None:
    load_bank(db)
    teacher, student = account_in(db, "teacher"), account_in(db)
    created = classes.create_class(db, teacher, "11A")
    classes.join_class(db, student, created["join_code"])
    before = classes.class_mastery(db, teacher, created["class_id"])  # builds the syllabus cache
    assert "Vectors" not in [t["name"] for t in before["students"][0]["topics"]]
    clock = HybridLogicalClock("teacher-laptop")
    topic, concept, question = new_id(), new_id(), new_id()

    def op(table: str, row_id: str, payload: dict[str, Any]) -> SimpleNamespace:
        return SimpleNamespace(op_id=new_id(), table=table, row_id=row_id, operation="insert", payload=payload,
                               hlc=clock.now())

    push.push(db, lambda _: teacher, [
        op("topics", topic, {"bank_id": "mine", "local_id": "t", "name": "Vectors", "exam_weightage": 10.0}),
        op("concepts", concept, {"topic_id": topic, "local_id": "c", "name": "Dot product"}),
        op("questions", question, {"concept_id": concept, "local_id": "q", "type": "true_false", "text": "?",
                                   "correct_answer": "true"})])
    push.push(db, lambda _: student, [op("question_attempts", new_id(), {
        "student_id": student.user_id, "question_id": question, "answer": "true", "is_correct": True,
        "time_taken_seconds": 5.0, "timestamp": datetime.now(timezone.utc).isoformat(), "device_id": "d"})])
    after = classes.class_mastery(db, teacher, created["class_id"])["students"][0]["topics"]
    assert [t["attempts"] for t in after if t["name"] == "Vectors"] == [1]
