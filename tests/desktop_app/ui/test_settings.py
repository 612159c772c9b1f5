"""Settings: saved exam details are what the plan follows, and the exam date is checked before saving."""
from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from desktop_app.db.models import StudentProfile, StudyPlan
from desktop_app.services import profile
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.settings import SettingsPage
from desktop_app.ui.workspace import HOME, PLAN, SETTINGS
from tests.desktop_app.ui.conftest import focused


def _open_settings(qtbot: QtBot, window: MainWindow) -> SettingsPage:
    page = window.workspace.settings
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        window.workspace.go(SETTINGS)
    return page


def _type_date(qtbot: QtBot, page: SettingsPage, text: str) -> None:
    field = page.profile.exam_date.edit
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)


def _stored_exam(window: MainWindow) -> date:
    with window.runner.db.transaction() as s:
        return s.scalar(select(StudentProfile.exam_date))


def test_saving_new_exam_details_re_plans_and_home_and_plan_show_it(qtbot: QtBot, home_window: MainWindow) -> None:
    ws = home_window.workspace
    assert ws.home.data.plan is not None  # Home made the plan for the first details (45 days, 2 h)
    page = _open_settings(qtbot, home_window)
    exam = date.today() + timedelta(days=17)
    _type_date(qtbot, page, f"{exam.day} {exam:%b} {exam.year}")
    page.profile.hours.setValue(3.0)
    with qtbot.waitSignal(page.profile_saved, timeout=20_000):
        qtbot.mouseClick(page.save_profile, Qt.MouseButton.LeftButton)
    assert page.profile_status.text() == "Saved. The plan follows these details from now on."
    with home_window.runner.db.transaction() as s:  # committed with the profile
        assert s.scalar(select(StudyPlan.exam_date)) == exam

    with qtbot.waitSignal(ws.home.loaded, timeout=20_000):
        ws.go(HOME)
    assert ws.home.days.text() == "17 days left"
    assert ws.home.data.plan.exam_date == exam and ws.home.data.today.items
    assert ws.home.plan_progress.isVisible() and "Nothing planned" not in ws.home.plan_items.text()

    with qtbot.waitSignal(ws.plan.loaded, timeout=20_000):
        ws.go(PLAN)
    assert ws.plan.summary.text().startswith("17 days until the exam")
    assert ws.plan.model.rowCount() == 17
    assert all(d.capacity_minutes == 180 for d in ws.plan.plan.days)


