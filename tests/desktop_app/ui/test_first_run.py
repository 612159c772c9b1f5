"""A new student's first minutes, by keyboard alone, checked in the database afterwards."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from desktop_app.db.models import ConceptMastery, QuestionAttempt, StudentProfile, SyncOperation, SyncState, User
from tests.desktop_app.ui.conftest import focused

EXAM = date(date.today().year + 1, 12, 10)


def press(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(focused(), key, modifier)


def type_text(qtbot: QtBot, text: str) -> None:
    qtbot.keyClicks(focused(), text)


def test_first_run_account_profile_and_first_answer_by_keyboard(qtbot: QtBot, make_window, secrets) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    assert window.pages.currentWidget() is window.first_run
    page = window.first_run
    qtbot.waitUntil(lambda: focused() is page.username)

    type_text(qtbot, "Asha")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "short")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "short")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.password_error.isVisible())
    assert "at least 8" in page.password_error.text()
    assert focused() is page.password

    page.password.selectAll()
    type_text(qtbot, "correct horse")
    press(qtbot, Qt.Key.Key_Tab)
    page.confirm.selectAll()
    type_text(qtbot, "correct horse")
    press(qtbot, Qt.Key.Key_Tab)  # role: Student
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is page.keep
    press(qtbot, Qt.Key.Key_Space)
    assert page.keep.isChecked()
    press(qtbot, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: window.profile_page is not None and window.pages.currentWidget() is window.profile_page)
    form = window.profile_page.form
    qtbot.waitUntil(lambda: focused() is form.exam)
    press(qtbot, Qt.Key.Key_Return)  # empty exam: message next to the field
    assert form.errors["target_exam"].isVisible()
    type_text(qtbot, "GCSE Mathematics")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is form.exam_date.edit
    assert form.exam_date.edit.text() == ""  # no made-up default: the student says when
    type_text(qtbot, f"10 dec {EXAM.year}")
    press(qtbot, Qt.Key.Key_Tab)
    assert form.exam_date.edit.text() == f"10 Dec {EXAM.year}"  # shown back as understood
    assert focused() is form.hours
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "0")
    press(qtbot, Qt.Key.Key_Return)
    assert form.errors["hours_per_day"].isVisible()
    assert not form.errors["target_exam"].isVisible()
    assert focused() is form.hours
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "3")
    press(qtbot, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: window.workspace is not None and window.workspace.home.data is not None, timeout=20_000)
    workspace = window.workspace
    assert workspace.home.data.view.target_exam == "GCSE Mathematics"

    practice = workspace.practice
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: practice.isVisible() and practice.current is not None, timeout=20_000)
    qtbot.waitUntil(lambda: focused() in (practice.number, *practice.choices.buttons()))
    assert practice.timer_label.text().startswith("0:0")  # timed from when it is seen
    question = practice.current.question
    if question.type == "mcq":
        press(qtbot, Qt.Key.Key_1)
    elif question.type == "true_false":
        press(qtbot, Qt.Key.Key_T)
    else:
        assert focused() is practice.number
        type_text(qtbot, "3,5")
    with qtbot.waitSignal(practice.feedback_shown, timeout=20_000):
        press(qtbot, Qt.Key.Key_Return)
    fb = practice.feedback
    assert practice.result.isVisible()
    assert fb.correct_answer in practice.correct_answer.text()
    assert "→" in practice.mastery.text()
    qtbot.waitUntil(lambda: practice.upcoming is not None, timeout=20_000)
    assert practice.up_next.text().startswith("Up next:")

    db = window.runner.db
    with db.transaction() as s:
        user = s.scalar(select(User).where(User.username == "Asha"))
        assert user.password_hash.startswith("$argon2id$")
        attempts = list(s.scalars(select(QuestionAttempt).where(QuestionAttempt.student_id == user.id)))
        assert len(attempts) == 1 and attempts[0].question_id == question.id
        assert attempts[0].confidence is None
        mastery = s.scalar(select(ConceptMastery).where(ConceptMastery.student_id == user.id,
                                                        ConceptMastery.concept_id == question.concept_id))
        assert mastery is not None and mastery.total_attempts == 1
        queued = dict(s.execute(select(SyncOperation.table_name, func.count()).group_by(SyncOperation.table_name)).all())
        assert queued.get("question_attempts") == 1
        assert queued.get("student_profiles") == 1
        assert s.scalar(select(StudentProfile.available_hours_per_day)) == 3.0
        assert s.scalar(select(StudentProfile.exam_date)) == EXAM
        # keep me signed in: the secret is in the store, only a hash in the database
        stored = [row.value for row in s.scalars(select(SyncState))]
    secret = secrets.get(f"remember/{db.device_id}/{user.id}")
    assert secret and secret not in stored

    with qtbot.waitSignal(practice.question_shown, timeout=20_000):
        press(qtbot, Qt.Key.Key_Return)  # Enter again: the next question
    assert practice.current.question.id != question.id
    assert "change" in window.sync_status.text()


def test_a_new_teacher_skips_the_exam_step(qtbot: QtBot, make_window, secrets) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    page = window.first_run
    qtbot.waitUntil(lambda: focused() is page.username)
    type_text(qtbot, "Mr Smith")
    for field in (page.password, page.confirm):
        field.setText("correct horse")
    page.role.setCurrentIndex(page.role.findData("teacher"))
    with qtbot.waitSignal(window.workspace_ready, timeout=20_000):
        page.accept()
    assert window.profile_page is None and window.pages.currentWidget() is window.workspace
    ws = window.workspace
    assert ws.pages.currentWidget() is ws.classes  # a teacher opens on their Classes
    shown = [ws.nav.item(i).text() for i in range(ws.nav.count()) if not ws.nav.item(i).isHidden()]
    assert shown == ["Practice", "Syllabus", "Settings", "Classes"]  # no countdown, no study plan
    qtbot.keyClick(ws, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)  # Ctrl+number: the entries shown
    assert ws.pages.currentWidget() is ws.settings
    qtbot.waitUntil(lambda: ws.settings.who.isVisible())
    assert ws.settings.exam_card is None and ws.settings.profile is None  # no "Your exam" card either
    with window.ctx.runner.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(StudentProfile)) == 0
