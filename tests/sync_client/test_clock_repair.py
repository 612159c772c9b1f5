"""A laptop whose date was far ahead, against the REAL server, once its date is right again.

The server refuses stamps more than a day ahead of its clock (clock_ahead); the laptop
stamps those changes again once its date is right (sync_client/clock_repair.py). These are
the ways that could go wrong: a conflict with another laptop, stamps that other laptops
wrote, a student saving while the repair runs, a batch still on its way.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import StudentProfile, SyncOperation
from desktop_app.db.session import DB_FILENAME, make_engine, sqlite_url
from sync_client import clock_repair
from sync_client.engine import SyncConfig
from sync_client.errors import PayloadTooLarge
from tests.sync_client.conftest import Laptop, sign_in, sign_up
from tests.sync_client.live import FaultyHttp, LiveServer

pytestmark = pytest.mark.postgres
HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS


def real() -> int:
    return time.time_ns() // 1_000_000


@pytest.fixture
def laptop(live: LiveServer, make_laptop: Callable[..., Laptop]) -> Callable[..., Laptop]:
    def make(name: str | None = None) -> Laptop:
        return make_laptop(FaultyHttp(live.url, retries=0), name)
    return make


def failed(lap: Laptop) -> list[Any]:
    with lap.db.transaction() as s:
        return s.execute(select(SyncOperation.table_name, SyncOperation.last_error)
                         .where(SyncOperation.status == "failed")).all()


def exam(lap: Laptop) -> str:
    return lap.snapshot()["profile"][0][2]


def two_laptops(laptop: Callable[..., Laptop]) -> tuple[Laptop, Laptop]:
    a, b = laptop("a"), laptop("b")
    sign_up(a, server_url=live_url(a))
    a.edit_profile(target_exam="base")
    a.sync()
    sign_in(b, server_url=live_url(a))
    b.sync()
    return a, b


def live_url(lap: Laptop) -> str:
    return lap.transport.base_url  # type: ignore[attr-defined]


def test_a_conflict_while_the_date_was_wrong_ends_the_same_on_both_laptops(laptop: Callable[..., Laptop]) -> None:
    a, b = two_laptops(laptop)
    a.set_wall_clock(lambda: real() + 365 * DAY_MS)
    a.edit_profile(target_exam="A, typed with the wrong date")
    assert {r.reason.split(":")[0] for r in a.sync().rejected} == {"clock_ahead"}
    b.edit_profile(target_exam="B, later")
    assert not b.sync().rejected
    a.sync()  # pulls B's edit, which loses here to A's year-ahead stamp
    a.set_wall_clock(lambda: real() - 10 * 60 * 1000)  # the date put right, 10 minutes slow
    for lap in (a, b, a, b):
        assert not lap.sync().rejected
    assert exam(a) == exam(b) == "A, typed with the wrong date"  # sent last, after seeing B's


def test_stamps_other_laptops_wrote_are_kept_and_a_later_edit_still_wins(laptop: Callable[..., Laptop]) -> None:
    a, b = two_laptops(laptop)
    a.set_wall_clock(lambda: real() + 365 * DAY_MS)
    a.answer(1)
    assert a.sync().rejected
    b.set_wall_clock(lambda: real() + 20 * HOUR_MS)  # 20 hours fast: the server accepts it
    b.edit_profile(target_exam="B, 20 hours fast")
    assert not b.sync().rejected
    a.sync()  # the date still wrong: pulls B's row
    a.set_wall_clock(lambda: real() - 5 * HOUR_MS)  # the date put right, 5 hours slow
    a.sync()
    a.edit_profile(target_exam="A, after seeing B")  # made after seeing B's: must win
    for lap in (a, b, a):
        assert not lap.sync().rejected
    assert exam(a) == exam(b) == "A, after seeing B"


def test_an_edit_saved_while_the_repair_runs_wins_over_the_older_one(
        laptop: Callable[..., Laptop], monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = two_laptops(laptop)
    a.set_wall_clock(lambda: real() + 365 * DAY_MS)
    a.edit_profile(target_exam="old, typed with the wrong date")
    assert a.sync().rejected
    a.set_wall_clock(real)
    original = clock_repair._restamp_rows
    saving: list[threading.Thread] = []
    errors: list[Exception] = []

    def save() -> None:
        try:
            a.edit_profile(target_exam="new, typed after the fix", grade="Year 11")
        except Exception as exc:  # noqa: BLE001 (reported by the test)
            errors.append(exc)

    def racing(*args: Any) -> None:  # the student saves on the GUI thread while the repair runs
        if not saving:
            saving.append(threading.Thread(target=save))
            saving[0].start()
            time.sleep(0.5)
        original(*args)

    monkeypatch.setattr(clock_repair, "_restamp_rows", racing)
    a.sync()
    saving[0].join()
    monkeypatch.setattr(clock_repair, "_restamp_rows", original)
    a.edit_profile(target_exam="newer still")  # right after: wins over both
    for lap in (a, a, b, a):
        lap.sync()
    assert not errors
    assert exam(a) == exam(b) == "newer still"
    with a.db.transaction() as s:
        stamps = s.scalar(select(StudentProfile.field_stamps).where(StudentProfile.user_id == a.user_id))
    assert max(stamps.values()) < f"{real() + DAY_MS:015d}"  # none left a year ahead
    assert a.snapshot()["profile"][0][1] == b.snapshot()["profile"][0][1] == "Year 11"
    assert not failed(a)
    b.edit_profile(grade="Year 12")  # no field keeps a year-ahead stamp on a
    for lap in (b, a):
        lap.sync()
    assert a.snapshot()["profile"] == b.snapshot()["profile"]
    assert a.snapshot()["profile"][0][1] == "Year 12"


def test_a_change_refused_a_little_more_than_a_day_ahead_is_sent_again(laptop: Callable[..., Laptop]) -> None:
    a, b = two_laptops(laptop)
    a.set_wall_clock(lambda: real() + DAY_MS + 3000)  # 24 hours and 3 seconds fast
    a.edit_profile(target_exam="typed a day and 3 seconds ahead")
    assert {r.reason.split(":")[0] for r in a.sync().rejected} == {"clock_ahead"}
    time.sleep(4)  # the server now takes that stamp
    a.set_wall_clock(real)
    for lap in (a, b):
        lap.sync()
    assert not failed(a)
    assert exam(a) == exam(b) == "typed a day and 3 seconds ahead"


def test_a_change_set_aside_for_another_reason_does_not_make_the_round_loop(
        laptop: Callable[..., Laptop], monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = two_laptops(laptop)
    a.set_wall_clock(lambda: real() + 365 * DAY_MS)
    pushes: list[int] = []
    push = FaultyHttp.push

    def capped(self: Any, token: str, *, device_id: str, ops: list[dict[str, Any]]) -> Any:
        pushes.append(len(ops))
        if any(op["payload"].get("target_exam") == "HUGE" for op in ops):
            raise PayloadTooLarge("request bodies are limited to 1 MB")  # a proxy in front of the server
        return push(self, token, device_id=device_id, ops=ops)

    monkeypatch.setattr(FaultyHttp, "push", capped)
    a.edit_profile(target_exam="HUGE")  # set aside as too_large, stamped a year ahead
    a.sync()
    a.edit_profile(grade="Year 10")  # typed after it, the date still wrong
    a.sync()
    a.set_wall_clock(real)
    pushes.clear()
    deadline = time.monotonic() + 8
    assert not a.synchronizer().run(should_stop=lambda: time.monotonic() > deadline).stopped
    assert len(pushes) <= 2
    assert [row[0] for row in failed(a)] == ["student_profiles"]  # the too-large one, still shown
    b.sync()
    assert b.snapshot()["profile"][0][1] == "Year 10"


def test_after_a_restart_the_clock_stays_set_back(laptop: Callable[..., Laptop]) -> None:
    a, b = two_laptops(laptop)
    a.set_wall_clock(lambda: real() + 365 * DAY_MS)
    a.edit_profile(target_exam="typed with the wrong date")
    a.answer(3)
    assert a.sync().rejected
    a.set_wall_clock(real)
    a.sync()
    a.db.close()
    a.db = LocalDatabase(make_engine(sqlite_url(a.data_dir)))  # the app is closed and opened again
    assert a.db.clock.last < f"{real() + DAY_MS:015d}"


def test_a_batch_on_its_way_during_the_repair_is_sent_again_not_set_aside(laptop: Callable[..., Laptop]) -> None:
    a = laptop("a")
    a.config = SyncConfig(push_max_ops=2)  # three batches of new attempts: two travel at once
    sign_up(a, server_url=live_url(a))
    a.sync()
    a.set_wall_clock(lambda: real() + 365 * DAY_MS)
    a.answer(6)  # offline while the date is wrong
    a.set_wall_clock(real)  # and the date put right before going online
    a.sync()
    a.sync()
    assert not failed(a) and a.pending() == 0
    assert len(a.snapshot()["attempts"]) == 6


def test_a_database_from_before_pulled_stamps_were_kept_learns_them_from_its_rows(
        laptop: Callable[..., Laptop]) -> None:
    a, b = two_laptops(laptop)
    a.set_wall_clock(lambda: real() + 365 * DAY_MS)
    a.answer(1)
    assert a.sync().rejected
    b.set_wall_clock(lambda: real() + 20 * HOUR_MS)
    b.edit_profile(target_exam="B, 20 hours fast")
    assert not b.sync().rejected
    a.sync()  # pulls B's row
    a.db.close()
    with sqlite3.connect(a.data_dir / DB_FILENAME) as conn:  # as an older version left it
        conn.execute("DELETE FROM sync_state WHERE key = 'hlc_received'")
    a.db = LocalDatabase(make_engine(sqlite_url(a.data_dir)))  # the new version starts
    a.set_wall_clock(lambda: real() - 5 * HOUR_MS)  # the date put right, 5 hours slow
    a.sync()
    a.edit_profile(target_exam="A, after seeing B")
    for lap in (a, b, a):
        assert not lap.sync().rejected
    assert exam(a) == exam(b) == "A, after seeing B"


def test_answers_given_while_the_date_was_wrong_are_dated_when_they_are_sent(laptop: Callable[..., Laptop]) -> None:
    from datetime import datetime, timedelta, timezone

    from desktop_app.db.models import ConceptMastery, QuestionAttempt
    a, b = two_laptops(laptop)
    a.set_wall_clock(lambda: real() + 365 * DAY_MS)
    a.answer(3, at=datetime.now(timezone.utc) + timedelta(days=365))  # the app's date: a year ahead
    assert a.sync().rejected
    a.set_wall_clock(real)
    fixed = datetime.now(timezone.utc)
    assert not a.sync().rejected
    b.sync()
    for lap in (a, b):
        with lap.db.transaction() as s:
            when = s.scalars(select(QuestionAttempt.timestamp)).all()
            practised = s.scalars(select(ConceptMastery.last_practised_at)).all()
        assert len(when) == 3 and all(fixed - timedelta(minutes=1) < t < fixed + timedelta(minutes=1) for t in when)
        assert practised and max(practised) < fixed + timedelta(minutes=1)  # mastery counts them as given now
