"""Which class a student is in, as their own database knows it.

The server sets `student_profiles.class_id` when the student joins by code
(sync_client.classes.ClassesClient.join_class); the student's next pull brings the profile
change and the class row. Takes the caller's session; never commits.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.models import SchoolClass, StudentProfile


def class_name(session: Session, *, student_id: str) -> str | None:
    """The name of the student's class, or None (not in a class, or not pulled yet)."""
    return session.scalar(
        select(SchoolClass.name).join(StudentProfile, StudentProfile.class_id == SchoolClass.id)
        .where(StudentProfile.user_id == student_id, StudentProfile.deleted.is_(False),
               SchoolClass.deleted.is_(False)))
