"""Pull and summary through the real server: paging, compaction, scope, wire form."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timezone

from desktop_app.db.ids import new_id
from desktop_app.db.serialize import content_fields
from desktop_app.db.models import QuestionAttempt
from sync_server.classes import profile_id
from tests.sync_server.conftest import Server, User, question_ids


def _mine(changes: list[dict], table: str) -> list[dict]:
    return [c for c in changes if c["table"] == table]


def test_pages_follow_the_cursor_in_seq_order(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    q = question_ids(5)
    ops = [user.attempt(q[i % 5]) for i in range(25)]
    assert user.push(ops).status_code == 200
    everything, cursor = user.pull_all(limit=1000)
    pages, paged_cursor = [], 0
    while True:
        body = user.get("/sync/pull", params={"after": paged_cursor, "limit": 7}).json()
        pages.append(body["changes"])
        paged_cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    paged = [c for page in pages for c in page]
    assert [(c["seq"], c["row_id"]) for c in paged] == [(c["seq"], c["row_id"]) for c in everything]
    assert [c["seq"] for c in everything] == sorted(c["seq"] for c in everything)
    assert cursor == paged_cursor == everything[-1]["seq"]
    # At most 7 changes a page, except the push's 25 attempts: they share one seq and come
    # together, alone in their page.
    attempts = _mine(everything, "question_attempts")
    assert len({c["seq"] for c in attempts}) == 1
    assert all(len(page) <= 7 for page in pages if page != attempts)
    assert attempts in pages
    assert {c["row_id"] for c in _mine(everything, "question_attempts")} == {op["row_id"] for op in ops}
    r = user.get("/sync/pull", params={"after": cursor})
    assert r.json() == {"changes": [], "next_cursor": cursor, "has_more": False}


def test_a_change_carries_the_full_row_in_wire_form(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    at = datetime(2026, 3, 1, 9, 30, 15, 250000, tzinfo=timezone.utc)
    op = user.attempt(question_ids(1)[0], at=at)
    assert user.push([op]).status_code == 200
    change = next(c for c in user.pull_all()[0] if c["row_id"] == op["row_id"])
    assert change["table"] == "question_attempts" and change["deleted"] is False
    assert set(change["fields"]) == set(content_fields(QuestionAttempt))
    assert {k: change["fields"][k] for k in op["payload"]} == {**op["payload"], "timestamp": at.isoformat()}
    # Every field carries the stamp of the op that wrote it: an attempt stamped alike on every
    # field comes with no per-field stamps, each field taking the change's hlc (the protocol).
    assert change["stamps"] == {} and change["hlc"] == op["hlc"]
    assert {k: change["stamps"].get(k, change["hlc"]) for k in content_fields(QuestionAttempt)} == \
        dict.fromkeys(op["payload"], op["hlc"])
    assert datetime.fromisoformat(change["fields"]["timestamp"]) == at


def test_a_time_sent_with_any_offset_is_stored_as_the_same_instant(server: Server, provision: Callable[..., User]) -> None:
    """Devices may send local times with their offset; the server stores UTC and pulls give
    back the same instant (an offset with seconds included)."""
    user = provision()
    sent = ["2026-03-01T09:30:15.250000-05:30", "2026-03-01T09:30:15+05:30:15", "2026-03-01T09:30:15Z"]
    ops = [user.attempt(question_ids(1)[0], at=datetime.fromisoformat(at)) for at in sent]
    for op, at in zip(ops, sent):
        op["payload"]["timestamp"] = at  # exactly as a device wrote it
    assert user.push(ops).status_code == 200
    pulled = {c["row_id"]: c["fields"]["timestamp"] for c in user.pull_all()[0] if c["table"] == "question_attempts"}
    for op, at in zip(ops, sent):
        back = pulled[op["row_id"]]
        assert back == datetime.fromisoformat(at).astimezone(timezone.utc).isoformat()
        assert datetime.fromisoformat(back) == datetime.fromisoformat(at)


def test_a_row_changed_many_times_comes_once_in_its_latest_state(server: Server,
                                                                 provision: Callable[..., User]) -> None:
    user = provision()
    _, cursor = user.pull_all()
    pid = profile_id(user.user_id)
    assert user.push([user.op("student_profiles", pid, {"user_id": user.user_id, "grade": "9"})]).status_code == 200
    for grade in ("10", "11", "12"):
        op = user.op("student_profiles", pid, {"grade": grade}, operation="update")
        assert user.push([op]).status_code == 200
    changes, _ = user.pull_all(after=cursor)
    profile = _mine(changes, "student_profiles")
    assert len(profile) == 1 and profile[0]["fields"]["grade"] == "12"


def test_everybody_pulls_the_syllabus(server: Server, provision: Callable[..., User]) -> None:
    changes, _ = provision().pull_all(limit=1000)
    tables = {c["table"] for c in changes}
    assert {"topics", "topic_prerequisites", "concepts", "questions"} <= tables
    assert len(_mine(changes, "questions")) >= 180


def test_nobody_pulls_another_students_rows(server: Server, provision: Callable[..., User]) -> None:
    alice, bob, teacher = provision(), provision(), provision("teacher")
    q = question_ids(1)[0]
    assert alice.push([alice.attempt(q)]).status_code == 200
    assert bob.push([bob.attempt(q), bob.op("student_profiles", profile_id(bob.user_id),
                                            {"user_id": bob.user_id})]).status_code == 200
    for reader in (alice, teacher):
        changes, _ = reader.pull_all(limit=1000)
        assert not [c for c in changes if bob.user_id in (c["fields"].get("student_id"), c["fields"].get("user_id"))]


def test_summary_counts_what_the_caller_can_pull(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    q = question_ids(2)
    assert user.push([user.attempt(q[0]), user.attempt(q[1]),
                      user.op("study_plans", new_id(), {"student_id": user.user_id, "plan": {},
                                                        "created_at": "2026-01-01T00:00:00+00:00"})]).status_code == 200
    summary = user.get("/sync/summary").json()
    changes, cursor = user.pull_all(limit=1000)
    live = {}
    for c in changes:
        live[c["table"]] = live.get(c["table"], 0) + (not c["deleted"])
    assert summary["counts"]["question_attempts"] == 2 and summary["counts"]["study_plans"] == 1
    assert {t: n for t, n in summary["counts"].items() if n} == {t: n for t, n in live.items() if n}
    assert summary["cursor"] >= cursor


def test_attempt_counts_stay_exact_through_replays_and_rejected_batches(
        server: Server, provision: Callable[..., User]) -> None:
    """PostgreSQL keeps each student's attempt count as attempts are inserted
    (server_row_counts): an attempt sent again, or a batch refused after some of its
    attempts were inserted, must not move it."""
    user = provision()
    q = question_ids(3)
    first = [user.attempt(q[0]), user.attempt(q[1])]
    assert user.push(first).status_code == 200
    assert user.push(first).status_code == 200  # a lost response: the same batch again
    # A new attempt is inserted (and counted) before the stored one is found to differ:
    # the whole batch is refused and rolled back, its count too.
    changed = {**first[0], "op_id": new_id(), "payload": {**first[0]["payload"], "answer": "changed"}}
    refused = user.push([user.attempt(q[2]), changed])
    assert refused.status_code == 422 and [r["code"] for r in refused.json()["rejected"]] == ["append_only"]
    stored = server.sql("SELECT count(*) FROM question_attempts WHERE student_id = %s", (user.user_id,))
    assert stored == [(2,)] and user.get("/sync/summary").json()["counts"]["question_attempts"] == 2


def test_a_device_can_leave_out_the_attempts_it_recorded(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    q = question_ids(4)
    mine = [user.attempt(q[i]) for i in range(3)]
    other = {**user.attempt(q[3]), "payload": {**user.attempt(q[3])["payload"], "device_id": "other-laptop"}}
    assert user.push([*mine, other]).status_code == 200
    everything = user.get("/sync/pull", params={"after": 0, "limit": 1000}).json()
    skipping = user.get("/sync/pull", params={"after": 0, "limit": 1000, "skip_device": user.device}).json()
    assert {c["row_id"] for c in _mine(skipping["changes"], "question_attempts")} == {other["row_id"]}
    assert len(_mine(everything["changes"], "question_attempts")) == 4
    # The cursor still moves past the rows left out, so the device never asks for them again.
    assert skipping["next_cursor"] == everything["next_cursor"] and skipping["has_more"] is False
    # Paging is unchanged: the same pages, only the device's own attempts are not rendered.
    first = user.get("/sync/pull", params={"after": 0, "limit": 2, "skip_device": user.device}).json()
    assert first["has_more"] is True and first["next_cursor"] == everything["changes"][1]["seq"]


def test_a_push_from_one_device_is_skipped_whole_by_that_device(server: Server, provision: Callable[..., User]) -> None:
    """The new attempts of a push share one log entry naming the device that recorded them
    all: that device's pull passes it without reading them; every other reader gets them."""
    user = provision()
    q = question_ids(5)
    laptop = dataclasses.replace(user, device="second-laptop")  # the same student's other laptop
    _, cursor = user.pull_all()
    mine, theirs = [user.attempt(q[i]) for i in range(3)], [laptop.attempt(q[i]) for i in range(3, 5)]
    assert user.push(mine).status_code == 200 and laptop.push(theirs).status_code == 200
    entries = server.sql("SELECT row_count, device_id FROM server_changes WHERE owner_id = %s "
                         "AND table_name = 'question_attempts' ORDER BY seq", (user.user_id,))
    assert entries == [(3, user.device), (2, "second-laptop")]
    seen = user.get("/sync/pull", params={"after": cursor, "skip_device": user.device}).json()
    assert {c["row_id"] for c in seen["changes"]} == {op["row_id"] for op in theirs}
    everything = user.get("/sync/pull", params={"after": cursor}).json()
    assert {c["row_id"] for c in everything["changes"]} == {op["row_id"] for op in mine + theirs}
    assert seen["next_cursor"] == everything["next_cursor"]
    # Skipped whole, a push counts as one change of the page: with limit 3, the device's own
    # push of three (one) and the other laptop's two fit in one page.
    first = user.get("/sync/pull", params={"after": cursor, "limit": 3, "skip_device": user.device}).json()
    assert first["changes"] == seen["changes"] and first["has_more"] is False
    # The entry is skipped by the device it names, without reading its attempts: named after
    # another device, its attempts are skipped for that one.
    server.sql("UPDATE server_changes SET device_id = 'elsewhere' WHERE row_id = %s", (mine[0]["row_id"],))
    moved = user.get("/sync/pull", params={"after": cursor, "skip_device": "elsewhere"}).json()
    assert {c["row_id"] for c in moved["changes"]} == {op["row_id"] for op in theirs}


