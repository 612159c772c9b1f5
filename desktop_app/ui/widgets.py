"""Small building blocks shared by the screens."""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget,
)

from desktop_app.ui.icons import IconLabel, icon


class FieldError(QLabel):
    """A validation message shown right under its field; hidden while empty.

    It also becomes the field's accessible description, so a screen reader reads it."""

    def __init__(self, field: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._field = field
        self.setProperty("role", "error")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_message(self, message: str | None) -> None:
        self.setText(message or "")
        self.setVisible(bool(message))
        self._field.setAccessibleDescription(message or "")


def with_error(field: QWidget, error: FieldError) -> QWidget:
    """The field with its message right below, as one form cell (no gap while hidden)."""
    cell = QWidget()
    column = QVBoxLayout(cell)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addWidget(field)
    column.addWidget(error)
    return cell


def button(text: str, *, icon_name: str | None = None, tooltip: str | None = None,
           primary: bool = False, parent: QWidget | None = None) -> QPushButton:
    """A push button that Enter activates when it has focus (pages are not dialogs)."""
    b = QPushButton(text, parent)
    if icon_name:
        b.setIcon(icon(icon_name))
    if tooltip:
        b.setToolTip(tooltip)
    b.setAutoDefault(True)
    if primary:
        b.setDefault(False)
        font = b.font()
        font.setBold(True)
        b.setFont(font)
    return b


class Card(QFrame):
    """A framed section with an optional heading."""

    def __init__(self, title: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from desktop_app.ui.theme import heading

        self.setObjectName("card")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(14, 12, 14, 12)
        self.body.setSpacing(8)
        if title:
            self.title = heading(title, level=2)
            self.body.addWidget(self.title)


class Notice(QFrame):
    """A highlighted sentence (the planner's statement, empty states); `column` holds the
    sentence, so a caller can add controls under it."""

    def __init__(self, text: str = "", *, icon_name: str = "info", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notice")

        row = QHBoxLayout(self)
        row.setContentsMargins(10, 8, 10, 8)
        self._icon = IconLabel(icon_name, extra=4, parent=self)
        self._icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.label = QLabel(text, self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.column = QVBoxLayout()
        self.column.addWidget(self.label)
        row.addWidget(self._icon)
        row.addLayout(self.column, 1)

    def set_text(self, text: str) -> None:
        self.label.setText(text)


def scrolling(content: QWidget) -> QScrollArea:
    """Wrap a screen so a narrow or short window scrolls instead of clipping."""
    area = QScrollArea()
    area.setWidget(content)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # not a tab stop of its own: Tab goes to the controls
    return area


PAGE_MARGINS = (18, 14, 18, 14)  # around every screen's content


class _Column(QWidget):
    """A screen's content, at most `ems` wide ("M"s of its font) when given: the width is
    derived again when the text size changes, so lines stay readable at every size."""

    def __init__(self, ems: int | None) -> None:
        super().__init__()
        self._ems = ems
        self._fit()

    def _fit(self) -> None:
        if self._ems is not None:
            self.setMaximumWidth(self.fontMetrics().horizontalAdvance("M") * self._ems)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()


def scrolling_page(page: QWidget, *, max_ems: int | None = None) -> QVBoxLayout:
    """Give `page` the layout of a screen: a column with the page margins inside a scroll
    area (see `scrolling`), at most `max_ems` "M"s wide. Returns the column; the caller fills
    it and ends it with a stretch."""
    content = _Column(max_ems)
    column = QVBoxLayout(content)
    column.setContentsMargins(*PAGE_MARGINS)
    outer = QVBoxLayout(page)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scrolling(content))
    return column


def centre_in(page: QWidget, box: QWidget) -> None:
    """Lay `box` out in the middle of `page`, a little above centre (sign-in style pages)."""
    outer = QHBoxLayout(page)
    outer.addStretch(1)
    column = QVBoxLayout()
    column.addStretch(1)
    column.addWidget(box)
    column.addStretch(2)
    outer.addLayout(column, 4)
    outer.addStretch(1)
