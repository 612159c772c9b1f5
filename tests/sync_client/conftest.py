"""Laptops (local databases) and an in-memory keyring for the sync client's tests.

No real OS keyring is touched: `memory_keyring` (autouse) installs a keyring backend that
keeps secrets in a dict for the duration of a test.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
from sqlalchemy import func, select

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import (ConceptMastery, Question, QuestionAttempt, StudentProfile, StudyPlan, SyncOperation,
                                   User)
from desktop_app.services import learner
from desktop_app.services.passwords import hash_password
from desktop_app.services.profile import save_profile
from desktop_app.services.progress import record_attempt, recompute_mastery
from desktop_app.services.setup import initialise
from sync_client.engine import RoundResult, SyncConfig, Synchronizer
from sync_client.fake import FakeServer, FakeTransport
from sync_client.state import TokenStore
from sync_client.transport import Transport

PASSWORD = "correct horse battery"

from desktop_app.ui import qt_compat  # noqa: E402

qt_compat.guard()  # PySide6 6.12.0 drops references to True/None on emits and void calls (see qt_compat)


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@dataclass
class Laptop:
    """One device: a data directory with the sample bank, a transport, a token store."""

    data_dir: Path
    db: LocalDatabase
    transport: Transport
    tokens: TokenStore
    config: SyncConfig = field(default_factory=SyncConfig)

    @property
    def user_id(self) -> str:
        with self.db.transaction() as s:
            from sync_client import state
            return state.get(s, state.USER_ID) or s.scalar(select(User.id).where(User.role == "student"))

    def synchronizer(self, **kw: Any) -> Synchronizer:
        return Synchronizer(self.db, self.transport, token=self.tokens.get, config=self.config, **kw)

    def sync(self, **kw: Any) -> RoundResult:
        return self.synchronizer(**kw).run()

    def local_student(self, username: str = "alice") -> str:
        with self.db.transaction() as s:
            user = User(username=username, password_hash=hash_password(PASSWORD), role="student")
            s.add(user)
            s.flush()
            return user.id

    def answer(self, n: int, *, student_id: str | None = None, start: int = 0,
               at: datetime | None = None) -> list[str]:
        """Record n answers (alternately right and wrong) through the practice service path."""
        student_id = student_id or self.user_id
        ids = []
        with self.db.transaction() as s:
            questions = s.scalars(select(Question).order_by(Question.id).offset(start).limit(n)).all()
            for i, q in enumerate(questions):
                when = (at or datetime.now(timezone.utc)) + timedelta(seconds=i)
                ids.append(record_attempt(s, student_id=student_id, question_id=q.id, answer=q.correct_answer,
                                          is_correct=i % 2 == 0, time_taken_seconds=20.0 + i, confidence=3,
                                          now=when).attempt_id)
            # record_attempt's incremental mastery can differ from a replay when the model
            # cache is cold (reported to the services owner); settle on the replay, which is
            # what every other device computes from the same attempts.
            recompute_mastery(s, student_id=student_id, concept_ids=None, now=datetime.now(timezone.utc))
        return ids

    def edit_profile(self, *, student_id: str | None = None, **values: Any) -> None:
        student_id = student_id or self.user_id
        with self.db.transaction() as s:
            row = s.scalar(select(StudentProfile).where(StudentProfile.user_id == student_id))
            current = {"grade": row.grade or "" if row else "", "target_exam": row.target_exam if row else "GCSE",
                       "exam_date": row.exam_date if row else date.today() + timedelta(days=90),
                       "hours_per_day": row.available_hours_per_day if row else 2.0}
            current.update(values)
            save_profile(s, student_id=student_id, today=date.today(), **current)

    def replan(self, *, student_id: str | None = None) -> None:
        from desktop_app.services.planning import replan
        with self.db.transaction() as s:
            replan(s, student_id=student_id or self.user_id, today=date.today())

    def snapshot(self) -> dict[str, Any]:
        """Everything that must be equal on two converged devices of one student."""
        uid = self.user_id
        with self.db.transaction() as s:
            attempts = sorted(s.execute(select(QuestionAttempt.id, QuestionAttempt.question_id,
                                               QuestionAttempt.is_correct, QuestionAttempt.student_id)
                                        .where(QuestionAttempt.student_id == uid)).all())
            profile = s.execute(select(StudentProfile.id, StudentProfile.grade, StudentProfile.target_exam,
                                       StudentProfile.exam_date, StudentProfile.available_hours_per_day)
                                .where(StudentProfile.user_id == uid)).all()
            plans = s.execute(select(StudyPlan.id, StudyPlan.plan, StudyPlan.statement)
                              .where(StudyPlan.student_id == uid)).all()
            mastery = sorted((r[0], r[1], r[2], round(r[3], 6)) for r in s.execute(
                select(ConceptMastery.concept_id, ConceptMastery.total_attempts, ConceptMastery.correct_attempts,
                       ConceptMastery.mastery_score).where(ConceptMastery.student_id == uid)))
        return {"attempts": attempts, "profile": profile, "plans": plans, "mastery": mastery}

    def pending(self) -> int:
        with self.db.transaction() as s:
            return s.scalar(select(func.count()).select_from(SyncOperation)
                            .where(SyncOperation.status == "pending")) or 0

    def set_wall_clock(self, wall: Callable[[], int]) -> None:
        """Make the device's clock read wall time from `wall` (ms since the epoch).

        LocalDatabase builds its HybridLogicalClock itself (no `wall` parameter), so the
        test swaps the injectable wall function of that very clock object.
        """
        self.db.clock._wall = wall  # type: ignore[attr-defined]


_TEMPLATE: list[Path] = []


def fresh_database(data_dir: Path) -> LocalDatabase:
    """A new device's database with the sample bank: a copy of one initialised template
    (importing the bank for every laptop of every test is slow), given its own device id."""
    import shutil
    import sqlite3
    import tempfile

    from desktop_app.db.session import DB_FILENAME
    if not _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="al-template-"))
        db, _ = initialise(template)
        db.close()
        _TEMPLATE.append(template)
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(_TEMPLATE[0] / DB_FILENAME, data_dir / DB_FILENAME)
    with sqlite3.connect(data_dir / DB_FILENAME) as conn:
        conn.execute("DELETE FROM sync_state WHERE key IN ('device_id', 'hlc_last')")
    db, _ = initialise(data_dir)
    return db


@pytest.fixture
def make_laptop(tmp_path: Path) -> Iterator[Callable[..., Laptop]]:
    made: list[Laptop] = []

    def make(transport: Transport, name: str | None = None) -> Laptop:
        data_dir = tmp_path / (name or f"laptop{len(made) + 1}")
        db = fresh_database(data_dir)
        laptop = Laptop(data_dir=data_dir, db=db, transport=transport, tokens=TokenStore(data_dir, db.device_id))
        made.append(laptop)
        return laptop

    yield make
    for laptop in made:
        laptop.db.close()
    learner.forget()


SEED_STAMP = "000000000000001:000000:server"  # older than every stamp a device makes


def seed_syllabus(server: Any, laptop: Laptop) -> None:
    """Give a FakeServer the laptop's syllabus, as a server that loaded the same bank."""
    from desktop_app.db.models import SYNCED_MODELS
    from desktop_app.db.serialize import content_fields
    with laptop.db.transaction() as s:
        for table in ("topics", "topic_prerequisites", "concepts", "questions"):
            model = SYNCED_MODELS[table]
            for row in s.scalars(select(model)):
                server.seed(table, row.id, {n: getattr(row, n) for n in content_fields(model)}, SEED_STAMP)


