"""A laptop whose date was far ahead, against the REAL server, once its date is right again.

The server refuses stamps more than a day ahead of its clock (clock_ahead); the laptop
stamps those changes again once its date is right (sync_client/clock_repair.py). These are
the ways that could go wrong: a conflict with another laptop, stamps that other laptops
wrote, a student saving while the repair runs, a batch still on its way.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.db.models import SyncOperation
from sync_client import clock_repair
from sync_client.engine import SyncConfig
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

    def racing(*args: Any) -> None:  # the student saves on the GUI thread while the repair runs
        if not saving:
            saving.append(threading.Thread(target=lambda: a.edit_profile(target_exam="new, typed after the fix")))
            saving[0].start()
            time.sleep(0.5)
        original(*args)

    monkeypatch.setattr(clock_repair, "_restamp_rows", racing)
    a.sync()
    saving[0].join()
    monkeypatch.setattr(clock_repair, "_restamp_rows", original)
    for lap in (a, a, b):
        lap.sync()
    assert exam(a) == exam(b) == "new, typed after the fix"
    assert not failed(a)


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
