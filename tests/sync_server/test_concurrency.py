"""Many devices pushing at once while a reader pulls: nothing lost, nothing duplicated,
and the reader never skips a change (it never restarts from 0)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from sync_server.changelog import COVERED_ROWS
from tests.sync_server.conftest import Server, User, question_ids

DEVICES = 16
BATCHES = 8
BATCH = 25


def test_concurrent_pushes_and_a_concurrent_puller(server: Server, provision: Callable[..., User]) -> None:
    teacher = provision("teacher")
    join_code = teacher.post("/classes", {"name": "Load"}).json()["join_code"]
    students = [provision() for _ in range(DEVICES)]
    for s in students:
        assert s.post("/classes/join", {"join_code": join_code}).status_code == 200
    _, cursor = teacher.pull_all(limit=1000)
    questions = question_ids(40)
    pushed: dict[str, set[str]] = {s.user_id: set() for s in students}
    errors: list[str] = []
    done = threading.Event()
    pulled: list[dict] = []
    cursors: list[int] = []

    def device(student: User, index: int) -> None:
        for b in range(BATCHES):
            ops = [student.attempt(questions[(index + b + i) % 40]) for i in range(BATCH)]
            r = student.push(ops)
            if r.status_code != 200:
                errors.append(r.text)
                continue
            pushed[student.user_id].update(op["row_id"] for op in ops)
            if b % 3 == 0:  # a lost response: the same batch again, racing nothing but itself
                again = student.push(ops)
                if again.status_code != 200 or again.json()["acknowledged"] != r.json()["acknowledged"]:
                    errors.append(again.text)

    def puller() -> None:
        nonlocal cursor
        while True:
            finished = done.is_set()
            r = teacher.get("/sync/pull", params={"after": cursor, "limit": 37})
            if r.status_code != 200:
                errors.append(r.text)
                return
            body = r.json()
            pulled.extend(body["changes"])
            assert body["next_cursor"] >= cursor
            cursor = body["next_cursor"]
            cursors.append(cursor)
            if finished and not body["has_more"]:
                return

    reader = threading.Thread(target=puller)
    reader.start()
    threads = [threading.Thread(target=device, args=(s, i)) for i, s in enumerate(students)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join(120)
    assert not errors, errors[:3]
    everything = set().union(*pushed.values())
    assert len(everything) == DEVICES * BATCHES * BATCH
    # Nothing lost, nothing duplicated in PostgreSQL ...
    ids = list(pushed)
    assert server.sql("SELECT count(*), count(DISTINCT id) FROM question_attempts WHERE student_id = ANY(%s)",
                      (ids,)) == [(len(everything), len(everything))]
    # ... the change log stands for each attempt once, with one entry per push ...
    assert server.sql(f"SELECT count(*), count(DISTINCT row_id) FROM ({COVERED_ROWS}) e "
                      "WHERE table_name = 'question_attempts' AND owner_id = ANY(%s)", (ids,)) \
        == [(len(everything), len(everything))]
    assert server.sql("SELECT count(*) FROM server_changes WHERE table_name = 'question_attempts' "
                      "AND owner_id = ANY(%s)", (ids,)) == [(DEVICES * BATCHES,)]
    # ... the counts the summaries carry agree with PostgreSQL ...
    assert teacher.get("/sync/summary").json()["counts"]["question_attempts"] == len(everything)
    assert {s.get("/sync/summary").json()["counts"]["question_attempts"] for s in students} == {BATCHES * BATCH}
    # ... and the reader, only ever moving forward, saw every change exactly once.
    got = [c["row_id"] for c in pulled if c["table"] == "question_attempts"]
    assert set(got) == everything and len(got) == len(everything)
    seqs = [c["seq"] for c in pulled]
    assert seqs == sorted(seqs)
    # One push's attempts share one entry, so one seq, and a page never splits them.
    per_seq: dict[int, list[str]] = {}
    for c in pulled:
        per_seq.setdefault(c["seq"], []).append(c["fields"]["student_id"])
    assert sorted(len(owners) for owners in per_seq.values()) == [BATCH] * (DEVICES * BATCHES)
    assert all(len(set(owners)) == 1 for owners in per_seq.values())
    assert len(cursors) > 3  # it really pulled while the pushes were running


def test_one_students_laptops_pushing_at_once_are_all_counted(server: Server, provision: Callable[..., User]) -> None:
    """Several devices of one student push at the same moment: every attempt is stored once
    and the count the summary carries (kept per student in server_row_counts) is exact."""
    student = provision()
    questions = question_ids(20)
    errors: list[str] = []

    def laptop(device: User) -> None:
        for _ in range(5):
            r = device.push([device.attempt(questions[i]) for i in range(20)])
            if r.status_code != 200:
                errors.append(r.text)

    devices = [replace(student, device=f"laptop-{n}") for n in range(4)]  # own device id, clock and session
    laptops = [threading.Thread(target=laptop, args=(d,)) for d in devices]
    for t in laptops:
        t.start()
    for t in laptops:
        t.join()
    assert not errors, errors[:3]
    assert server.sql("SELECT count(*) FROM question_attempts WHERE student_id = %s", (student.user_id,)) == [(400,)]
    assert student.get("/sync/summary").json()["counts"]["question_attempts"] == 400