def test_a_typed_exam_date_keeps_its_day(qtbot: QtBot, home_window: MainWindow) -> None:
    page = _open_settings(qtbot, home_window)
    page.profile.exam.setFocus()
    qtbot.keyClick(page.profile.exam, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # "Exam &date"
    assert focused() is page.profile.exam_date.edit
    exam = date(date.today().year + 1, 12, 10)
    _type_date(qtbot, page, f"10 Dec {exam.year}")
    assert page.profile.exam_date.value() == exam
    with qtbot.waitSignal(page.profile_saved, timeout=20_000):
        page.save_profile.click()
    assert _stored_exam(home_window) == exam


def test_an_exam_date_that_is_not_a_date_or_has_passed_is_refused(qtbot: QtBot, home_window: MainWindow) -> None:
    page = _open_settings(qtbot, home_window)
    before = _stored_exam(home_window)
    error = page.profile.errors["exam_date"]
    _type_date(qtbot, page, "next Friday")
    page.save_profile.click()
    assert error.isVisible() and error.text().startswith("This is not a date. Type it like 10 Dec 2026")
    assert page.profile.exam_date.edit.text() == "next Friday"  # left as typed, for the student to correct
    yesterday = date.today() - timedelta(days=1)
    _type_date(qtbot, page, yesterday.isoformat())
    page.save_profile.click()
    assert error.isVisible() and "has passed" in error.text()
    page.profile.exam_date.edit.clear()
    page.save_profile.click()
    assert error.isVisible() and "Type the date of your exam" in error.text()
    assert _stored_exam(home_window) == before and page.profile_status.text() == "Not saved yet"


def test_an_exam_today_is_saved_only_when_asked_twice(qtbot: QtBot, home_window: MainWindow) -> None:
    page = _open_settings(qtbot, home_window)
    before = _stored_exam(home_window)
    error = page.profile.errors["exam_date"]
    _type_date(qtbot, page, date.today().isoformat())
    page.save_profile.click()
    assert error.isVisible()
    assert error.text() == ("Your exam is today? Then there is no day left to plan. "
                            "If that is right, press “Save exam details” again.")
    assert _stored_exam(home_window) == before
    with qtbot.waitSignal(page.profile_saved, timeout=20_000):
        page.save_profile.click()
    assert _stored_exam(home_window) == date.today()

    _type_date(qtbot, page, (date.today() + timedelta(days=2)).isoformat())
    page.save_profile.click()
    assert "Your exam is in 2 days" in error.text()


def _typed(day: date) -> str:
    return f"{day.day} {day:%b} {day.year}"


def test_enter_in_the_exam_card_saves_as_its_button_does(qtbot: QtBot, home_window: MainWindow) -> None:
    page = _open_settings(qtbot, home_window)
    exam = date.today() + timedelta(days=20)
    _type_date(qtbot, page, _typed(exam))
    with qtbot.waitSignal(page.profile_saved, timeout=20_000):
        qtbot.keyClick(page.profile.exam_date.edit, Qt.Key.Key_Return)
    assert _stored_exam(home_window) == exam
    assert page.profile_status.text() == "Saved. The plan follows these details from now on."

    # The other fields too, and an exam within 3 days is still saved only when asked twice.
    _type_date(qtbot, page, date.today().isoformat())
    page.profile.hours.setFocus()
    qtbot.keyClick(page.profile.hours, Qt.Key.Key_Enter)
    error = page.profile.errors["exam_date"]
    assert error.isVisible() and "press “Save exam details” again" in error.text()
    assert _stored_exam(home_window) == exam
    page.profile.exam.setFocus()
    with qtbot.waitSignal(page.profile_saved, timeout=20_000):
        qtbot.keyClick(page.profile.exam, Qt.Key.Key_Return)
    assert _stored_exam(home_window) == date.today()
    page.profile.grade.setFocus()
    qtbot.keyClicks(page.profile.grade, "x")
    with qtbot.waitSignal(page.profile_saved, timeout=20_000):
        qtbot.keyClick(page.profile.grade, Qt.Key.Key_Return)
    with home_window.runner.db.transaction() as s:
        assert s.scalar(select(StudentProfile.grade)) == "Year 11x"
    assert page.profile.grade.count() == 6  # Enter saves; it does not add what was typed to the list


def test_a_message_goes_as_soon_as_its_field_is_edited(qtbot: QtBot, home_window: MainWindow) -> None:
    page = _open_settings(qtbot, home_window)
    form = page.profile
    _type_date(qtbot, page, "tomorrow")
    page.save_profile.click()
    assert form.errors["exam_date"].isVisible()
    _type_date(qtbot, page, _typed(date.today() + timedelta(days=2)))
    assert not form.errors["exam_date"].isVisible()
    assert form.exam_date.edit.accessibleDescription() == ""  # a screen reader no longer reads it either

    form.exam.setFocus()
    form.exam.selectAll()
    qtbot.keyClick(form.exam, Qt.Key.Key_Delete)
    form.hours.setFocus()
    form.hours.selectAll()
    qtbot.keyClicks(form.hours, "0")
    form.grade.setFocus()
    form.grade.lineEdit().selectAll()
    qtbot.keyClicks(form.grade, "y" * 33)
    page.save_profile.click()
    assert all(form.errors[key].isVisible() for key in ("grade", "target_exam", "hours_per_day"))
    qtbot.keyClicks(form.exam, "A")
    assert not form.errors["target_exam"].isVisible() and form.errors["hours_per_day"].isVisible()
    form.hours.selectAll()
    qtbot.keyClicks(form.hours, "3")
    assert not form.errors["hours_per_day"].isVisible() and form.errors["grade"].isVisible()
    qtbot.keyClick(form.grade, Qt.Key.Key_Backspace)
    assert not form.errors["grade"].isVisible()


def test_unsaved_exam_details_are_kept_on_another_screen_and_said_to_be_unsaved(
        qtbot: QtBot, home_window: MainWindow, student: str) -> None:
    page = _open_settings(qtbot, home_window)
    form = page.profile
    saved_text = form.exam_date.edit.text()
    draft = _typed(date.today() + timedelta(days=30))
    _type_date(qtbot, page, draft)
    form.hours.setFocus()
    form.hours.selectAll()
    qtbot.keyClicks(form.hours, "3")
    assert page.profile_status.text() == "Not saved yet"
    qtbot.keyClick(home_window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert home_window.workspace.pages.currentWidget() is not page
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        qtbot.keyClick(home_window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert (form.exam_date.edit.text(), form.hours.value()) == (draft, 3.0)
    assert page.profile_status.text() == "Not saved yet" and page.profile_status.isVisible()

    # Typed back to what is saved: nothing is left unsaved.
    _type_date(qtbot, page, saved_text)
    form.hours.setFocus()
    form.hours.selectAll()
    qtbot.keyClicks(form.hours, "2")
    assert page.profile_status.text() == ""
    _type_date(qtbot, page, draft)
    with qtbot.waitSignal(page.profile_saved, timeout=20_000):
        page.save_profile.click()
    assert page.profile_status.text() == "Saved. The plan follows these details from now on."

    # An untouched form shows what another laptop saved (a sync) the next time it is shown.
    moved = date.today() + timedelta(days=12)
    with home_window.runner.db.transaction() as s:
        profile.save_profile(s, student_id=student, grade="Year 12", target_exam="A-level Mathematics",
                             exam_date=moved, hours_per_day=1.5, today=date.today())
    home_window.workspace.go(HOME)
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        home_window.workspace.go(SETTINGS)
    assert (form.grade.currentText(), form.exam.text(), form.exam_date.value(), form.hours.value()) == (
        "Year 12", "A-level Mathematics", moved, 1.5)
    assert page.profile_status.text() == ""


def _sync_from_another_laptop(window: MainWindow, student: str, exam: date) -> None:
    """What the sync worker does: commit the other laptop's profile here, then say so."""
    with window.runner.db.transaction() as s:
        profile.save_profile(s, student_id=student, grade="Year 11", target_exam="GCSE Mathematics",
                             exam_date=exam, hours_per_day=3.5, today=date.today())
    window.ctx.sync.data_changed.emit()


def test_settings_on_screen_shows_exam_details_a_sync_brought(
        qtbot: QtBot, home_window: MainWindow, student: str) -> None:
    page = _open_settings(qtbot, home_window)
    form = page.profile
    assert form.exam_date.value() == date.today() + timedelta(days=45) and not form.is_dirty()
    moved = date.today() + timedelta(days=12)
    with qtbot.waitSignal(page.loaded, timeout=10_000, raising=False):  # the values below say what is wrong
        _sync_from_another_laptop(home_window, student, moved)
    assert (form.exam_date.value(), form.hours.value()) == (moved, 3.5)
    assert not form.is_dirty() and page.profile_status.text() == ""


def test_a_sync_keeps_the_unsaved_exam_draft_and_the_sync_sign_in_being_typed(
        qtbot: QtBot, home_window: MainWindow, student: str) -> None:
    page = _open_settings(qtbot, home_window)
    form, card = page.profile, page.sync_card
    draft = _typed(date.today() + timedelta(days=30))
    _type_date(qtbot, page, draft)
    assert page.profile_status.text() == "Not saved yet"
    card.server.setFocus()
    qtbot.keyClicks(card.server, "https://sync.school.org")
    card.sync_password.setFocus()
    qtbot.keyClicks(card.sync_password, "half-typ")
    with qtbot.waitSignal(page.loaded, timeout=10_000):  # Settings did reload ...
        _sync_from_another_laptop(home_window, student, date.today() + timedelta(days=12))
    # ... and left the draft as typed, still said to be unsaved ...
    assert (form.exam_date.edit.text(), form.hours.value()) == (draft, 2.0)
    assert form.is_dirty() and page.profile_status.text() == "Not saved yet"
    # ... and the sign-in form too, with the keyboard where it was.
    assert (card.server.text(), card.sync_password.text()) == ("https://sync.school.org", "half-typ")
    assert focused() is card.sync_password and card.sync_password.cursorPosition() == len("half-typ")
    with qtbot.waitSignal(page.profile_saved, timeout=20_000):  # saving the draft still saves the draft
        page.save_profile.click()
    assert _stored_exam(home_window) == date.today() + timedelta(days=30)


def test_discarding_a_draft_shows_the_saved_details_including_those_a_sync_brought_meanwhile(
        qtbot: QtBot, home_window: MainWindow, student: str) -> None:
    page = _open_settings(qtbot, home_window)
    form = page.profile
    assert not page.discard_profile.isVisible()
    _type_date(qtbot, page, _typed(date.today() + timedelta(days=30)))
    assert page.discard_profile.isVisible() and page.profile_status.text() == "Not saved yet"
    moved = date.today() + timedelta(days=12)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        _sync_from_another_laptop(home_window, student, moved)
    assert form.is_dirty()  # the draft stayed through the sync

    page.discard_profile.click()
    qtbot.waitUntil(lambda: form.exam_date.value() == moved, timeout=10_000)
    assert form.hours.value() == 3.5 and not form.is_dirty()
    assert page.profile_status.text() == "" and not page.discard_profile.isVisible()
    assert _stored_exam(home_window) == moved  # discarding writes nothing

    _type_date(qtbot, page, _typed(date.today() + timedelta(days=20)))
    assert page.discard_profile.isVisible()
    _type_date(qtbot, page, _typed(moved))  # typed back to what is saved: nothing to discard
    assert not page.discard_profile.isVisible()
