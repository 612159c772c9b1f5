"""The exam profile: a form (also used in Settings) and the first-run wizard page around it."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget,
)
from sqlalchemy.orm import Session

from desktop_app.services import planning
from desktop_app.services import profile as profile_service
from desktop_app.services.profile import MAX_HOURS_PER_DAY, ProfileError, ProfileView
from desktop_app.ui.context import AppContext
from desktop_app.ui.date_field import DateField
from desktop_app.ui.theme import heading
from desktop_app.ui.widgets import FieldError, button, centre_in, with_error

GRADES = ("Year 9", "Year 10", "Year 11", "Year 12", "Year 13")
CLOSE_DAYS = 3  # an exam this close is worth a second look: a slip of the day or month lands here


def save_and_replan(session: Session, *, student_id: str, today: date, **values: object) -> ProfileView:
    """Save the profile and make the plan follow it in the same transaction (worker thread),
    so the plan and the profile are never seen apart. Raises ProfileError."""
    view = profile_service.save_profile(session, student_id=student_id, today=today, **values)  # type: ignore[arg-type]
    planning.current_plan(session, student_id=student_id, today=today)
    return view


class ProfileForm(QWidget):
    """Grade, target exam, exam date, hours per day, each with its message beside it.

    `saved(ProfileView)` after the profile and the plan made from it are committed;
    `edited()` when the student changes a field (`is_dirty()` tells whether the form now
    differs from what is saved). Enter in any field saves, as the button does.
    `action` is the text of the button that saves (named when a date needs confirming)."""

    saved = Signal(object)
    edited = Signal()

    def __init__(self, ctx: AppContext, student_id: str, *, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._student_id, self._action = ctx, student_id, action
        self._stored_exam: date | None = None  # as loaded: saving it again asks nothing
        self._confirmed_exam: date | None = None  # a close date the student saved twice
        self._stored: tuple[object, ...] = ()  # what is saved, as _current() reads the fields
        self._loading = False
        self.grade = QComboBox()
        self.grade.setEditable(True)
        self.grade.addItems(["", *GRADES])
        self.grade.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)  # Enter saves; the list stays the grades
        self.grade.setAccessibleName(self.tr("Grade or year"))
        self.grade.lineEdit().setPlaceholderText(self.tr("optional"))
        self.exam = QLineEdit()
        self.exam.setAccessibleName(self.tr("Target exam"))
        self.exam.setPlaceholderText(self.tr("e.g. GCSE Mathematics"))
        self.exam_date = DateField()
        self.exam_date.setAccessibleName(self.tr("Exam date"))
        self.hours = QDoubleSpinBox()
        self.hours.setRange(0.0, 24.0)
        self.hours.setSingleStep(0.5)
        self.hours.setDecimals(1)
        self.hours.setSuffix(self.tr(" h"))
        self.hours.setAccessibleName(self.tr("Hours of study per day"))
        self.hours.setToolTip(self.tr("Between 0.5 and %1 hours.").replace("%1", f"{MAX_HOURS_PER_DAY:g}"))
        self.errors = {"grade": FieldError(self.grade), "target_exam": FieldError(self.exam),
                       "exam_date": FieldError(self.exam_date), "hours_per_day": FieldError(self.hours)}

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for text, field, key in ((self.tr("&Grade"), self.grade, "grade"),
                                 (self.tr("Target &exam"), self.exam, "target_exam"),
                                 (self.tr("Exam &date"), self.exam_date, "exam_date"),
                                 (self.tr("&Hours per day"), self.hours, "hours_per_day")):
            label = QLabel(text)
            label.setBuddy(field.edit if isinstance(field, DateField) else field)  # Alt+D types the date
            form.addRow(label, with_error(field, self.errors[key]))
        QWidget.setTabOrder(self.grade, self.exam)
        QWidget.setTabOrder(self.exam, self.exam_date.edit)
        QWidget.setTabOrder(self.exam_date.edit, self.hours)
        # A message is about the text it was given: it goes as soon as that text changes.
        for changed, key in ((self.grade.currentTextChanged, "grade"), (self.exam.textChanged, "target_exam"),
                             (self.exam_date.edit.textChanged, "exam_date"),
                             (self.hours.valueChanged, "hours_per_day")):
            changed.connect(lambda _value, key=key: self._edited(key))
        self.load(None)

    def load(self, view: ProfileView | None) -> None:
        """Show `view` (None: nothing saved yet), dropping any draft and message."""
        # No made-up default date: a student who has not chosen one is asked for it.
        self._confirmed_exam = None
        self._loading = True
        self.grade.setCurrentText(view.grade if view else "")
        self.exam.setText(view.target_exam if view else "")
        self.exam_date.set_value(view.exam_date if view else None)
        self.hours.setValue(view.hours_per_day if view else 2.0)
        self._loading = False
        self._stored_exam, self._stored = (view.exam_date if view else None), self._current()
        for error in self.errors.values():
            error.show_message(None)

    def is_dirty(self) -> bool:
        """The fields differ from what was last loaded or saved."""
        return self._current() != self._stored

    def _current(self) -> tuple[object, ...]:
        # As saving reads them: spaces around the text do not count, nor how a date is written.
        date_text = self.exam_date.edit.text().strip()
        return (self.grade.currentText().strip(), self.exam.text().strip(),
                self.exam_date.value() if self.exam_date.is_readable() else date_text, self.hours.value())

    def _edited(self, key: str) -> None:
        if self._loading:
            return
        self.errors[key].show_message(None)
        self.edited.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        # The fields pass Enter on (QLineEdit, the spin box, the editable combo box ignore it).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.save()
            return
        super().keyPressEvent(event)

    def values(self) -> dict[str, object]:
        return {"grade": self.grade.currentText(), "target_exam": self.exam.text(),
                "exam_date": self.exam_date.value(), "hours_per_day": self.hours.value()}

    def save(self) -> None:
        """Validate on the spot (pure, instant), ask once about an exam very close, then
        save and re-plan on the worker (planning a large syllabus takes a while)."""
        values, today = self.values(), self._ctx.today()
        problems = profile_service.validate_profile(today=today, **values)  # type: ignore[arg-type]
        if not self.exam_date.is_readable():
            problems["exam_date"] = "date_unreadable"
        self.show_problems(problems)
        if problems:
            return
        exam = values["exam_date"]
        assert isinstance(exam, date)
        if self._needs_confirming(exam, today):
            self._confirmed_exam = exam
            self.errors["exam_date"].show_message(self._close_message((exam - today).days))
            self.exam_date.setFocus()
            return
        student, sent = self._student_id, self._current()
        self._ctx.runner.write(lambda s: save_and_replan(s, student_id=student, today=today, **values),
                               on_success=lambda view: self._saved(view, sent), on_failure=self._failed)

    def _needs_confirming(self, exam: date, today: date) -> bool:
        return (exam - today).days <= CLOSE_DAYS and exam not in (self._stored_exam, self._confirmed_exam)

    def _saved(self, view: ProfileView, sent: tuple[object, ...]) -> None:
        # What was sent, not what the fields hold now: a change typed during the save is still unsaved.
        self._stored_exam, self._stored = view.exam_date, sent
        self.saved.emit(view)

    def _failed(self, exc: Exception) -> None:
        if not isinstance(exc, ProfileError):
            raise exc
        self.show_problems(exc.problems)

    def show_problems(self, problems: dict[str, str]) -> None:
        first = None
        for key, error in self.errors.items():
            code = problems.get(key)
            error.show_message(self._message(code) if code else None)
            if code and first is None:
                first = key
        if first is not None:
            {"grade": self.grade, "target_exam": self.exam, "exam_date": self.exam_date,
             "hours_per_day": self.hours}[first].setFocus()

    def _message(self, code: str) -> str:
        return {
            "exam_empty": self.tr("Which exam are you preparing for?"),
            "exam_too_long": self.tr("Use at most 128 characters."),
            "grade_too_long": self.tr("Use at most 32 characters."),
            "date_missing": self.tr("Type the date of your exam, or pick it from the calendar."),
            "date_unreadable": self.tr("This is not a date. Type it like %1, or pick it from the calendar.")
            .replace("%1", self.exam_date.example),
            "date_past": self.tr("This date has passed. Choose the day of your exam, today or later."),
            "hours_too_few": self.tr("Plan at least half an hour a day."),
            "hours_too_many": self.tr("More than %1 hours a day is not a plan you can keep.")
            .replace("%1", f"{MAX_HOURS_PER_DAY:g}"),
        }.get(code, code)

    def _close_message(self, days: int) -> str:
        text = (self.tr("Your exam is today? Then there is no day left to plan. If that is right, press “%1” again.")
                if days == 0 else
                self.tr("Your exam is in %n day(s). Is that the right date? If it is, press “%1” again.",
                        "", days))
        return text.replace("%1", self._action.replace("&", ""))


class ProfilePage(QWidget):
    """First run, step 2: the exam profile. `done(ProfileView)` once saved."""

    done = Signal(object)

    def __init__(self, ctx: AppContext, student_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = heading(self.tr("Your exam"))
        intro = QLabel(self.tr("Tell us about your exam. Your study plan is built from the days "
                               "left and the hours you can give each day; you can change this later in Settings."))
        intro.setWordWrap(True)
        self.step = QLabel(self.tr("Step 2 of 2"))
        start = self.tr("Start studying")
        self.form = ProfileForm(ctx, student_id, action=start)
        self.form.saved.connect(self.done)
        self.submit = button(start, icon_name="next", primary=True)
        self.submit.clicked.connect(self.form.save)
        box = QWidget()
        box.setMaximumWidth(560)
        inner = QVBoxLayout(box)
        inner.addWidget(self.step)
        inner.addWidget(title)
        inner.addWidget(intro)
        inner.addSpacing(8)
        inner.addWidget(self.form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.submit)
        inner.addLayout(row)
        centre_in(self, box)
        QWidget.setTabOrder(self.form.hours, self.submit)

    def start(self) -> None:
        self.form.exam.setFocus()
