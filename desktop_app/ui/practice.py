"""Practice: one question at a time, answered by mouse or keyboard alone, then feedback.

Keys: 1-9 or A-I pick an option, T/F answer true/false, Enter submits, Enter again goes
on. The attempt is committed by the worker before the feedback appears; a malformed
number shows its problem next to the field and records nothing. An answer like "2,125",
before the student has said how they write numbers, raises the question of ui/comma_question.py
(nothing recorded until they choose; then that answer is graded without a second submit).
The timer, and the response time saved with the answer, count time on the question only:
they stop while another screen shows (ui/stopwatch.py).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeyEvent, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup, QFrame, QHBoxLayout, QLabel, QLineEdit, QSlider, QVBoxLayout, QWidget,
)

from desktop_app.services import practice
from desktop_app.services.answers import AmbiguousNumberError, AnswerFormatError
from desktop_app.services.practice import Feedback, NextQuestion
from desktop_app.ui.comma_question import CommaQuestion
from desktop_app.ui.context import AppContext
from desktop_app.ui.icons import IconLabel
from desktop_app.ui.option_button import OptionButton
from desktop_app.ui.stopwatch import Stopwatch
from desktop_app.ui.theme import ScaledLabel, heading
from desktop_app.ui.widgets import Card, FieldError, Notice, button, scrolling_page

LETTERS = "ABCDEFGHI"


class PracticePage(QWidget):
    """Signals: `question_shown()`, `feedback_shown()`, `answered()` (after a committed attempt)."""

    question_shown = Signal()
    feedback_shown = Signal()
    answered = Signal()

    def __init__(self, ctx: AppContext, student_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._student_id = ctx, student_id
        self.current: NextQuestion | None = None
        self.upcoming: NextQuestion | None = None
        self.feedback: Feedback | None = None
        self._focus: tuple[str, str] | None = None  # (concept id, name)
        self._shown = 0
        self._want_next = False
        self._busy = False
        self._fetches = 0  # numbers each fetch, so an older one's answer is known when it comes back

        self.title = heading(self.tr("Practice"))
        self.timer_icon = IconLabel("timer")
        self.timer_label = ScaledLabel(scale=1.1, bold=True)
        self.timer_label.setAccessibleName(self.tr("Time on this question"))
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.timer_icon)
        header.addWidget(self.timer_label)
        # A row of its own, the name wrapping: a long concept name beside the title and timer
        # made the page wider than a small window at a large text size.
        self.focus_row = QWidget()
        self.focus_label = QLabel()
        self.focus_label.setWordWrap(True)
        self.clear_focus = button(self.tr("Any concept"), tooltip=self.tr("Stop focusing on one concept"))
        self.clear_focus.clicked.connect(lambda: self.start(None))
        focus_row = QHBoxLayout(self.focus_row)
        focus_row.setContentsMargins(0, 0, 0, 0)
        focus_row.addWidget(self.focus_label, 1)
        focus_row.addWidget(self.clear_focus, 0, Qt.AlignmentFlag.AlignTop)

        self.card = Card()
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.text = ScaledLabel(scale=1.2)
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.why.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # secondary, still >= 4.5:1
        self.answer_box = QVBoxLayout()
        self.choices = QButtonGroup(self)
        self.choices.setExclusive(True)
        self.choices.buttonToggled.connect(lambda _button, checked: checked and self.choice_error.hide())
        self.number = QLineEdit()
        self.number.setAccessibleName(self.tr("Your answer"))
        self.number.setPlaceholderText(self.tr("a number, e.g. 3.5, 3,5, 7/2, 4 1/2 or 18,000"))
        self.number_error = FieldError(self.number)
        self.comma_question = CommaQuestion(ctx.prefs)
        self.number.textEdited.connect(lambda _text: self._drop_comma_question())
        self.choice_error = QLabel()
        self.choice_error.setProperty("role", "error")
        self.choice_error.hide()
        for w in (self.where, self.text, self.why):
            self.card.body.addWidget(w)
        self.card.body.addSpacing(6)
        self.card.body.addLayout(self.answer_box)
        self.card.body.addWidget(self.number)
        self.card.body.addWidget(self.number_error)
        self.card.body.addWidget(self.comma_question)
        QWidget.setTabOrder(self.number, self.comma_question.thousands)
        self.card.body.addWidget(self.choice_error)

        self.confidence = QSlider(Qt.Orientation.Horizontal)
        self.confidence.setRange(0, 5)
        self.confidence.setPageStep(1)
        self.confidence.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.confidence.setAccessibleName(self.tr("How sure are you? 0 means not set"))
        self.confidence.setToolTip(self.tr("Optional: how sure you are, from 1 (guessing) to 5 (certain)"))
        self.confidence_value = QLabel()
        self.confidence.valueChanged.connect(self._confidence_changed)
        sure = QHBoxLayout()
        sure_label = QLabel(self.tr("How &sure are you?"))
        sure_label.setBuddy(self.confidence)
        sure.addWidget(sure_label)
        sure.addWidget(self.confidence, 1)
        sure.addWidget(self.confidence_value)
        self.card.body.addLayout(sure)

        self.submit = button(self.tr("Submit (Enter)"), icon_name="correct", primary=True)
        self.submit.clicked.connect(self.submit_answer)
        self.skip = button(self.tr("Skip"), tooltip=self.tr("Show another question; nothing is recorded"))
        self.skip.clicked.connect(self.skip_question)
        row = QHBoxLayout()
        row.addWidget(self.skip)
        row.addStretch(1)
        row.addWidget(self.submit)
        self.card.body.addLayout(row)

        self.result = QFrame()
        self.result.setObjectName("feedback")
        fb = QVBoxLayout(self.result)
        fb.setContentsMargins(14, 12, 14, 12)
        verdict_row = QHBoxLayout()
        self.verdict = heading("", level=2)
        self.verdict_icon = IconLabel(size_from=self.verdict)
        verdict_row.addWidget(self.verdict_icon)
        verdict_row.addWidget(self.verdict, 1)
        self.correct_answer = QLabel()
        self.correct_answer.setWordWrap(True)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.mastery = QLabel()
        self.mastery.setWordWrap(True)
        self.up_next = QLabel()
        self.up_next.setWordWrap(True)
        self.next_button = button(self.tr("Next question (Enter)"), icon_name="next", primary=True)
        self.next_button.clicked.connect(self.go_next)
        fb.addLayout(verdict_row)
        for w in (self.correct_answer, self.explanation, self.mastery, self.up_next):
            fb.addWidget(w)
        fb.addWidget(self.next_button, 0, Qt.AlignmentFlag.AlignRight)
        self.result.hide()

        self.empty = Notice(self.tr("There are no questions to practise yet. Import a question bank in Syllabus."))
        self.empty.hide()

        column = scrolling_page(self)
        column.addLayout(header)
        column.addWidget(self.focus_row)
        column.addWidget(self.empty)
        column.addWidget(self.card)
        column.addWidget(self.result)
        column.addStretch(1)

        self._stopwatch = Stopwatch(lambda: self._ctx.clock())  # paused while the page is hidden
        self._tick = QTimer(self)
        self._tick.setInterval(250)  # not 1000: after a pause, whole seconds fall between ticks
        self._tick.timeout.connect(self._show_time)
        self._confidence_changed(0)
        self._set_focus_label()

    # --- flow ---------------------------------------------------------------------------

    def start(self, focus: tuple[str, str] | None = None) -> None:
        """Fetch a question (optionally on one concept: (concept id, name))."""
        self._focus = focus
        self._set_focus_label()
        self.upcoming = None
        self._fetch(previous=self.current.question.id if self.current else None, show=True)

    def ensure_question(self) -> None:
        """Called when the screen is opened: keep the question on screen, or fetch one."""
        if self.current is None and not self._busy:
            self.start(self._focus)
        else:
            self.focus_answer()

    def _fetch(self, *, previous: str | None, show: bool) -> None:
        student, now, seed = self._student_id, self._ctx.now(), self._shown
        focus = self._focus[0] if self._focus else None
        self._want_next = show
        self._busy = show
        self._fetches += 1
        ticket = self._fetches
        self._ctx.runner.query(
            lambda s: practice.next_question(s, student_id=student, now=now, previous_question_id=previous,
                                             focus_concept_id=focus, seed=seed),
            on_success=lambda nxt: self._fetched(nxt, ticket), on_failure=lambda exc: self._fetch_failed(exc, ticket))

    def _fetch_failed(self, exc: Exception, ticket: int) -> None:
        if ticket == self._fetches:
            self._busy = self._want_next = False  # the screen stays usable (Skip or reopen retries)
        raise exc  # unexpected: the error dialog shows it

    def _fetched(self, nxt: NextQuestion | None, ticket: int) -> None:
        if ticket != self._fetches:
            return  # chosen before a newer fetch (another focus, or Skip): that one's answer counts
        self.upcoming = nxt
        if self.feedback is not None and nxt is not None:
            self.up_next.setText(self.tr("Up next: %1 — %2").replace("%1", nxt.question.concept_name)
                                 .replace("%2", nxt.reason))
        if self._want_next:
            self._show_question(nxt)

    def go_next(self) -> None:
        if self.upcoming is not None:
            self._show_question(self.upcoming)
        else:
            self._want_next = True  # shows as soon as the fetch returns

    def skip_question(self) -> None:
        if self.current is not None and not self._busy:
            self._fetch(previous=self.current.question.id, show=True)

    def _show_question(self, nxt: NextQuestion | None) -> None:
        self._want_next = self._busy = False
        self.feedback, self.upcoming = None, None
        self.result.hide()
        self.current = nxt
        self.empty.setVisible(nxt is None)
        self.card.setVisible(nxt is not None)
        self._stopwatch.reset()
        if nxt is None:
            self._tick.stop()
            self._show_time()
            self.question_shown.emit()
            return
        self._shown += 1
        q = nxt.question
        self.where.setText(self.tr("%1 › %2 · difficulty %3 of 5").replace("%1", q.topic_name)
                           .replace("%2", q.concept_name).replace("%3", str(q.difficulty)))
        self.text.setText(q.text)
        self.text.setAccessibleName(q.text)
        self.why.setText(self.tr("Why this question: %1").replace("%1", nxt.reason))
        self._build_answers(q.type, q.options)
        self.confidence.setValue(0)
        self.number_error.show_message(None)
        self._drop_comma_question()
        self.choice_error.hide()
        self._set_inputs_enabled(True)
        if self.isVisible():  # else fetched ahead: timed from when it is seen (showEvent)
            self._run_clock()
        self._show_time()
        self.focus_answer()
        self.question_shown.emit()

    def seconds_on_question(self) -> float:
        """Time the question on screen has been in sight (to its answer, once answered)."""
        return self._stopwatch.seconds()

    def _run_clock(self) -> None:
        self._stopwatch.resume()
        self._tick.start()

    def _stop_clock(self) -> None:
        self._stopwatch.pause()
        self._tick.stop()
        self._show_time()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self.current is not None and self.feedback is None:
            self._run_clock()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self._stop_clock()  # time on another screen is not time on the question

    def prefetch(self) -> None:
        """Choose the first question ahead of time (the engine's first choice in a session
        can take seconds on a long history); it waits, unseen and untimed, until opened."""
        if self.current is None and not self._busy:
            self.start(self._focus)

    def _build_answers(self, kind: str, options: list[str] | None) -> None:
        for b in self.choices.buttons():
            self.choices.removeButton(b)
            self.answer_box.removeWidget(b)
            b.hide()  # gone from the screen now, deleted when the event loop gets to it
            b.deleteLater()
        self.number.clear()
        self.number.setVisible(kind == "numerical")
        if kind == "mcq":
            labels = [(f"{LETTERS[i]}. {text}", text, self.tr("Key %1 or %2").replace("%1", str(i + 1))
                       .replace("%2", LETTERS[i])) for i, text in enumerate(options or [])]
        elif kind == "true_false":
            labels = [(self.tr("True"), "true", self.tr("Key T")), (self.tr("False"), "false", self.tr("Key F"))]
        else:
            labels = []
        previous: QWidget | None = None
        for i, (label, value, tip) in enumerate(labels):
            radio = OptionButton(label)
            radio.setProperty("answer", value)
            radio.setToolTip(tip)
            self.choices.addButton(radio, i)
            self.answer_box.addWidget(radio)
            radio.show()  # now, not deferred (it may take the focus); shows with the page if hidden
            if previous is not None:
                QWidget.setTabOrder(previous, radio)
            previous = radio

    def focus_answer(self) -> None:
        if self.feedback is not None:
            self.next_button.setFocus()
        elif self.number.isVisible():
            self.number.setFocus()
        elif self.choices.buttons():
            (self.choices.checkedButton() or self.choices.buttons()[0]).setFocus()

    def _answer(self) -> str | None:
        if self.current is None:
            return None
        if self.current.question.type == "numerical":
            return self.number.text()
        checked = self.choices.checkedButton()
        return str(checked.property("answer")) if checked else None

    def submit_answer(self) -> None:
        if self.current is None or self.feedback is not None or self._busy or not self.comma_question.isHidden():
            return  # (a visible comma question sends this answer again itself, once answered)
        answer = self._answer()
        if answer is None:
            self.choice_error.setText(self.tr("Choose an answer first."))
            self.choice_error.show()
            return
        self.number_error.show_message(None)
        self.choice_error.hide()
        self._send(answer, seconds=self.seconds_on_question(), confidence=self.confidence.value() or None,
                   now=self._ctx.now())

    def _send(self, answer: str, *, seconds: float, confidence: int | None, now: datetime) -> None:
        """Grade and record `answer` on the worker, "2,125" read as the student said (if they did)."""
        student, question_id, comma = self._student_id, self.current.question.id, self._ctx.prefs.number_comma
        self._busy = True
        self._set_inputs_enabled(False)
        self._ctx.runner.write(
            lambda s: practice.submit_answer(s, student_id=student, question_id=question_id, answer=answer,
                                             time_taken_seconds=seconds, confidence=confidence, now=now,
                                             comma=comma),
            on_success=self._show_feedback,
            on_failure=lambda exc: self._submit_failed(
                exc, retry=lambda: self._send(answer, seconds=seconds, confidence=confidence, now=now)))

    def _submit_failed(self, exc: Exception, *, retry: Callable[[], None]) -> None:
        self._busy = False
        self._set_inputs_enabled(True)
        if isinstance(exc, AmbiguousNumberError):
            self.comma_question.ask(exc, retry=retry)
            self.number.setAccessibleDescription(self.comma_question.label.text())
            self.number.setFocus()  # not on a choice: a second Enter (for "next") must not choose
            return
        if not isinstance(exc, AnswerFormatError):
            raise exc
        message = QCoreApplication.translate("answers", str(exc))  # the service's sentence, translatable
        if self.number.isVisible():
            self.number_error.show_message(message)
            self.number.selectAll()
            self.number.setFocus()
        else:
            self.choice_error.setText(message)
            self.choice_error.show()

    def _show_feedback(self, fb: Feedback) -> None:
        self._busy = False
        self._stop_clock()
        self.feedback = fb
        self.result.setProperty("correct", "true" if fb.is_correct else "false")
        self.result.style().unpolish(self.result)
        self.result.style().polish(self.result)
        self.verdict_icon.set_icon("correct" if fb.is_correct else "wrong")
        self.verdict.setText(self.tr("Correct!") if fb.is_correct else self.tr("Not quite."))
        self.correct_answer.setText(self.tr("Correct answer: %1").replace("%1", fb.correct_answer))
        self.explanation.setText(fb.explanation)
        self.explanation.setVisible(bool(fb.explanation))
        change = fb.mastery_after - fb.mastery_before
        self.mastery.setText(self.tr("Mastery of %1: %2 → %3 (%4)").replace("%1", fb.concept_name)
                             .replace("%2", f"{fb.mastery_before:.0f}").replace("%3", f"{fb.mastery_after:.0f}")
                             .replace("%4", f"{change:+.0f}"))
        self.up_next.setText(self.tr("Choosing the next question…"))
        self.result.show()
        self.next_button.setFocus()
        self.answered.emit()
        self.feedback_shown.emit()
        self._fetch(previous=self.current.question.id if self.current else None, show=False)

    # --- keyboard -----------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key, text = event.key(), event.text().upper()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.go_next() if self.feedback is not None else self.submit_answer()
            return
        if self.current is not None and self.feedback is None and not self._busy:
            buttons = self.choices.buttons()
            index = None
            if self.current.question.type == "true_false" and text in ("T", "F"):
                index = 0 if text == "T" else 1
            elif self.current.question.type == "mcq" and text:
                if text.isdigit() and 1 <= int(text) <= len(buttons):
                    index = int(text) - 1
                elif text in LETTERS[:len(buttons)]:
                    index = LETTERS.index(text)
            if index is not None:
                buttons[index].setChecked(True)
                buttons[index].setFocus()
                return
        super().keyPressEvent(event)

    # --- small helpers ------------------------------------------------------------------

    def _drop_comma_question(self) -> None:
        self.comma_question.cancel()
        self.number.setAccessibleDescription(self.number_error.text())

    def _set_inputs_enabled(self, enabled: bool) -> None:
        for w in (*self.choices.buttons(), self.number, self.confidence, self.submit, self.skip):
            w.setEnabled(enabled)

    def _show_time(self) -> None:
        if self.current is None:
            self.timer_label.clear()  # nothing to time (no questions yet)
            return
        seconds = int(self._stopwatch.seconds())
        self.timer_label.setText(f"{seconds // 60}:{seconds % 60:02d}")

    def _confidence_changed(self, value: int) -> None:
        names = {0: self.tr("not set"), 1: self.tr("1 · guessing"), 2: self.tr("2 · unsure"),
                 3: self.tr("3 · fairly sure"), 4: self.tr("4 · sure"), 5: self.tr("5 · certain")}
        self.confidence_value.setText(names[value])
        self.confidence.setAccessibleDescription(names[value])

    def _set_focus_label(self) -> None:
        self.focus_label.setText(self.tr("Focus: %1").replace("%1", self._focus[1]) if self._focus else "")
        self.focus_row.setVisible(self._focus is not None)
