"""The exam profile: a form (also used in Settings) and the first-run wizard page around it."""
from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget,
)

from desktop_app.services import profile as profile_service
from desktop_app.services.profile import MAX_HOURS_PER_DAY, ProfileError, ProfileView
from desktop_app.ui.context import AppContext
from desktop_app.ui.theme import heading
from desktop_app.ui.widgets import FieldError, button, centre_in, with_error

GRADES = ("Year 9", "Year 10", "Year 11", "Year 12", "Year 13")


class ProfileForm(QWidget):
    """Grade, target exam, exam date, hours per day, each with its message beside it.

    `saved(ProfileView)` after the profile is committed."""

    saved = Signal(object)

    def __init__(self, ctx: AppContext, student_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._student_id = ctx, student_id
        self.grade = QComboBox()
        self.grade.setEditable(True)
        self.grade.addItems(["", *GRADES])
        self.grade.setAccessibleName(self.tr("Grade or year"))
        self.grade.lineEdit().setPlaceholderText(self.tr("optional"))
        self.exam = QLineEdit()
        self.exam.setAccessibleName(self.tr("Target exam"))
        self.exam.setPlaceholderText(self.tr("e.g. GCSE Mathematics"))
        self.exam_date = QDateEdit()
        self.exam_date.setCalendarPopup(True)
        self.exam_date.setDisplayFormat("d MMM yyyy")
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
            label.setBuddy(field)
            form.addRow(label, with_error(field, self.errors[key]))
        QWidget.setTabOrder(self.grade, self.exam)
        QWidget.setTabOrder(self.exam, self.exam_date)
        QWidget.setTabOrder(self.exam_date, self.hours)
        self.load(None)

    def load(self, view: ProfileView | None) -> None:
        today = self._ctx.today()
        exam = view.exam_date if view and view.exam_date else today + timedelta(days=90)
        self.grade.setCurrentText(view.grade if view else "")
        self.exam.setText(view.target_exam if view else "")
        self.exam_date.setDate(QDate(exam.year, exam.month, exam.day))
        self.hours.setValue(view.hours_per_day if view else 2.0)
        for error in self.errors.values():
            error.show_message(None)

    def values(self) -> dict[str, object]:
        qd = self.exam_date.date()
        return {"grade": self.grade.currentText(), "target_exam": self.exam.text(),
                "exam_date": date(qd.year(), qd.month(), qd.day()), "hours_per_day": self.hours.value()}

    def save(self) -> None:
        """Validate on the spot (pure, instant), then save on the worker."""
        values, today = self.values(), self._ctx.today()
        problems = profile_service.validate_profile(today=today, **values)  # type: ignore[arg-type]
        self.show_problems(problems)
        if problems:
            return
        student = self._student_id
        self._ctx.runner.write(
            lambda s: profile_service.save_profile(s, student_id=student, today=today, **values),  # type: ignore[arg-type]
            on_success=self.saved.emit, on_failure=self._failed)

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
            "date_missing": self.tr("Choose the date of your exam."),
            "date_past": self.tr("This date has passed. Choose the day of your exam, today or later."),
            "hours_not_positive": self.tr("Plan at least half an hour a day."),
            "hours_too_many": self.tr("More than %1 hours a day is not a plan you can keep.")
            .replace("%1", f"{MAX_HOURS_PER_DAY:g}"),
        }.get(code, code)


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
        self.form = ProfileForm(ctx, student_id)
        self.form.saved.connect(self.done)
        self.submit = button(self.tr("Start studying"), icon_name="next", primary=True)
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

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.form.save()
            return
        super().keyPressEvent(event)
