"""The student's exam profile: what the planner needs (exam, date, hours per day).

Validation is a pure function returning every problem at once, keyed by field, so the UI
can put each message next to its field. Problems are codes, not sentences: the UI words
and translates them. Writing a profile goes through the session normally; the outbox hook
stamps the row and queues its sync operation in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.ids import singleton_id
from desktop_app.db.models import StudentProfile

MAX_HOURS_PER_DAY = 16.0
# One study block (the planner's default, 30 minutes): fewer hours make a plan with nothing in
# it, which saving used to accept ("Saved") while the plan it replaced was thrown away.
MIN_HOURS_PER_DAY = 0.5
FIELDS = ("grade", "target_exam", "exam_date", "hours_per_day")


@dataclass(frozen=True)
class ProfileView:
    student_id: str
    grade: str
    target_exam: str
    exam_date: date | None
    hours_per_day: float


class ProfileError(ValueError):
    """`problems` maps a field name (FIELDS) to a code:

    exam_empty, exam_too_long, grade_too_long, date_missing, date_past,
    hours_too_few, hours_too_many.
    """

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def validate_profile(*, grade: str, target_exam: str, exam_date: date | None, hours_per_day: float,
                     today: date) -> dict[str, str]:
    """Every problem with the inputs, by field; empty when they can be saved."""
    problems: dict[str, str] = {}
    if len(grade.strip()) > 32:
        problems["grade"] = "grade_too_long"
    if not target_exam.strip():
        problems["target_exam"] = "exam_empty"
    elif len(target_exam.strip()) > 128:
        problems["target_exam"] = "exam_too_long"
    if exam_date is None:
        problems["exam_date"] = "date_missing"
    elif exam_date < today:
        problems["exam_date"] = "date_past"
    if hours_per_day < MIN_HOURS_PER_DAY:
        problems["hours_per_day"] = "hours_too_few"
    elif hours_per_day > MAX_HOURS_PER_DAY:
        problems["hours_per_day"] = "hours_too_many"
    return problems


def get_profile(session: Session, *, student_id: str) -> ProfileView | None:
    row = session.scalar(select(StudentProfile).where(StudentProfile.user_id == student_id,
                                                      StudentProfile.deleted.is_(False)))
    if row is None:
        return None
    return ProfileView(student_id=student_id, grade=row.grade or "", target_exam=row.target_exam or "",
                       exam_date=row.exam_date, hours_per_day=row.available_hours_per_day)


def save_profile(session: Session, *, student_id: str, grade: str, target_exam: str,
                 exam_date: date | None, hours_per_day: float, today: date) -> ProfileView:
    """Create or update the profile; raises ProfileError with every problem. Never commits."""
    problems = validate_profile(grade=grade, target_exam=target_exam, exam_date=exam_date,
                                hours_per_day=hours_per_day, today=today)
    if problems:
        raise ProfileError(problems)
    row = session.scalar(select(StudentProfile).where(StudentProfile.user_id == student_id))
    if row is None:
        row = StudentProfile(id=singleton_id("student_profiles", student_id), user_id=student_id)
        session.add(row)
    # Assign only what changed: latest-wins is field by field, so an untouched field must
    # keep its old stamp (another laptop may have changed it meanwhile).
    values = {"grade": grade.strip() or None, "target_exam": target_exam.strip(), "exam_date": exam_date,
              "available_hours_per_day": float(hours_per_day), "deleted": False}
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    session.flush()
    return ProfileView(student_id=student_id, grade=row.grade or "", target_exam=row.target_exam or "",
                       exam_date=row.exam_date, hours_per_day=row.available_hours_per_day)
