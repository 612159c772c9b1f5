"""The dialog for an unexpected error, instead of a silent crash or a lost traceback.

`install_error_dialog(window)` makes every uncaught exception — on the GUI thread
(`sys.excepthook`, which PySide6 also calls for exceptions raised in slots) and on any other
thread (`threading.excepthook`) — get logged with its traceback and shown in one
`ErrorDialog`: what happened in a sentence, the details, a "Copy details" button (for a
support message or a bug report) and where the log file is.

Contracts:
- The dialog is only ever touched on the GUI thread: hooks running elsewhere hand the
  error over through a queued signal.
- One dialog at a time: errors that arrive while it is open are added to it (an error in a
  paint handler can repeat many times a second; a pile of dialogs would help nobody).
- The hooks never raise: if the dialog itself fails, the error is still in the log.
- The student's saved work is not at risk from such an error: every change is committed
  in its own transaction on the worker thread (ui/tasks.py), so the dialog says so.
"""
from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget,
)

from desktop_app.logging_setup import current_log_file, log_uncaught

log = logging.getLogger(__name__)


def describe(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> tuple[str, str]:
    """(one-line summary, full traceback) of an exception."""
    summary = "".join(traceback.format_exception_only(kind, value)).strip().splitlines()[-1]
    return summary, "".join(traceback.format_exception(kind, value, tb)).rstrip()


class ErrorDialog(QDialog):
    """Shows one or more unexpected errors; `copy_details()` puts them on the clipboard."""

    def __init__(self, summary: str, details: str, *, log_file: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Something went wrong"))
        self.setModal(False)  # the student can keep working, or read the message while they do
        self._log_file = log_file
        self._errors: list[tuple[str, str]] = []

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setMinimumSize(560, 180)
        self.log_label = QLabel()
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if log_file is not None:
            self.log_label.setText(self.tr("The log file is %1").replace("%1", str(log_file)))
        else:
            self.log_label.setText(self.tr("No log file is being written."))
        self.copied = QLabel()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(self.tr("Copy details"))
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)

        layout = QVBoxLayout(self)
        for widget in (self.message, self.details, self.log_label, self.copied, buttons):
            layout.addWidget(widget)
        self.add_error(summary, details)
        self.close_button.setFocus()

    @property
    def errors(self) -> list[tuple[str, str]]:
        return list(self._errors)

    def add_error(self, summary: str, details: str) -> None:
        self._errors.append((summary, details))
        count = len(self._errors)
        first = self._errors[0][0]
        if count == 1:
            text = self.tr("An unexpected error happened; your saved work is safe.\n\n%1").replace("%1", first)
        else:
            text = (self.tr("%1 unexpected errors happened; your saved work is safe.\n\nThe first: %2")
                    .replace("%1", str(count)).replace("%2", first))
        self.message.setText(text)
        self.details.setPlainText("\n\n".join(d for _, d in self._errors))

    def report_text(self) -> str:
        """What "Copy details" puts on the clipboard: the errors, versions and the log's path."""
        from PySide6 import __version__ as pyside_version

        lines = [f"Adaptive Learning error report ({'frozen' if getattr(sys, 'frozen', False) else 'source'})",
                 f"Python {platform.python_version()}, PySide6 {pyside_version}, {platform.platform(terse=True)}",
                 f"Log file: {self._log_file or '-'}", ""]
        return "\n".join(lines) + "\n\n".join(d for _, d in self._errors) + "\n"

    @Slot()
    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.report_text())
        self.copied.setText(self.tr("The details are on the clipboard."))


class ErrorReporter(QObject):
    """Owns the hooks and the one dialog. `reported(summary, details)` is emitted from any
    thread and handled on the GUI thread (the reporter lives there)."""

    reported = Signal(str, str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._window = parent
        self.dialog: ErrorDialog | None = None
        self.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def excepthook(self, kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log_uncaught(kind, value, tb)
        if issubclass(kind, KeyboardInterrupt):
            return
        self._emit(*describe(kind, value, tb))

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        log_uncaught(args.exc_type, args.exc_value, args.exc_traceback, where=f"thread {name}")
        self._emit(*describe(args.exc_type, args.exc_value, args.exc_traceback))

    def _emit(self, summary: str, details: str) -> None:
        if sys.stderr is not None and sys.stderr.isatty():  # a developer's terminal sees it too
            print(details, file=sys.stderr)
        try:
            self.reported.emit(summary, details)
        except RuntimeError:  # the reporter is gone (the window closed while a thread failed)
            pass

    @Slot(str, str)
    def _show(self, summary: str, details: str) -> None:
        try:
            if self.dialog is not None and self.dialog.isVisible():
                self.dialog.add_error(summary, details)
                return
            self.dialog = ErrorDialog(summary, details, log_file=current_log_file(), parent=self._window)
            self.dialog.show()
            self.dialog.raise_()
        except Exception:  # noqa: BLE001 - never let the error display raise an error of its own
            log.exception("could not show the error dialog")


def install_error_dialog(window: QWidget) -> ErrorReporter:
    """Route uncaught exceptions (any thread) to the log and to one ErrorDialog over `window`.

    Call on the GUI thread once the window exists. Returns the reporter (parented to the
    window, so it lives as long as the window does).
    """
    reporter = ErrorReporter(window)
    sys.excepthook = reporter.excepthook
    threading.excepthook = reporter.thread_excepthook
    return reporter
