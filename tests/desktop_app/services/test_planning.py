"""The student's plan through the services: made from the profile, ticked off, re-made after a missed day
and after a syllabus change."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.db.database import LocalDatabase
from desktop_app.db.ids import content_id, new_id
from desktop_app.db.models import StudentProfile, StudyPlan, SyncOperation, Topic, User
from desktop_app.db.outbox import applying_remote
from desktop_app.db.serialize import row_to_wire
from desktop_app.resources import SAMPLE_BANK, resource_path
from desktop_app.services import planning
from desktop_app.services.passwords import hash_password
from desktop_app.services.setup import import_bank_file
from sync_client.apply import apply_changes

TODAY = date(2026, 11, 24)


def _student(db: LocalDatabase, *, exam_in_days: int | None, hours: float = 1.0) -> str:
    with db.transaction() as s:
        user = User(username="ben", password_hash=hash_password("correct horse"))
        s.add(user)
        s.flush()
        exam = TODAY + timedelta(days=exam_in_days) if exam_in_days is not None else None
        s.add(StudentProfile(user_id=user.id, exam_date=exam, available_hours_per_day=hours))
        return user.id


def test_no_exam_date_means_no_plan_yet_and_replan_says_why(db: LocalDatabase) -> None:
    sid = _student(db, exam_in_days=None)
    with db.transaction() as s:
        assert planning.current_plan(s, student_id=sid, today=TODAY) is None
        with pytest.raises(planning.PlanInputError, match="exam date"):
            planning.replan(s, student_id=sid, today=TODAY)


def test_plan_fits_the_hours_and_is_queued_for_sync(db: LocalDatabase) -> None:
    sid = _student(db, exam_in_days=30, hours=1.5)
    with db.transaction() as s:
        view = planning.current_plan(s, student_id=sid, today=TODAY)
    assert view.days[0].day == TODAY and view.days[-1].day == TODAY + timedelta(days=29)
    assert all(sum(i.minutes for i in d.items) <= d.capacity_minutes == 90 for d in view.days)
    assert any(i.kind == "revision" for i in view.days[-1].items)
    with db.transaction() as s:
        ops = s.scalars(select(SyncOperation).where(SyncOperation.table_name == "study_plans")).all()
    assert len(ops) == 1


def test_too_few_hours_are_stated_plainly(db: LocalDatabase) -> None:
    sid = _student(db, exam_in_days=4, hours=0.5)
    with db.transaction() as s:
        view = planning.current_plan(s, student_id=sid, today=TODAY)
    assert view.statement and "Left out" in view.statement


def test_missed_day_moves_work_forward_and_keeps_what_was_done(db: LocalDatabase) -> None:
    sid = _student(db, exam_in_days=20, hours=1.0)
    with db.transaction() as s:
        first = planning.current_plan(s, student_id=sid, today=TODAY)
        item = first.days[0].items[0]
        planning.mark_done(s, student_id=sid, day=TODAY, topic_id=item.topic_id, kind=item.kind, done=True)
    # Day 2 was missed entirely; on day 3 the app re-plans by itself.
    day3 = TODAY + timedelta(days=2)
    with db.transaction() as s:
        later = planning.current_plan(s, student_id=sid, today=day3)
        stored = s.scalar(select(StudyPlan).where(StudyPlan.student_id == sid))
    assert stored.plan["made_on"] == day3.isoformat()
    assert later.days[0].day == TODAY and later.days[0].items[0].done  # history kept
    assert later.days[2].day == day3 and later.days[2].items  # the rest moved onto the remaining days


def _plan_ops(db: LocalDatabase) -> int:
    with db.transaction() as s:
        return len(s.scalars(select(SyncOperation).where(SyncOperation.table_name == "study_plans")).all())


def _edit_profile(db: LocalDatabase, sid: str, **fields: object) -> None:
    """As Settings saves it, or as sync applies a profile changed on another laptop."""
    with db.transaction() as s:
        profile = s.scalar(select(StudentProfile).where(StudentProfile.user_id == sid))
        for name, value in fields.items():
            setattr(profile, name, value)


def test_a_new_exam_date_the_same_day_re_plans_once(db: LocalDatabase) -> None:
    sid = _student(db, exam_in_days=30, hours=1.0)
    with db.transaction() as s:
        first = planning.current_plan(s, student_id=sid, today=TODAY)
    assert first.exam_date == TODAY + timedelta(days=30) and _plan_ops(db) == 1

    _edit_profile(db, sid, exam_date=TODAY + timedelta(days=17))
    with db.transaction() as s:
        view = planning.current_plan(s, student_id=sid, today=TODAY)
    assert view.exam_date == TODAY + timedelta(days=17)
    assert len(view.days) == 17 and view.days[0].day == TODAY and view.days[0].items
    with db.transaction() as s:
        stored = s.scalar(select(StudyPlan).where(StudyPlan.student_id == sid))
        assert stored.exam_date == TODAY + timedelta(days=17)
        assert stored.plan["exam_date"] == (TODAY + timedelta(days=17)).isoformat()
    assert _plan_ops(db) == 2  # the re-made plan is queued for sync

    for _ in range(3):  # reading again finds it up to date: no re-plan, nothing more to sync
        with db.transaction() as s:
            again = planning.current_plan(s, student_id=sid, today=TODAY)
        assert again.created_at == view.created_at
    assert _plan_ops(db) == 2


def test_new_hours_per_day_the_same_day_re_plan_and_keep_done_work(db: LocalDatabase) -> None:
    sid = _student(db, exam_in_days=20, hours=1.0)
    with db.transaction() as s:
        first = planning.current_plan(s, student_id=sid, today=TODAY)
        item = first.days[0].items[0]
        planning.mark_done(s, student_id=sid, day=TODAY, topic_id=item.topic_id, kind=item.kind, done=True)
    assert first.days[0].capacity_minutes == 60

    _edit_profile(db, sid, available_hours_per_day=3.0)
    with db.transaction() as s:
        view = planning.current_plan(s, student_id=sid, today=TODAY)
    assert all(d.capacity_minutes == 180 for d in view.days)
    assert any(i.topic_id == item.topic_id and i.kind == item.kind and i.done for i in view.days[0].items)
    assert _plan_ops(db) == 3  # made, ticked, re-made


def test_an_exam_date_moved_into_the_past_leaves_no_plan_to_follow(db: LocalDatabase) -> None:
    sid = _student(db, exam_in_days=10)
    with db.transaction() as s:
        assert planning.current_plan(s, student_id=sid, today=TODAY) is not None
    _edit_profile(db, sid, exam_date=TODAY - timedelta(days=1))
    with db.transaction() as s:
        assert planning.current_plan(s, student_id=sid, today=TODAY) is None
    assert _plan_ops(db) == 1  # nothing written while the date cannot be planned for


def _plan_topics(view: planning.PlanView) -> set[str]:
    return {i.topic_id for d in view.days for i in d.items}


def test_a_topic_pulled_by_sync_re_plans_once_and_later_reads_keep_the_plan(db: LocalDatabase) -> None:
    sid = _student(db, exam_in_days=30, hours=4.0)
    with db.transaction() as s:
        first = planning.current_plan(s, student_id=sid, today=TODAY)
    for _ in range(2):  # nothing changed: the same plan, nothing more to sync
        with db.transaction() as s:
            assert planning.current_plan(s, student_id=sid, today=TODAY).created_at == first.created_at
    assert _plan_ops(db) == 1

    # The teacher's new version adds a topic, applied as a sync pull applies it.
    new_topic = new_id()
    with db.transaction() as s, applying_remote(s):
        fields = {**row_to_wire(s.scalars(select(Topic)).first()), "local_id": "vectors", "name": "Vectors",
                  "parent_id": None, "exam_weightage": 9.0, "estimated_hours": 3.0, "position": 99}
        apply_changes(s, [{"table": "topics", "row_id": new_topic, "fields": fields,
                           "hlc": "999999999999999:000000:teacher"}])
    with db.transaction() as s:
        view = planning.current_plan(s, student_id=sid, today=TODAY)
    assert view.created_at > first.created_at
    assert new_topic in _plan_topics(view) and new_topic not in _plan_topics(first)
    assert any(i.topic_name == "Vectors" for d in view.days for i in d.items)
    assert _plan_ops(db) == 2

    for _ in range(3):  # one re-plan per change
        with db.transaction() as s:
            assert planning.current_plan(s, student_id=sid, today=TODAY).created_at == view.created_at
    assert _plan_ops(db) == 2


def test_an_imported_bank_version_re_plans_and_an_edit_the_plan_ignores_does_not(
        db: LocalDatabase, tmp_path: Path) -> None:
    sid = _student(db, exam_in_days=30, hours=4.0)
    with db.transaction() as s:
        first = planning.current_plan(s, student_id=sid, today=TODAY)
    bank = json.loads(resource_path(SAMPLE_BANK).read_text(encoding="utf-8"))

    bank["questions"][0]["text"] = "Reworded by the teacher"  # nothing the plan is made of
    import_bank_file(db, _written(tmp_path / "reworded.json", bank))
    with db.transaction() as s:
        assert planning.current_plan(s, student_id=sid, today=TODAY).created_at == first.created_at

    dropped = bank["topics"].pop()  # a new version without its last topic
    bank["concepts"] = [c for c in bank["concepts"] if c["topic"] != dropped["id"]]
    kept = {c["id"] for c in bank["concepts"]}
    bank["questions"] = [q for q in bank["questions"] if q["concept"] in kept]
    import_bank_file(db, _written(tmp_path / "v2.json", bank))
    dropped_id = content_id(bank["id"], "topic", dropped["id"])
    assert dropped_id in _plan_topics(first)
    with db.transaction() as s:
        view = planning.current_plan(s, student_id=sid, today=TODAY)
        again = planning.current_plan(s, student_id=sid, today=TODAY)
    assert view.created_at > first.created_at and dropped_id not in _plan_topics(view)
    assert again.created_at == view.created_at
    assert _plan_ops(db) == 2


def _written(path: Path, bank: dict) -> Path:
    path.write_text(json.dumps(bank), encoding="utf-8")
    return path
