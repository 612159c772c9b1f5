"""Classes (teachers only): create a class, share its join code, see who joined, and the
class's mastery per student and topic as a heatmap, exported as CSV.

Server calls go through `sync_client.classes.ClassesClient` on this screen's own one-thread
task runner (`self.net`): a slow server never holds up the database tasks of the other
screens. The last answer is kept in the local database (sync_state) and shown, with its
age, when the server cannot be reached.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QListWidget, QMessageBox, QProgressBar,
    QWidget,
)

from desktop_app.services import class_mastery
from desktop_app.services.class_mastery import MasteryTable
from desktop_app.ui.context import AppContext
from desktop_app.ui.heatmap import Heatmap
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.theme import heading
from desktop_app.ui.widgets import Card, button, scrolling_page


class ClassesPage(QWidget):
    """`client` is a `sync_client.classes.ClassesClient` (None: no sync in this build).

    Signals: `loaded()` after every refresh from the server, successful or not (tests wait on it)."""

    loaded = Signal()

    def __init__(self, ctx: AppContext, client: Any | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._client = ctx, client
        self.net = TaskRunner(self)  # network calls: one at a time, off the GUI thread
        self.tables: dict[str, MasteryTable] = {}
        self.classes: list[dict[str, Any]] = []
        self.fetched_at: datetime | None = None
        self.offline = False
        self._sort: tuple[int | None, bool] = (None, False)
        self._changing = False  # a request that creates, renames or deletes a class is running
        self._done = ""  # what the teacher's last action did: shown with the age until the next one

        create = Card(self.tr("New class"))
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText(self.tr("e.g. Year 11 maths"))
        self.new_name.setAccessibleName(self.tr("Name of the new class"))
        self.create_button = button(self.tr("&Create class"), icon_name="correct")
        self.create_button.clicked.connect(self.create_class)
        self.new_name.returnPressed.connect(self.create_class)
        row = QHBoxLayout()
        row.addWidget(self.new_name, 1)
        row.addWidget(self.create_button)
        create.body.addLayout(row)

        chosen = Card(self.tr("Class"))
        self.class_box = QComboBox()
        self.class_box.setAccessibleName(self.tr("Class"))
        self.class_box.currentIndexChanged.connect(lambda _i: self._show_class())
        self.code = QLabel()
        self.code.setAccessibleName(self.tr("Join code"))
        self.copy_button = button(self.tr("Co&py code"), tooltip=self.tr("Copy the join code to the clipboard"))
        self.copy_button.clicked.connect(self.copy_code)
        self.refresh_button = button(self.tr("&Refresh"), icon_name="sync-syncing",
                                     tooltip=self.tr("Fetch the latest mastery from the server"))
        self.refresh_button.clicked.connect(self._refresh_clicked)
        self.export_button = button(self.tr("&Export CSV…"), tooltip=self.tr("Save the mastery table as CSV"))
        self.export_button.clicked.connect(self.choose_and_export)
        self.rename_button = button(self.tr("Rena&me…"), tooltip=self.tr("Give this class another name"))
        self.rename_button.clicked.connect(lambda: self.rename_class())
        self.delete_button = button(self.tr("&Delete…"), tooltip=self.tr("Delete this class (students keep their work)"))
        self.delete_button.clicked.connect(lambda: self.delete_class())
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(120)
        self.progress.setAccessibleName(self.tr("Fetching from the server"))
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.class_box, 1)
        top.addWidget(self.code)
        top.addWidget(self.copy_button)
        top.addWidget(self.refresh_button)
        top.addWidget(self.export_button)
        top.addWidget(self.rename_button)
        top.addWidget(self.delete_button)
        state_row = QHBoxLayout()
        state_row.addWidget(self.status, 1)
        state_row.addWidget(self.progress)
        self.students = QListWidget()
        self.students.setAccessibleName(self.tr("Students who joined"))
        self.students.setMaximumHeight(self.fontMetrics().height() * 7)
        self.sort_box = QComboBox()
        self.sort_box.setAccessibleName(self.tr("Sort students by"))
        self.sort_box.currentIndexChanged.connect(self._sort_chosen)
        sort_row = QHBoxLayout()
        sort_label = QLabel(self.tr("&Sort by"))
        sort_label.setBuddy(self.sort_box)
        sort_row.addWidget(sort_label)
        sort_row.addWidget(self.sort_box, 1)
        self.heatmap = Heatmap()
        self.heatmap.sort_requested.connect(self.sort_by)
        chosen.body.addLayout(top)
        chosen.body.addLayout(state_row)
        chosen.body.addWidget(QLabel(self.tr("Students who joined")))
        chosen.body.addWidget(self.students)
        chosen.body.addLayout(sort_row)
        chosen.body.addWidget(self.heatmap)

        column = scrolling_page(self)
        column.addWidget(heading(self.tr("Classes")))
        column.addWidget(create)
        column.addWidget(chosen)
        column.addStretch(1)
        self._show_class()

    # --- loading ----------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the cached copy at once, then fetch from the server (progress shows meanwhile)."""
        if self._client is None:
            self.status.setText(self.tr("Classes need a sync server: sign in to one in Settings."))
            self.loaded.emit()
            return
        client = self._client
        if self.fetched_at is None:
            self.net.run(client.cached, on_success=lambda c: self._apply(c, offline=True))
        self.progress.show()
        self.refresh_button.setEnabled(False)
        self.net.run(client.refresh, on_success=lambda c: self._apply(c, offline=False),
                     on_failure=self._refresh_failed)

    def _apply(self, cached: Any, *, offline: bool) -> None:
        if offline and self.fetched_at is not None:
            return  # a fresh answer already arrived
        if not offline:
            self.progress.hide()
            self.refresh_button.setEnabled(True)
        self.offline = offline
        self.classes = list(cached.classes)
        self.tables = {cid: class_mastery.from_server(data) for cid, data in cached.mastery.items()}
        self.fetched_at = cached.fetched_at
        current = self.class_box.currentData()
        self.class_box.blockSignals(True)
        self.class_box.clear()
        for c in self.classes:
            self.class_box.addItem(c["name"], c["class_id"])
        index = self.class_box.findData(current)
        self.class_box.setCurrentIndex(index if index >= 0 else (0 if self.classes else -1))
        self.class_box.blockSignals(False)
        self._show_class()
        self._show_age()
        if not offline:
            self.loaded.emit()

    def _refresh_failed(self, exc: Exception) -> None:
        self.progress.hide()
        self.refresh_button.setEnabled(True)
        self.offline = True
        kind = self._client.problem(exc) if self._client is not None else "refused"
        if kind == "sign_in":
            reason = self.tr("sign in to sync in Settings")
        elif kind == "offline":
            reason = self.tr("the server cannot be reached")
        else:
            reason = str(exc)
        self._show_age(reason=reason)
        self.loaded.emit()

    def _show_age(self, reason: str = "") -> None:
        if self.fetched_at is None:
            text = self.tr("Nothing fetched yet: %1.").replace("%1", reason) if self.offline and reason else ""
        else:
            minutes = max(int((self._ctx.now() - self.fetched_at).total_seconds() // 60), 0)
            age = self.tr("%n minute(s) old", "", minutes) if minutes < 120 else \
                self.tr("%n hour(s) old", "", minutes // 60)
            text = (self.tr("Offline: showing the copy from %1 (%2).") if self.offline
                    else self.tr("Up to date (fetched %1).")).replace(
                "%1", self.fetched_at.astimezone().strftime("%Y-%m-%d %H:%M")).replace("%2", age)
            if self.offline and reason:
                text += " " + self.tr("Not refreshed: %1.").replace("%1", reason)
        self.status.setText(f"{self._done} {text}".strip())

    def _refresh_clicked(self) -> None:
        self._done = ""
        self.refresh()

    # --- one class --------------------------------------------------------------------
    def current_table(self) -> MasteryTable | None:
        return self.tables.get(self.class_box.currentData())

    def _show_class(self) -> None:
        info = self._current()
        self.code.setText(self.tr("Join code: %1").replace("%1", info["join_code"]) if info else "")
        self.copy_button.setEnabled(info is not None)
        self._enable_changes()
        self.export_button.setEnabled(self.current_table() is not None)
        self.students.clear()
        if info is not None:
            self.students.addItems([s["username"] for s in info["students"]])
        table = self.current_table()
        self.sort_box.blockSignals(True)
        self.sort_box.clear()
        self.sort_box.addItem(self.tr("Student name"), None)
        for i, (_, name) in enumerate(table.topics if table else ()):
            self.sort_box.addItem(self.tr("%1 (weakest first)").replace("%1", name), i)
        column, _ = self._sort
        self.sort_box.setCurrentIndex(max(self.sort_box.findData(column), 0) if column is not None else 0)
        self.sort_box.blockSignals(False)
        self._paint_rows()

    def _paint_rows(self) -> None:
        table = self.current_table()
        column, descending = self._sort
        if table is not None and column is not None and column >= len(table.topics):
            column, descending = None, False
        rows = class_mastery.sorted_students(table, column=column, descending=descending) if table else []
        self.heatmap.set_rows(table, rows)

    def sort_by(self, column: int | None) -> None:
        """Sort by a topic (weakest first; again: strongest first) or by name (None)."""
        same = self._sort[0] == column
        self._sort = (column, not self._sort[1] if same else False)
        self.sort_box.blockSignals(True)
        self.sort_box.setCurrentIndex(max(self.sort_box.findData(column), 0) if column is not None else 0)
        self.sort_box.blockSignals(False)
        self._paint_rows()

    def _sort_chosen(self, _index: int) -> None:
        self._sort = (self.sort_box.currentData(), False)
        self._paint_rows()

    # --- actions ----------------------------------------------------------------------
    def create_class(self) -> None:
        name = self.new_name.text().strip()
        if not name or self._client is None:
            self.new_name.setFocus()
            return
        client = self._client
        self._busy(True)
        self.net.run(lambda: client.create_class(name), on_success=self._created, on_failure=self._create_failed)

    def _created(self, created: dict[str, Any]) -> None:
        self._busy(False)
        self.new_name.clear()
        self._done = (self.tr("Created %1. Give your students the join code %2.")
                      .replace("%1", created["name"]).replace("%2", created["join_code"]))
        self.status.setText(self._done)
        self.classes.append({**created, "students": []})
        self.class_box.addItem(created["name"], created["class_id"])
        self.class_box.setCurrentIndex(self.class_box.count() - 1)
        self.refresh()

    def _create_failed(self, exc: Exception) -> None:
        self._change_failed(self.tr("The class was not created: %1"), exc)

    def _current(self) -> dict[str, Any] | None:
        return next((c for c in self.classes if c["class_id"] == self.class_box.currentData()), None)

    def rename_class(self, name: str | None = None) -> None:
        """Rename the class shown; without `name`, ask for it."""
        info = self._current()
        if info is None or self._client is None:
            return
        if name is None:
            name, ok = QInputDialog.getText(self, self.tr("Rename class"), self.tr("New name of %1:")
                                            .replace("%1", info["name"]), text=info["name"])
            if not ok:
                return
        name = name.strip()
        if not name or name == info["name"]:
            return
        client, class_id = self._client, info["class_id"]
        self._busy(True)
        self.net.run(lambda: client.rename_class(class_id, name), on_success=self._changed,
                     on_failure=lambda exc: self._change_failed(self.tr("The class was not renamed: %1"), exc))

    def delete_class(self, *, confirmed: bool = False) -> None:
        """Delete the class shown, after the teacher confirmed it (asked unless `confirmed`)."""
        info = self._current()
        if info is None or self._client is None:
            return
        if not confirmed:
            answer = QMessageBox.question(
                self, self.tr("Delete class"),
                self.tr("Delete %1? Its %n student(s) leave the class and you no longer see their mastery. "
                        "Their own work stays on their laptops and on the server.", "", len(info["students"]))
                .replace("%1", info["name"]),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return
        client, class_id = self._client, info["class_id"]
        self._busy(True)
        self.net.run(lambda: client.delete_class(class_id), on_success=self._changed,
                     on_failure=lambda exc: self._change_failed(self.tr("The class was not deleted: %1"), exc))

    def _busy(self, busy: bool) -> None:
        """While one request changes classes, no other can start."""
        self._changing = busy
        self.progress.setVisible(busy)
        self._enable_changes()

    def _enable_changes(self) -> None:
        """Create needs no change running; Rename and Delete also a class and a server."""
        idle = not self._changing
        self.create_button.setEnabled(idle)
        can_change = idle and self._current() is not None and self._client is not None
        self.rename_button.setEnabled(can_change)
        self.delete_button.setEnabled(can_change)

    def _changed(self, changed: dict[str, Any]) -> None:
        self._busy(False)
        if changed["deleted"]:  # gone at once, even if the refresh below cannot reach the server
            self.classes = [c for c in self.classes if c["class_id"] != changed["class_id"]]
            self.class_box.removeItem(self.class_box.findData(changed["class_id"]))
        self._done = (self.tr("Deleted %1.").replace("%1", changed["name"]) if changed["deleted"]
                      else self.tr("Renamed to %1.").replace("%1", changed["name"]))
        self.status.setText(self._done)
        self.refresh()

    def _change_failed(self, text: str, exc: Exception) -> None:
        self._busy(False)
        self.status.setText(text.replace("%1", str(exc)))

    def copy_code(self) -> None:
        info = self._current()
        if info is not None:
            QGuiApplication.clipboard().setText(info["join_code"])
            self.status.setText(self.tr("Join code copied."))

    def choose_and_export(self) -> None:
        table = self.current_table()
        if table is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export class mastery"), f"{table.name}.csv",
                                              self.tr("CSV files (*.csv)"))
        if path:
            self.export(Path(path))

    def export(self, path: Path) -> None:
        table = self.current_table()
        if table is None:
            return
        label = self.tr("Class average")
        self._ctx.runner.run(lambda: class_mastery.export_csv(table, path, average_label=label),
                             on_success=lambda _r: self.status.setText(self.tr("Saved %1.").replace("%1", path.name)),
                             on_failure=lambda exc: self.status.setText(
                                 self.tr("Could not save the file: %1").replace("%1", str(exc))))
