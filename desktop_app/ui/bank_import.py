"""Importing a question bank: progress on the worker, every problem listed with its location.

The import is all-or-nothing (services.setup.import_bank_file validates the whole file
first and writes in one transaction), so after an error the database is unchanged.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog, QFrame, QHBoxLayout, QLabel, QListWidget, QProgressBar, QVBoxLayout, QWidget,
)

from desktop_app.services.bank_format import BankError
from desktop_app.services.bank_import import ImportReport
from desktop_app.services.setup import import_bank_file
from desktop_app.ui.context import AppContext
from desktop_app.ui.icons import IconLabel
from desktop_app.ui.theme import heading
from desktop_app.ui.widgets import button


class ImportPanel(QFrame):
    """Signals: `imported(ImportReport)`; `failed(list[str])`."""

    imported = Signal(object)
    failed = Signal(list)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, publish: bool = False) -> None:
        """`publish`: the import is queued for the sync server (a teacher's content); otherwise
        it stays on this computer (a student's own bank)."""
        super().__init__(parent)
        self._ctx = ctx
        self._publish = publish
        self.setObjectName("card")
        self.title = heading(self.tr("Import a question bank"), level=2)
        self.status_icon = IconLabel()
        self.status = QLabel()
        self.status.setWordWrap(True)
        # Level with the icon: a wrapped label may be given the height of several lines, and
        # a one-line message would otherwise sit in the middle of it, below the icon.
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Import progress"))
        self.problems = QListWidget()
        self.problems.setAccessibleName(self.tr("Problems in the file"))
        self.problems.setToolTip(self.tr("Each line names the place in the file and what is wrong there"))
        self.problems.setWordWrap(True)
        self.close_button = button(self.tr("Close"), tooltip=self.tr("Hide this panel"))
        self.close_button.clicked.connect(self.hide)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status_icon, 0, Qt.AlignmentFlag.AlignTop)
        status_row.addWidget(self.status, 1)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.addLayout(top)
        layout.addLayout(status_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.problems, 1)
        self._folder = Path.home()
        self.hide()

    def choose_and_import(self) -> None:
        # From the folder of the last bank imported, else the home folder (not wherever the
        # app happened to be started from).
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import a question bank"), str(self._folder),
                                              self.tr("Question banks (*.json);;All files (*)"))
        if path:
            self._folder = Path(path).parent
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        db = self._ctx.runner.db
        self.problems.clear()
        self.problems.hide()
        self._set_status("import", self.tr("Checking %1…").replace("%1", path.name))
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.progress.show()
        self.close_button.setEnabled(False)
        self.show()
        report = self._ctx.runner.progress(self._progress)
        publish = self._publish
        # run(), not write(): import_bank_file owns its transaction. A published import is a
        # local change for sync, so tell the window (runner.changed) once it is committed.
        self._ctx.runner.run(lambda: import_bank_file(db, path, publish=publish, progress=report),  # type: ignore[arg-type]
                             on_success=self._done, on_failure=self._failed)

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.status.setText(self.tr("Importing: %1 of %2 items").replace("%1", str(done)).replace("%2", str(total)))

    def _done(self, report: ImportReport) -> None:
        if self._publish:
            self._ctx.runner.changed.emit()  # queued for the server: sync soon
        self.close_button.setEnabled(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self._set_status("correct", self.tr("Imported %1: %2 topics, %3 concepts, %4 questions "
                                            "(%5 new, %6 updated, %7 removed).")
                         .replace("%1", report.title).replace("%2", str(report.counts.get("topics", 0)))
                         .replace("%3", str(report.counts.get("concepts", 0)))
                         .replace("%4", str(report.counts.get("questions", 0)))
                         .replace("%5", str(report.created)).replace("%6", str(report.updated))
                         .replace("%7", str(report.removed))
                         + self._kept(report)
                         + (" " + self.tr("Your students receive it on their next sync.") if self._publish else ""))
        self.imported.emit(report)

    def _kept(self, report: ImportReport) -> str:
        """What the import kept although the new version drops it, so that a teacher is not
        surprised to still see those topics and concepts (and knows why)."""
        text = ""
        if report.kept_topics:
            text += " " + self.tr("Kept %n topic(s) this version drops, still used by questions not from the "
                                  "bank: %1.", "", len(report.kept_topics)).replace("%1", ", ".join(report.kept_topics))
        if report.kept_concepts:
            text += " " + self.tr("Kept %n concept(s) this version drops, still used by questions not from the "
                                  "bank: %1.", "", len(report.kept_concepts)).replace("%1",
                                                                                     ", ".join(report.kept_concepts))
        return text

    def _failed(self, exc: Exception) -> None:
        self.close_button.setEnabled(True)
        if not isinstance(exc, BankError):
            raise exc
        self.progress.hide()
        self._set_status("warning", self.tr("Nothing was imported: the file has %n problem(s). "
                                            "Fix them and import it again.", "", len(exc.problems)))
        self.problems.addItems(exc.problems)
        self.problems.show()
        self.problems.setCurrentRow(0)
        self.problems.setFocus()
        self.failed.emit(list(exc.problems))

    def _set_status(self, icon_name: str, text: str) -> None:
        self.status_icon.set_icon(icon_name)
        self.status.setText(text)