def sign_up(laptop: Laptop, username: str = "alice", *, server_url: str = "fake://server",
            role: str = "student") -> str:
    from sync_client import account
    from tests.sync_server.conftest import TEACHER_CODE
    return account.register(laptop.db, laptop.transport, laptop.tokens, server_url=server_url, username=username,
                            password=PASSWORD, role=role,
                            teacher_code=TEACHER_CODE if role == "teacher" else None).user_id


def signed_up(make: Callable[..., Laptop], url: str, name: str, role: str = "student") -> Laptop:
    """A new laptop (make_laptop) with an account of `role` on the real server at `url`."""
    from sync_client.transport import HttpTransport
    laptop = make(HttpTransport(url), name)
    sign_up(laptop, name, server_url=url, role=role)
    return laptop


def sign_in(laptop: Laptop, username: str = "alice", *, server_url: str = "fake://server") -> Any:
    from sync_client import account
    return account.login(laptop.db, laptop.transport, laptop.tokens, server_url=server_url, username=username,
                         password=PASSWORD)


@pytest.fixture
def server() -> FakeServer:
    """An in-memory sync server (sync_client.fake) for fast client tests."""
    return FakeServer()


def signed_up_with_syllabus(laptop: Laptop, server: FakeServer) -> Laptop:
    """`laptop` signed up as alice on the in-memory `server`, which holds the syllabus."""
    seed_syllabus(server, laptop)
    sign_up(laptop)
    return laptop


@pytest.fixture
def alice(server: FakeServer, make_laptop: Callable[..., Laptop]) -> Laptop:
    """A signed-up laptop of student alice on the in-memory server, with the syllabus."""
    return signed_up_with_syllabus(make_laptop(FakeTransport(server)), server)
