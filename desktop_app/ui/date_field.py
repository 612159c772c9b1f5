"""A date a student can type or pick from a calendar.

Why not QDateEdit: its section editing merges or drops typed digits without a word
("10 Dec 2026" typed over a selected date kept the old day; "10" typed before a "3"
gave 13). Here the text is the value, as in any text field: it is read when the form
needs it, shown back in one unambiguous form ("10 Dec 2026") once the student leaves
the field, and what cannot be read is reported, never guessed.
"""
from __future__ import annotations

import re
from datetime import date

from typing import cast

from PySide6.QtCore import QDate, QEvent, QLocale, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCalendarWidget, QFrame, QHBoxLayout, QLineEdit, QToolButton, QVBoxLayout, QWidget

from desktop_app.ui.icons import icon

DISPLAY_FORMAT = "d MMM yyyy"
# Month names first (unambiguous), then ISO, then numbers day first; the locale's own
# short format is tried before the day-first guesses (see parse_date).
_FORMATS = ("d MMM yyyy", "d MMMM yyyy", "MMM d yyyy", "MMMM d yyyy", "yyyy-M-d")
_NUMERIC = ("d/M/yyyy", "d.M.yyyy", "d-M-yyyy")


def parse_date(text: str, locale: QLocale) -> date | None:
    """The date in `text`, or None when it is not one. Month names may be the locale's or
    English, in any case; commas and extra spaces do not matter ("Dec 10, 2026")."""
    cleaned = re.sub(r"\s+", " ", text.replace(",", " ")).strip()
    if not cleaned:
        return None
    numeric = locale.dateFormat(QLocale.FormatType.ShortFormat).replace("yyyy", "yy").replace("yy", "yyyy")
    for fmt in (*_FORMATS, numeric, *_NUMERIC):
        for qd in (locale.toDate(cleaned, fmt), QDate.fromString(cleaned, fmt)):
            if qd.isValid():
                return date(qd.year(), qd.month(), qd.day())
        title = cleaned.title()  # QDate.fromString matches month names case-sensitively
        qd = QDate.fromString(title, fmt)
        if qd.isValid():
            return date(qd.year(), qd.month(), qd.day())
    return None


class _CalendarPopup(QFrame):
    """The calendar under the field; Enter or a click picks, Escape closes."""

    picked = Signal(QDate)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.calendar = QCalendarWidget(self)
        self.calendar.setGridVisible(True)
        self.calendar.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.calendar.clicked.connect(self._pick)
        self.calendar.activated.connect(self._pick)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.calendar)

    def _pick(self, qd: QDate) -> None:
        self.hide()
        self.picked.emit(qd)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)


class DateField(QWidget):
    """A text field for a date with a calendar button (Alt+Down or F4 from the field).

    `value()` is None when the field is empty or cannot be read (`is_readable()` tells
    which); `date_changed()` when the student leaves the field or picks a day."""

    date_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.example = self._format(date(2026, 12, 10))  # how a typed date is shown back
        self.edit.setPlaceholderText(self.tr("e.g. %1").replace("%1", self.example))
        self.edit.editingFinished.connect(self._tidy)
        self.pick = QToolButton()
        self.pick.setIcon(icon("plan"))
        self.pick.setToolTip(self.tr("Pick the date from a calendar (Alt+Down)"))
        self.pick.setAccessibleName(self.tr("Pick the date from a calendar"))
        self.pick.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard opens it from the field
        self.pick.clicked.connect(self.open_calendar)
        self.edit.installEventFilter(self)  # Alt+Down or F4 opens the calendar, as in Qt's own date edit
        self.popup = _CalendarPopup(self)
        self.popup.picked.connect(self._picked)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.edit, 1)
        row.addWidget(self.pick)
        self.setFocusProxy(self.edit)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            key = cast(QKeyEvent, event)
            if key.key() == Qt.Key.Key_F4 or (key.key() == Qt.Key.Key_Down
                                              and key.modifiers() & Qt.KeyboardModifier.AltModifier):
                self.open_calendar()
                return True
        return super().eventFilter(watched, event)

    def setAccessibleName(self, name: str) -> None:  # noqa: N802 - Qt naming
        self.edit.setAccessibleName(name)

    def setAccessibleDescription(self, description: str) -> None:  # noqa: N802 - Qt naming (FieldError)
        self.edit.setAccessibleDescription(description)

    def value(self) -> date | None:
        return parse_date(self.edit.text(), self.locale())

    def is_readable(self) -> bool:
        return not self.edit.text().strip() or self.value() is not None

    def set_value(self, value: date | None) -> None:
        self.edit.setText(self._format(value) if value is not None else "")

    def open_calendar(self) -> None:
        current = self.value() or date.today()
        self.popup.calendar.setSelectedDate(QDate(current.year, current.month, current.day))
        self.popup.adjustSize()
        self.popup.move(self.mapToGlobal(QPoint(0, self.height())))
        self.popup.show()
        self.popup.calendar.setFocus()

    def _picked(self, qd: QDate) -> None:
        self.set_value(date(qd.year(), qd.month(), qd.day()))
        self.edit.setFocus()
        self.date_changed.emit()

    def _tidy(self) -> None:
        """Show a readable date back the one way it is displayed, so the student sees
        which day was understood; leave unreadable text alone for the message to point at."""
        value = self.value()
        if value is not None:
            self.set_value(value)
        self.date_changed.emit()

    def _format(self, value: date) -> str:
        return self.locale().toString(QDate(value.year, value.month, value.day), DISPLAY_FORMAT)