def test_a_push_sent_again_with_one_more_attempt_logs_only_the_new_one(
        server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    q = question_ids(3)
    first = [user.attempt(q[0]), user.attempt(q[1])]
    assert user.push(first).status_code == 200
    again = [*first, user.attempt(q[2])]  # the first response was lost; one answer came since
    assert user.push(again).status_code == 200
    entries = server.sql("SELECT row_ids, row_count, device_id FROM server_changes WHERE owner_id = %s "
                         "AND table_name = 'question_attempts' ORDER BY seq", (user.user_id,))
    assert entries == [(f"{first[0]['row_id']},{first[1]['row_id']}", 2, user.device),
                       (again[2]["row_id"], 1, user.device)]


def test_attempts_pushed_with_other_changes_share_one_entry_too(server: Server, provision: Callable[..., User]) -> None:
    """A batch that is not only new attempts takes the general path: its attempts are grouped
    all the same, and pulled with everything else."""
    user = provision()
    q = question_ids(2)
    _, cursor = user.pull_all()
    profile = user.op("student_profiles", profile_id(user.user_id), {"user_id": user.user_id, "grade": "11"})
    attempts = [user.attempt(q[0]), user.attempt(q[1])]
    assert user.push([profile, *attempts]).status_code == 200
    entries = server.sql("SELECT table_name, row_count, device_id FROM server_changes WHERE owner_id = %s "
                         "ORDER BY table_name", (user.user_id,))
    assert entries == [("question_attempts", 2, user.device), ("student_profiles", 1, None)]
    changes, _ = user.pull_all(after=cursor)
    assert {c["row_id"] for c in changes} == {profile["row_id"], *(op["row_id"] for op in attempts)}


def test_the_last_page_can_carry_the_summary_and_it_follows_every_change(
        server: Server, provision: Callable[..., User]) -> None:
    user, other = provision(), provision()
    q = question_ids(3)
    plan = user.op("study_plans", new_id(), {"student_id": user.user_id, "plan": {},
                                              "created_at": "2026-01-01T00:00:00+00:00"})
    assert user.push([user.attempt(q[0]), plan]).status_code == 200

    def last_page(limit: int = 1000) -> dict:
        after = 0
        while True:
            body = user.get("/sync/pull", params={"after": after, "limit": limit, "with_summary": "true"}).json()
            if not body["has_more"]:
                return body
            assert "summary" not in body or body["summary"] is None  # only the last page has it
            after = body["next_cursor"]

    first = last_page(limit=100)
    assert first["summary"] == user.get("/sync/summary").json()
    assert (first["summary"]["counts"]["question_attempts"], first["summary"]["counts"]["study_plans"]) == (1, 1)
    # Asked again after each kind of change, the counts follow (they are never stale) ...
    assert user.push([user.attempt(q[1]), user.attempt(q[2])]).status_code == 200
    assert last_page()["summary"]["counts"]["question_attempts"] == 3
    tombstone = user.op("study_plans", plan["row_id"], {"deleted": True}, operation="delete")
    assert user.push([tombstone]).status_code == 200
    assert user.get("/sync/summary").json()["counts"]["study_plans"] == 0
    # ... and another student's work changes nothing in them.
    before = user.get("/sync/summary").json()["counts"]
    assert other.push([other.attempt(q[0])]).status_code == 200
    assert user.get("/sync/summary").json()["counts"] == before
