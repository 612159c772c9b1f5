"""The task runner: one worker, in order, committed before the callback, results on the GUI thread."""
from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import SyncState
from desktop_app.ui.tasks import TaskRunner


@pytest.fixture
def runner(qtbot: QtBot, local_db: LocalDatabase):  # type: ignore[no-untyped-def]
    r = TaskRunner()
    r.db = local_db
    yield r
    r.shutdown()


def test_write_is_committed_before_the_callback_runs_on_the_gui_thread(qtbot: QtBot, runner: TaskRunner,
                                                                      local_db: LocalDatabase) -> None:
    seen: dict[str, object] = {}

    def op(session):  # type: ignore[no-untyped-def]
        seen["worker"] = threading.current_thread()
        session.add(SyncState(key="t", value="1"))
        return "done"

    def on_success(value: str) -> None:
        seen["gui"] = threading.current_thread()
        with local_db.transaction() as s:  # another connection sees the committed row
            seen["row"] = s.scalar(select(SyncState.value).where(SyncState.key == "t"))
        seen["value"] = value

    with qtbot.waitSignal(runner.changed), qtbot.waitSignal(runner.finished):
        runner.write(op, on_success=on_success)
    assert seen["value"] == "done" and seen["row"] == "1"
    assert seen["gui"] is threading.main_thread() and seen["worker"] is not threading.main_thread()


def test_tasks_run_one_at_a_time_in_order_and_failures_reach_their_handler(qtbot: QtBot, runner: TaskRunner) -> None:
    order: list[int] = []
    errors: list[Exception] = []
    threads: set[int] = set()

    def op(i: int):  # type: ignore[no-untyped-def]
        def run(_session):  # type: ignore[no-untyped-def]
            threads.add(threading.get_ident())
            if i == 3:
                raise ValueError("three")
            return i
        return run

    for i in range(6):
        runner.query(op(i), on_success=order.append, on_failure=errors.append)
    qtbot.waitUntil(lambda: len(order) + len(errors) == 6)
    assert order == [0, 1, 2, 4, 5] and [str(e) for e in errors] == ["three"]
    assert len(threads) == 1


def test_progress_reaches_the_gui_thread(qtbot: QtBot, runner: TaskRunner) -> None:
    reports: list[tuple[int, threading.Thread]] = []
    report = runner.progress(lambda n: reports.append((n, threading.current_thread())))

    def op() -> None:
        for n in range(3):
            report(n)

    with qtbot.waitSignal(runner.finished):
        runner.run(op)
    assert [n for n, _ in reports] == [0, 1, 2]
    assert all(t is threading.main_thread() for _, t in reports)


def test_a_failed_write_rolls_back(qtbot: QtBot, runner: TaskRunner, local_db: LocalDatabase) -> None:
    def op(session):  # type: ignore[no-untyped-def]
        session.add(SyncState(key="half", value="x"))
        session.flush()
        raise RuntimeError("boom")

    errors: list[Exception] = []
    with qtbot.waitSignal(runner.finished):
        runner.write(op, on_failure=errors.append)
    assert str(errors[0]) == "boom"
    with local_db.transaction() as s:
        assert s.get(SyncState, "half") is None


def test_results_for_a_deleted_screen_are_dropped(qtbot: QtBot, runner: TaskRunner) -> None:
    import shiboken6
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    go = threading.Event()
    with qtbot.waitSignal(runner.finished):
        runner.query(lambda _s: go.wait(10) and "late", on_success=label.setText)
        shiboken6.delete(label)  # the screen closes while its task runs (GUI thread)
        go.set()
    assert not shiboken6.isValid(label)
