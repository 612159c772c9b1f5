"""People: accounts, student profiles and classes."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.db.base import Base, SyncedMixin, utcnow
from desktop_app.db.ids import new_id

ROLES = ("student", "teacher", "admin")


class User(Base):
    """A person who signs in. Only an argon2id hash of the password is ever stored."""

    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_username", "username", unique=True),
        CheckConstraint("role IN ('student', 'teacher', 'admin')", name="role"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="student")
    display_name: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SchoolClass(SyncedMixin, Base):
    """A teacher's class; students join it with `join_code`."""

    __tablename__ = "classes"

    name: Mapped[str] = mapped_column(String(128))
    teacher_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StudentProfile(SyncedMixin, Base):
    """What the planner needs to know about a student's exam."""

    __tablename__ = "student_profiles"
    __table_args__ = (
        CheckConstraint("available_hours_per_day >= 0 AND available_hours_per_day <= 24", name="hours"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), unique=True)
    class_id: Mapped[str | None] = mapped_column(ForeignKey("classes.id"))
    grade: Mapped[str | None] = mapped_column(String(32))
    target_exam: Mapped[str | None] = mapped_column(String(128))
    exam_date: Mapped[date | None] = mapped_column(Date)
    available_hours_per_day: Mapped[float] = mapped_column(Float, default=2.0)
