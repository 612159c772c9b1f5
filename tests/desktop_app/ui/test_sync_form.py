"""Settings → Sync: every field checked before anything is sent; old messages cleared."""
from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.ui.sync_adapter import ServiceSyncController
from desktop_app.ui.sync_form import SyncCard, problems
from desktop_app.ui.workspace import SETTINGS
from tests.desktop_app.ui.fake_sync import FakeService


@pytest.fixture
def fake() -> FakeService:
    return FakeService()


@pytest.fixture
def card(qtbot: QtBot, make_window: Any, student: str, fake: FakeService) -> SyncCard:
    window = make_window(lambda db, folder: ServiceSyncController(fake))
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=20_000)
    window.workspace.go(SETTINGS)
    return window.workspace.settings.sync_card


def test_problems_of_a_form() -> None:
    assert problems(server_url="", username="", password="") == {
        "server": "server_empty", "username": "username_empty", "password": "password_empty"}
    assert problems(server_url="sync.school.org", username="m", password="p") == {"server": "server_scheme"}
    assert problems(server_url="https://", username="m", password="p") == {"server": "server_incomplete"}
    assert problems(server_url="https://sync school.org", username="m", password="p") == {
        "server": "server_incomplete"}
    assert problems(server_url=" https://sync.school.org ", username=" mina ", password="p") == {}


def test_an_empty_form_sends_nothing_and_says_what_is_missing(card: SyncCard, fake: FakeService) -> None:
    card.server.clear()
    card.sync_user.clear()
    card.sync_in.click()
    assert fake.requests == []
    for error in (card.server_error, card.user_error, card.password_error):
        assert error.isVisible() and error.text()
    assert "https://" in card.server_error.text()
    assert card.sync_message.text() == ""
    assert card.server.hasFocus()


def test_a_new_attempt_clears_what_the_last_one_said(card: SyncCard, fake: FakeService) -> None:
    card._say("Cannot reach the sync server. Check the address and your connection.")
    card.server.setText("sync.school.org")
    card.sync_user.setText("mina")
    card.sync_password.setText("password-m")
    card.sync_in.click()
    assert card.server_error.text().startswith("The address starts with https://")
    assert card.sync_message.text() == "" and not card.sync_message.isVisible()  # not the old failure, no gap
    assert not card.user_error.isVisible() and not card.password_error.isVisible()
    card.server.setText("https://sync.school.org")
    card.sync_in.click()
    assert not card.server_error.isVisible()
    assert fake.requests == [("sign_in", {"server_url": "https://sync.school.org", "username": "mina",
                                       "password": "password-m"})]
    assert card.sync_message.text() == "Signing in…"


def test_a_failure_reported_by_sync_is_shown(card: SyncCard, fake: Any) -> None:
    fake.action_failed.emit("This is not a sync server address: it looks like https://sync.school.org.")
    assert card.sync_message.text().startswith("This is not a sync server address")


def _fill(card: SyncCard) -> None:
    card.server.setText("https://sync.school.org")
    card.sync_user.setText("mina")
    card.sync_password.setText("password-m")


def test_an_unreachable_server_keeps_the_password(card: SyncCard, fake: FakeService) -> None:
    _fill(card)
    card.sync_in.click()
    assert card.sync_password.text() == "password-m"  # not wiped while the outcome is unknown
    assert not card.sync_in.isEnabled()
    fake.sign_in_failed.emit("unreachable", "Cannot reach the sync server. Check the address and your connection.")
    assert card.sync_password.text() == "password-m"
    assert card.sync_message.text().startswith("Cannot reach the sync server")
    assert card.sync_in.isEnabled()
    card.sync_in.click()  # the retry needs no retyping
    assert [kw["password"] for _, kw in fake.requests] == ["password-m", "password-m"]
    fake.signed_in = True
    fake.signed_in_changed.emit(True)  # success: now it goes
    assert card.sync_password.text() == "" and card.sync_message.text() == ""


def test_a_wrong_password_is_cleared_and_said_under_it(card: SyncCard, fake: FakeService) -> None:
    _fill(card)
    card.sync_in.click()
    fake.sign_in_failed.emit("wrong_credentials", "Wrong user name or password.")
    assert card.sync_password.text() == ""
    assert card.password_error.text() == "Wrong user name or password."
    assert card.sync_message.text() == ""


def test_the_message_has_the_full_width_of_the_card(card: SyncCard, fake: FakeService, qtbot: QtBot) -> None:
    _fill(card)
    card.sync_in.click()
    fake.sign_in_failed.emit("unreachable", "Cannot reach the sync server. Check the address and your connection.")
    qtbot.waitUntil(lambda: card.sync_message.isVisible())
    message, button = card.sync_message.geometry(), card.sync_in.geometry()
    assert message.top() > button.bottom()  # below the buttons, not squeezed beside them
    assert message.width() >= card.contentsRect().width() * 0.8
    line = card.sync_message.fontMetrics().height()
    assert message.height() < 2 * line  # one line at this width


