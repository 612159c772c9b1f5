"""Two students of one class: whatever student B crafts with their own token, they never
read or write student A's rows (mastery, pull, summary, push), and nothing of A leaks in
the answers."""
from __future__ import annotations

import json
from collections.abc import Callable

from desktop_app.db.ids import new_id
from sync_server.classes import profile_id
from tests.sync_server.conftest import Server, User, question_ids


def _rejected(r, code: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 422, r.text
    assert {x["code"] for x in r.json()["rejected"]} == {code}, r.text


def test_a_student_can_never_read_or_write_a_classmates_rows(server: Server, provision: Callable[..., User]) -> None:
    teacher, other_teacher, a, b = provision("teacher"), provision("teacher"), provision(), provision()
    created = teacher.post("/classes", {"name": "Set 1"}).json()
    other_class = other_teacher.post("/classes", {"name": "Set 9"}).json()
    for student in (a, b):
        assert student.post("/classes/join", {"join_code": created["join_code"]}).status_code == 200
    q = question_ids(3)
    a_attempts = [a.attempt(q[0], correct=True), a.attempt(q[1], correct=False)]
    assert a.push(a_attempts).status_code == 200
    assert a.push([a.op("student_profiles", profile_id(a.user_id), {"grade": "A's grade"}, operation="update")]
                  ).status_code == 200

    def leaks(r) -> bool:  # type: ignore[no-untyped-def]
        text = r.text
        return a.user_id in text or a.username in text or "A's grade" in text or \
            any(op["row_id"] in text for op in a_attempts)

    # Reading: the class's mastery and list are the teacher's; another class id is unknown.
    for path in (f"/classes/{created['class_id']}/mastery", "/classes", f"/classes/{new_id()}/mastery"):
        r = b.get(path)
        assert r.status_code in (403, 404) and not leaks(r), (path, r.status_code, r.text)
    r = other_teacher.get(f"/classes/{created['class_id']}/mastery")
    assert r.status_code == 403 and not leaks(r)
    changes, _ = b.pull_all()
    assert changes and not any(a.user_id in json.dumps(c) or c["row_id"] in {o["row_id"] for o in a_attempts}
                               for c in changes)
    assert b.get("/sync/summary").json()["counts"].get("question_attempts", 0) == 0

    # Writing: an attempt in A's name, A's profile, A's attempt id, the teacher's class, a class not joined.
    _rejected(b.push([b.op("question_attempts", new_id(), {**a_attempts[0]["payload"], "student_id": a.user_id})]),
              "forbidden")
    _rejected(b.push([b.op("student_profiles", profile_id(a.user_id), {"grade": "hacked"}, operation="update")]),
              "forbidden")
    _rejected(b.push([b.op("question_attempts", a_attempts[1]["row_id"],
                           {**a_attempts[1]["payload"], "student_id": b.user_id, "is_correct": True})]), "forbidden")
    _rejected(b.push([b.op("classes", created["class_id"], {"name": "renamed"}, operation="update")]), "forbidden")
    _rejected(b.push([b.op("student_profiles", profile_id(b.user_id), {"class_id": other_class["class_id"]},
                           operation="update")]), "unknown_reference")
    _rejected(b.push([b.op("questions", q[2], {"correct_answer": "42"}, operation="update")]), "forbidden")

    # Nothing changed: A's rows are as A wrote them, and A's teacher still sees A.
    assert server.sql("SELECT student_id, is_correct FROM question_attempts WHERE id = ANY(%s) ORDER BY is_correct",
                      ([o["row_id"] for o in a_attempts],)) == [(a.user_id, False), (a.user_id, True)]
    assert server.sql("SELECT grade, class_id FROM student_profiles WHERE user_id = %s", (a.user_id,)) == \
        [("A's grade", created["class_id"])]
    assert server.sql("SELECT name FROM classes WHERE id = %s", (created["class_id"],)) == [("Set 1",)]
    mastery = teacher.get(f"/classes/{created['class_id']}/mastery").json()
    assert {s["username"] for s in mastery["students"]} == {a.username, b.username}
