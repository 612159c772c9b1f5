"""An unexpected error shows one dialog with the details, a working "Copy details" and the log's path."""
from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from desktop_app import logging_setup
from desktop_app.ui.error_dialog import ErrorReporter, install_error_dialog


@pytest.fixture
def reporter(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ErrorReporter]:
    monkeypatch.setitem(logging_setup._state, "file", tmp_path / "adaptive-learning.log")
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    hooks = sys.excepthook, threading.excepthook
    try:
        yield install_error_dialog(window)
    finally:
        sys.excepthook, threading.excepthook = hooks


def _raise(message: str) -> tuple[type[BaseException], BaseException, object]:
    try:
        raise KeyError(message)
    except KeyError:
        return sys.exc_info()  # type: ignore[return-value]


def test_an_uncaught_error_opens_the_dialog_and_copy_puts_the_details_on_the_clipboard(
        qtbot: QtBot, reporter: ErrorReporter, tmp_path: Path) -> None:
    sys.excepthook(*_raise("question 42"))
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    dialog = reporter.dialog
    assert dialog is not None
    assert "your saved work is safe" in dialog.message.text() and "KeyError: 'question 42'" in dialog.message.text()
    assert str(tmp_path / "adaptive-learning.log") in dialog.log_label.text()
    assert "Traceback (most recent call last)" in dialog.details.toPlainText()

    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert "KeyError: 'question 42'" in copied and "in _raise" in copied
    assert str(tmp_path / "adaptive-learning.log") in copied and "Python " in copied
    assert dialog.copied.text() == "The details are on the clipboard."

    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_more_errors_join_the_open_dialog_instead_of_piling_up(qtbot: QtBot, reporter: ErrorReporter) -> None:
    for n in range(3):
        sys.excepthook(*_raise(f"repeat {n}"))
    qtbot.waitUntil(lambda: reporter.dialog is not None and len(reporter.dialog.errors) == 3)
    dialog = reporter.dialog
    assert dialog is not None
    assert "3 unexpected errors happened" in dialog.message.text() and "repeat 0" in dialog.message.text()
    assert "repeat 2" in dialog.details.toPlainText()
    dialogs = [w for w in QGuiApplication.topLevelWindows() if w.isVisible() and w.title() == "Something went wrong"]
    assert len(dialogs) == 1


def test_an_error_on_another_thread_is_shown_on_the_gui_thread(qtbot: QtBot, reporter: ErrorReporter) -> None:
    def fail() -> None:
        raise ValueError("the sync worker tripped")

    worker = threading.Thread(target=fail, name="sync")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    assert reporter.dialog is not None
    assert "ValueError: the sync worker tripped" in reporter.dialog.message.text()
