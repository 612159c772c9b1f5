"""The question Practice asks once, when an answer like "2,125" reads two ways.

It shows the student's own number and its two readings, never anything about the correct
answer (services/answers.py raises AmbiguousNumberError before grading). The choice becomes
the `number_comma` preference (also in Settings), and the answer that raised the question is
then sent again under it, so the student does not submit twice.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from desktop_app.services.answers import AmbiguousNumberError, Comma, stored_form
from desktop_app.ui.preferences import Preferences
from desktop_app.ui.widgets import Notice, button


class CommaQuestion(Notice):
    """Hidden until `ask`; hidden again by a choice or by `cancel`."""

    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(icon_name="info", parent=parent)
        self._prefs = prefs
        self._retry: Callable[[], None] | None = None
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.thousands = button("")
        self.decimal = button("")
        self.thousands.clicked.connect(lambda: self._choose("thousands"))
        self.decimal.clicked.connect(lambda: self._choose("decimal"))
        for choice in (self.thousands, self.decimal):  # one under the other: side by side, at a
            self.column.addWidget(choice, 0, Qt.AlignmentFlag.AlignLeft)  # large text size, too wide
        QWidget.setTabOrder(self.thousands, self.decimal)
        self.hide()

    def ask(self, question: AmbiguousNumberError, *, retry: Callable[[], None]) -> None:
        """Show the question for `question.typed`; `retry()` sends the answer again once chosen."""
        thousands, decimal = stored_form(question.thousands), stored_form(question.decimal)
        self.set_text(self.tr("How do you write numbers? Does %1 mean %2 (the comma groups thousands) or %3 "
                              "(a decimal comma)? Your answer is marked the way you choose, and so are later "
                              "ones (you can change this in Settings).")
                      .replace("%1", question.typed).replace("%2", thousands).replace("%3", decimal))
        self.thousands.setText(self.tr("%1: the comma groups &thousands").replace("%1", thousands))
        self.decimal.setText(self.tr("%1: a &decimal comma").replace("%1", decimal))
        self._retry = retry
        self.show()

    def cancel(self) -> None:
        """The answer changed or another question is shown: the question no longer applies."""
        self._retry = None
        self.hide()

    def _choose(self, comma: Comma) -> None:
        retry, self._retry = self._retry, None
        self._prefs.number_comma = comma
        self.hide()
        if retry is not None:
            retry()