def test_a_new_account_is_created_from_the_form(card: SyncCard, fake: FakeService) -> None:
    assert not card.confirm.isVisibleTo(card) and not card.role.isVisibleTo(card)
    card.create.setChecked(True)
    assert card.confirm.isVisibleTo(card) and card.role.isVisibleTo(card)
    assert not card.teacher_code.isVisibleTo(card)  # students need no code
    assert card.sync_in.text() == "Create account and sign in"
    card.server.setText("https://sync.school.org")
    card.sync_user.setText("m")
    card.sync_password.setText("short")
    card.confirm.setText("other")
    card.sync_in.click()
    assert fake.requests == []
    assert card.user_error.text().startswith("A user name on the server has 3 to 64")
    assert card.password_error.text() == "Use at least 8 characters."
    assert card.confirm_error.text() == "The two passwords are different."
    card.sync_user.setText("mina")
    card.sync_password.setText("password-m")
    card.confirm.setText("password-m")
    card.sync_in.click()
    assert fake.requests == [("register", {"server_url": "https://sync.school.org", "username": "mina",
                                        "password": "password-m", "role": "student", "teacher_code": ""})]
    assert card.sync_message.text() == "Creating your account…"
    fake.sign_in_failed.emit("username_taken", "This user name is taken. Choose another one, or sign in.")
    assert card.user_error.text().startswith("This user name is taken")
    assert card.sync_password.text() == "password-m"  # kept: only the name must change


def test_a_teacher_account_needs_the_teacher_code(card: SyncCard, fake: FakeService) -> None:
    card.create.setChecked(True)
    card.role.setCurrentIndex(card.role.findData("teacher"))
    assert card.teacher_code.isVisibleTo(card)
    card.server.setText("https://sync.school.org")
    card.sync_user.setText("ms-a")
    card.sync_password.setText("password-a")
    card.confirm.setText("password-a")
    card.sync_in.click()
    assert fake.requests == [] and "teacher code" in card.teacher_code_error.text()
    card.teacher_code.setText("wrong-code")
    card.sync_in.click()
    assert fake.requests[-1] == ("register", {"server_url": "https://sync.school.org", "username": "ms-a",
                                           "password": "password-a", "role": "teacher",
                                           "teacher_code": "wrong-code"})
    fake.sign_in_failed.emit("teacher_code", "This is not the teacher code of this server. Ask whoever runs it.")
    assert card.teacher_code.text() == "" and card.teacher_code_error.text().startswith("This is not the teacher")
    fake.signed_in = True
    fake.signed_in_changed.emit(True)
    assert not card.create.isChecked() and card.sync_in.text() == "Sign in to sync"


def test_a_student_creates_a_server_account_from_settings(qtbot: QtBot, live: Any, make_window: Any,
                                                          student: str) -> None:
    """The real sync worker against the real server: a wrong teacher code, then a student account."""
    from desktop_app.ui.sync_adapter import service_controller

    window = make_window(service_controller)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=20_000)
    window.workspace.go(SETTINGS)
    card = window.workspace.settings.sync_card
    card.server.setText(live.url)
    card.sync_user.setText("Mina")
    card.sync_password.setText("password-m")
    card.create.setChecked(True)
    card.confirm.setText("password-m")
    card.role.setCurrentIndex(card.role.findData("teacher"))
    card.teacher_code.setText("not-the-code")
    card.sync_in.click()
    qtbot.waitUntil(lambda: card.teacher_code_error.isVisible(), timeout=20_000)
    assert card.teacher_code_error.text().startswith("This is not the teacher code")
    card.role.setCurrentIndex(card.role.findData("student"))
    with qtbot.waitSignal(window.ctx.sync.signed_in_changed, timeout=20_000):
        card.sync_in.click()
    assert window.ctx.sync.signed_in
    assert card.sync_note.text().startswith("Signed in")
    assert card.sync_password.text() == "" and not card.create.isChecked()
    window.close()
    window.runner.shutdown()
    window.runner.db.close()


def test_creating_the_server_account_starts_from_the_local_accounts_role(card: SyncCard, qtbot: QtBot) -> None:
    assert card.role.currentData() == "student"
    teachers = SyncCard(card._ctx, role="teacher")  # a teacher's Settings
    qtbot.addWidget(teachers)
    assert teachers.role.currentData() == "teacher"  # keeping the default does not make them a student
