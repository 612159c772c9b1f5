"""The Study plan on the day of the exam and after it: no countdown to zero, nothing "not enough"."""
from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from desktop_app.db.models import StudentProfile
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.plan import PlanPage
from desktop_app.ui.workspace import PLAN, SETTINGS


def _plan_for_an_exam_in(qtbot: QtBot, window: MainWindow, days: int) -> PlanPage:
    with window.runner.db.transaction() as s:
        s.scalar(select(StudentProfile)).exam_date = date.today() + timedelta(days=days)
    page = window.workspace.plan
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        window.workspace.go(PLAN)
    assert page.plan is not None and page.plan.days and page.replan_button.isVisible()
    return page


def _days_later(qtbot: QtBot, window: MainWindow, page: PlanPage, days: int) -> None:
    real_now = window.ctx.now()
    window.ctx.now = lambda: real_now + timedelta(days=days)
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.refresh()


def test_on_the_exam_day_the_plan_wishes_luck_and_keeps_the_days_before(qtbot: QtBot, home_window: MainWindow) -> None:
    page = _plan_for_an_exam_in(qtbot, home_window, 3)
    _days_later(qtbot, home_window, page, 3)  # the plan was made three days ago; today is the exam

    assert page.summary.text().startswith("GCSE Mathematics is today") and "Good luck" in page.summary.text()
    assert "0 days" not in page.summary.text()
    assert page.message.isVisible() and "light review of your strongest topics" in page.message.label.text()
    assert not page.statement.isVisible() and "Not enough time" not in page.message.label.text()
    assert not page.replan_button.isVisible()  # nothing is left to plan
    today = home_window.ctx.today()
    assert page.model.rowCount() == 3 and all(d.day < today for d in page.plan.days)  # the days before, as they were


def test_after_the_exam_the_plan_points_to_settings_for_the_next_date(qtbot: QtBot, home_window: MainWindow) -> None:
    page = _plan_for_an_exam_in(qtbot, home_window, 2)
    _days_later(qtbot, home_window, page, 4)

    assert "was on" in page.summary.text() and "Set the date of your next exam" in page.summary.text()
    assert page.message.isVisible() and "the exam date has passed" in page.message.label.text()
    assert "Settings" in page.message.label.text() and "Not enough time" not in page.message.label.text()
    assert not page.statement.isVisible() and not page.replan_button.isVisible()
    assert page.model.rowCount() == 0
    assert page.settings_button.isVisible()
    qtbot.mouseClick(page.settings_button, Qt.MouseButton.LeftButton)
    assert home_window.workspace.pages.currentIndex() == SETTINGS


def test_the_day_before_the_exam_is_one_day_on_both_screens(qtbot: QtBot, home_window: MainWindow) -> None:
    page = _plan_for_an_exam_in(qtbot, home_window, 1)
    assert page.summary.text().startswith("1 day until the exam · ")
    home = home_window.workspace.home
    with qtbot.waitSignal(home.loaded, timeout=20_000):
        home.refresh()
    assert home.days.text() == "1 day left"  # the plural form moved with the words Home and the plan share


def test_a_plan_far_below_the_hours_given_says_why(qtbot: QtBot, home_window: MainWindow) -> None:
    """2 h a day for half a year: the syllabus needs far less, spread evenly (30 of 120 minutes a
    day), which a student read as a plan that ignored their hours."""
    page = _plan_for_an_exam_in(qtbot, home_window, 194)
    today = home_window.ctx.today()
    coming = [d for d in page.plan.days if d.day >= today]
    planned, capacity = (sum(i.minutes for d in coming for i in d.items), sum(d.capacity_minutes for d in coming))
    assert planned < capacity / 2  # the case in point
    text = page.message.label.text()
    assert page.message.isVisible() and text.startswith("Everything fits, with time to spare")
    assert f"{planned / 60:.0f} of your {capacity / 60:.0f} hours" in text

    with home_window.runner.db.transaction() as s:  # short of time: the days are full, nothing to explain
        s.scalar(select(StudentProfile)).exam_date = today + timedelta(days=12)
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.refresh()
    assert page.plan.exam_date == today + timedelta(days=12) and not page.message.isVisible()
