"""An answer option of a multiple-choice question (Practice)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QRadioButton

_ARROWS = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right)


class OptionButton(QRadioButton):
    """An option that an arrow key moving onto it also chooses, as radio buttons usually do
    (Qt's only chooses when the option left was chosen: Tab in, Down, Enter said "Choose an
    answer first")."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        super().keyPressEvent(event)
        moved_to = QApplication.focusWidget()
        group = self.group()
        if event.key() in _ARROWS and moved_to is not self and group is not None and moved_to in group.buttons():
            moved_to.setChecked(True)
