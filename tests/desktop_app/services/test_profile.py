"""Exam profile: every problem reported by field; saving queues a sync operation."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import SyncOperation
from desktop_app.services import accounts, profile
from desktop_app.services.profile import ProfileError

TODAY = date(2025, 3, 1)


def test_validate_reports_every_problem_by_field() -> None:
    problems = profile.validate_profile(grade="", target_exam="  ", exam_date=TODAY - timedelta(days=1),
                                        hours_per_day=0, today=TODAY)
    assert problems == {"target_exam": "exam_empty", "exam_date": "date_past", "hours_per_day": "hours_too_few"}
    assert profile.validate_profile(grade="Year 11", target_exam="GCSE", exam_date=None, hours_per_day=16.5,
                                    today=TODAY) == {"exam_date": "date_missing", "hours_per_day": "hours_too_many"}
    assert profile.validate_profile(grade="", target_exam="GCSE", exam_date=TODAY, hours_per_day=16,
                                    today=TODAY) == {}


def test_fewer_hours_than_one_study_block_are_refused() -> None:
    """0.1 h a day was saved ("Saved") and made a plan with nothing in it, in place of the old one."""
    def hours(value: float) -> dict[str, str]:
        return profile.validate_profile(grade="", target_exam="GCSE", exam_date=TODAY, hours_per_day=value,
                                        today=TODAY)
    assert hours(0.1) == hours(0.4) == {"hours_per_day": "hours_too_few"}
    assert hours(0.5) == {}


def test_save_creates_then_updates_only_changed_fields(local_db: LocalDatabase) -> None:
    with local_db.transaction() as s:
        student = accounts.create_account(s, username="p", password="password-p")
    with local_db.transaction() as s:
        saved = profile.save_profile(s, student_id=student.id, grade="Year 11", target_exam="GCSE Maths",
                                     exam_date=date(2025, 6, 1), hours_per_day=2.5, today=TODAY)
    assert saved.hours_per_day == 2.5
    with local_db.transaction() as s:
        profile.save_profile(s, student_id=student.id, grade="Year 11", target_exam="GCSE Maths",
                             exam_date=date(2025, 6, 1), hours_per_day=3, today=TODAY)
    with local_db.transaction() as s:
        ops = list(s.scalars(select(SyncOperation).where(SyncOperation.table_name == "student_profiles")
                             .order_by(SyncOperation.hlc)))
        assert [op.operation for op in ops] == ["insert", "update"]
        assert "available_hours_per_day" in ops[1].payload
        assert "exam_date" not in ops[1].payload
        assert profile.get_profile(s, student_id=student.id).hours_per_day == 3.0


def test_save_refuses_invalid_profile_and_writes_nothing(local_db: LocalDatabase) -> None:
    with local_db.transaction() as s:
        student = accounts.create_account(s, username="q", password="password-q")
    with pytest.raises(ProfileError) as err, local_db.transaction() as s:
        profile.save_profile(s, student_id=student.id, grade="", target_exam="", exam_date=TODAY,
                             hours_per_day=20, today=TODAY)
    assert err.value.problems == {"target_exam": "exam_empty", "hours_per_day": "hours_too_many"}
    with local_db.transaction() as s:
        assert profile.get_profile(s, student_id=student.id) is None
