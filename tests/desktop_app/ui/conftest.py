"""GUI fixtures: a real MainWindow on a real SQLite file, settings and secrets in tmp_path."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop_app.credentials import SecretStore
from desktop_app.services import accounts, profile
from desktop_app.services.setup import initialise
from desktop_app.ui import qt_compat, signin
from desktop_app.ui.app import build_window
from desktop_app.ui.main_window import MainWindow


qt_compat.guard()  # PySide6 6.12.0 drops a reference to True on every emit (see qt_compat)


@pytest.fixture(autouse=True)
def _no_os_keyring() -> Iterator[None]:
    """Tests never touch the developer's real keyring: secrets go to the owner-only file."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    return SecretStore(tmp_path / "secrets.json")


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot: QtBot, data_dir: Path, settings: QSettings, secrets: SecretStore) -> Iterator:
    windows: list[MainWindow] = []

    def make(sync_factory: Any = None) -> MainWindow:
        """The app's window, started; `sync_factory` as build_window takes it (default: the app's)."""
        extra = {"sync_factory": sync_factory} if sync_factory is not None else {}
        window = build_window(data_dir, settings=settings, secrets=secrets, **extra)
        qtbot.addWidget(window)
        window.resize(1180, 760)
        window.show()
        window.activateWindow()
        qtbot.waitExposed(window)
        with qtbot.waitSignal(window.ready, timeout=20_000):
            window.start()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.runner.shutdown()
        if window.runner.db is not None:
            window.runner.db.close()


@pytest.fixture
def student(data_dir: Path, secrets: SecretStore) -> str:
    """A student with a profile who chose "keep me signed in": the app opens on Home."""
    db, _ = initialise(data_dir)
    try:
        with db.transaction() as s:
            acc = accounts.create_account(s, username="Mina", password="password-m")
            profile.save_profile(s, student_id=acc.id, grade="Year 11", target_exam="GCSE Mathematics",
                                 exam_date=date.today() + timedelta(days=45), hours_per_day=2.0, today=date.today())
            signin.keep_signed_in(s, store=secrets, device_id=db.device_id, user_id=acc.id, keep=True)
        return acc.id
    finally:
        db.close()


@pytest.fixture
def home_window(make_window, student: str, qtbot: QtBot) -> MainWindow:  # type: ignore[no-untyped-def]
    window = make_window()
    qtbot.waitUntil(lambda: window.workspace is not None and window.workspace.home.data is not None,
                    timeout=20_000)
    return window


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget
