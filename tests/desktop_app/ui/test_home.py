"""Home on the day of the exam and after it: no countdown that is not one."""
from __future__ import annotations

from datetime import date, timedelta

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from desktop_app.db.models import StudentProfile
from desktop_app.ui.main_window import MainWindow


def _exam_on(qtbot: QtBot, window: MainWindow, day: date) -> None:
    with window.runner.db.transaction() as s:
        s.scalar(select(StudentProfile)).exam_date = day
    with qtbot.waitSignal(window.workspace.home.loaded, timeout=20_000):
        window.workspace.home.refresh()


def test_exam_day_says_so_and_plans_nothing(qtbot: QtBot, home_window: MainWindow) -> None:
    home = home_window.workspace.home
    _exam_on(qtbot, home_window, date.today())
    assert home.days.text() == "Exam day"
    assert home.exam_line.text().startswith("GCSE Mathematics is today") and "until" not in home.exam_line.text()
    assert home.plan_items.text().startswith("Nothing new is planned on the day of the exam")
    assert not home.set_exam.isVisible()


def test_a_passed_exam_date_asks_for_the_next_one(qtbot: QtBot, home_window: MainWindow) -> None:
    home = home_window.workspace.home
    _exam_on(qtbot, home_window, date.today() - timedelta(days=2))
    assert home.days.text() == "Exam date passed"
    assert "Set the date of your next exam" in home.exam_line.text()
    assert home.plan_items.text().startswith("No plan: the exam date has passed.")
    assert home.set_exam.isVisible()
