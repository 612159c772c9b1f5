"""Study plan: the days until the exam, each day's topics and minutes, ticked off when done."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTreeView, QVBoxLayout, QWidget
from sqlalchemy.orm import Session

from desktop_app.services import planning, profile
from desktop_app.services.planning import PlanInputError, PlanItemView, PlanView
from desktop_app.ui.context import AppContext
from desktop_app.ui.exam_day import ExamDay, exam_day
from desktop_app.ui.theme import heading
from desktop_app.ui.widgets import PAGE_MARGINS, Notice, button

_KEY = Qt.ItemDataRole.UserRole + 1


def item_text(widget: QWidget, item: PlanItemView) -> str:
    kind = {"learn": widget.tr("learn"), "practise": widget.tr("practise"),
            "revision": widget.tr("revise")}.get(item.kind, item.kind)
    return widget.tr("%1 — %2 · %3 min").replace("%1", item.topic_name).replace("%2", kind).replace(
        "%3", str(item.minutes))


@dataclass(frozen=True)
class PlanData:
    plan: PlanView | None
    exam_date: date | None  # the profile's, which there is even when no plan can be made
    target_exam: str


def load_plan(session: Session, *, student_id: str, today: date) -> PlanData:
    """The page's read model (worker thread; current_plan may re-plan and write)."""
    details = profile.get_profile(session, student_id=student_id)
    return PlanData(plan=planning.current_plan(session, student_id=student_id, today=today),
                    exam_date=details.exam_date if details else None,
                    target_exam=details.target_exam if details else "")


SPARE_SHARE = 0.75  # a plan using at most this share of the coming days' hours says why


class PlanPage(QWidget):
    """Signals: `loaded()` after a plan (or its absence) is shown; `open_settings()`."""

    loaded = Signal()
    open_settings = Signal()

    def __init__(self, ctx: AppContext, student_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._student_id = ctx, student_id
        self.plan: PlanView | None = None
        self._exam_date: date | None = None
        self._target_exam = ""
        self._filling = False

        title = heading(self.tr("Study plan"))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.statement = Notice(icon_name="warning")
        self.statement.hide()
        self.message = Notice(icon_name="info")
        self.message.hide()
        self.replan_button = button(self.tr("&Re-plan now"), icon_name="replan",
                                    tooltip=self.tr("Build the plan again from your current mastery"))
        self.replan_button.clicked.connect(self.replan)
        self.settings_button = button(self.tr("Exam settings…"), icon_name="settings")
        self.settings_button.clicked.connect(self.open_settings)
        self.model = QStandardItemModel(self)
        self.model.setHorizontalHeaderLabels([self.tr("Day and topic"), self.tr("Minutes")])
        self.model.itemChanged.connect(self._item_changed)
        self.view = QTreeView()
        self.view.setModel(self.model)
        self.view.setAccessibleName(self.tr("Plan by day"))
        self.view.setToolTip(self.tr("Press Space to mark the selected item done"))
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setEditTriggers(QTreeView.EditTrigger.NoEditTriggers)

        actions = QHBoxLayout()
        actions.addWidget(self.summary, 1)
        actions.addWidget(self.settings_button)
        actions.addWidget(self.replan_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(*PAGE_MARGINS)
        layout.addWidget(title)
        layout.addLayout(actions)
        layout.addWidget(self.statement)
        layout.addWidget(self.message)
        layout.addWidget(self.view, 1)
        QWidget.setTabOrder(self.settings_button, self.replan_button)
        QWidget.setTabOrder(self.replan_button, self.view)

    # --- loading ------------------------------------------------------------------------

    def refresh(self) -> None:
        student, today = self._student_id, self._ctx.today()
        self._ctx.runner.write(lambda s: load_plan(s, student_id=student, today=today), on_success=self._loaded)

    def _loaded(self, data: PlanData) -> None:
        self._exam_date, self._target_exam = data.exam_date, data.target_exam
        self.show_plan(data.plan)

    def replan(self) -> None:
        student, today = self._student_id, self._ctx.today()
        self.replan_button.setEnabled(False)
        self._ctx.runner.write(lambda s: planning.replan(s, student_id=student, today=today),
                               on_success=self.show_plan, on_failure=self._plan_failed)

    def _plan_failed(self, exc: Exception) -> None:
        self.replan_button.setEnabled(True)
        if not isinstance(exc, PlanInputError):
            raise exc
        self.message.set_text(str(exc))
        self.message.show()
        self.loaded.emit()

    def _exam(self, plan: PlanView | None) -> ExamDay:
        return exam_day(exam_date=plan.exam_date if plan else self._exam_date, today=self._ctx.today(),
                        target_exam=self._target_exam, locale=self.locale())

    def show_plan(self, plan: PlanView | None) -> None:
        self.plan = plan
        exam = self._exam(plan)
        self.replan_button.setEnabled(True)
        # On the exam day and after it there is nothing left to plan (nor anything to cut).
        self.replan_button.setVisible(exam.plan_note is None)
        self.message.hide()
        self._filling = True
        self.model.removeRows(0, self.model.rowCount())
        if exam.plan_note is not None:
            self.summary.setText(exam.line)
            self.message.set_text(exam.plan_note)
            self.message.show()
            self.statement.hide()
        elif plan is None:
            self.summary.setText(self.tr("No plan yet."))
            self.message.set_text(self.tr("Press “Re-plan now” to build a plan from today to your exam."))
            self.message.show()
            self.statement.hide()
        else:
            self._show_summary(plan, exam)
            self.statement.setVisible(bool(plan.statement))
            self.statement.set_text(plan.statement or "")
            spare = self._spare_time(plan)
            if spare is not None:
                self.message.set_text(spare)
                self.message.show()
        if plan is None:
            self._filling = False
            self.loaded.emit()
            return
        today = self._ctx.today()
        current = None
        for day in plan.days:  # on the exam day, the days before it as they were
            day_item, minutes_item = self._day_row(day.day, today, sum(i.minutes for i in day.items),
                                                   day.capacity_minutes)
            for item in day.items:
                child = QStandardItem(item_text(self, item))
                child.setCheckable(True)
                child.setCheckState(Qt.CheckState.Checked if item.done else Qt.CheckState.Unchecked)
                child.setData((day.day, item.topic_id, item.kind), _KEY)
                child.setToolTip(self.tr("Tick when done (Space)"))
                mins = QStandardItem(str(item.minutes))
                mins.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                day_item.appendRow([child, mins])
            if not day.items:
                rest = QStandardItem(self.tr("Rest day"))
                rest.setEnabled(False)
                day_item.appendRow([rest, QStandardItem("")])
            self.model.appendRow([day_item, minutes_item])
            if day.day == today or (current is None and day.day > today):
                current = day_item
        self._filling = False
        self.view.expandAll()
        self.view.resizeColumnToContents(1)
        self.view.header().setStretchLastSection(False)
        self.view.header().setSectionResizeMode(0, self.view.header().ResizeMode.Stretch)
        if current is not None:
            self.view.setCurrentIndex(current.index())
            self.view.scrollTo(current.index(), QTreeView.ScrollHint.PositionAtTop)
        self.loaded.emit()

    def _day_row(self, day: date, today: date, minutes: int, capacity: int) -> tuple[QStandardItem, QStandardItem]:
        label = self.locale().toString(day, "dddd d MMMM")
        if day == today:
            label = self.tr("Today — %1").replace("%1", label)
        item = QStandardItem(label)
        item.setSelectable(True)
        item.setToolTip(self.tr("%1 of %2 minutes planned").replace("%1", str(minutes)).replace("%2", str(capacity)))
        if day < today:
            item.setForeground(self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
            item.setToolTip(self.tr("Past day: what was left undone has moved to the coming days"))
        if day == today:
            font = QFont(item.font())
            font.setBold(True)
            item.setFont(font)
        total = QStandardItem(self.tr("%1 / %2").replace("%1", str(minutes)).replace("%2", str(capacity)))
        total.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item, total

    # --- ticking ------------------------------------------------------------------------

    def _item_changed(self, item: QStandardItem) -> None:
        if self._filling:
            return
        # Read through the model, not QStandardItem.data(): in PySide6 6.12 on Python 3.11 the
        # latter drops a reference to None for a role that holds nothing (a day row here),
        # which crashes the interpreter at exit.
        key = self.model.data(item.index(), _KEY)
        if not key:
            return
        day, topic_id, kind = key
        done = item.checkState() == Qt.CheckState.Checked
        student = self._student_id
        self._ctx.runner.write(
            lambda s: planning.mark_done(s, student_id=student, day=day, topic_id=topic_id, kind=kind, done=done),
            on_success=self._marked)

    def _marked(self, plan: PlanView) -> None:
        # Keep the tree (and the keyboard position) as it is; only the summary changes.
        self.plan = plan
        exam = self._exam(plan)
        if exam.plan_note is None:
            self._show_summary(plan, exam)
        self.loaded.emit()

    def _spare_time(self, plan: PlanView) -> str | None:
        """Why the days hold less than the hours the student gives (30 of 120 minutes, say):
        the syllabus needs less, and the planner spreads it evenly rather than filling the
        first weeks. Unexplained, that reads as a plan that ignored the hours."""
        today = self._ctx.today()
        coming = [d for d in plan.days if d.day >= today]
        planned = sum(i.minutes for d in coming for i in d.items)
        capacity = sum(d.capacity_minutes for d in coming)
        if plan.statement or not capacity or planned > SPARE_SHARE * capacity:
            return None
        return (self.tr("Everything fits, with time to spare: %1 of your %2 hours before the exam are planned, "
                        "spread evenly so that a missed day is easily made up. The rest is yours for extra "
                        "practice.")
                .replace("%1", f"{planned / 60:.0f}").replace("%2", f"{capacity / 60:.0f}"))

    def _show_summary(self, plan: PlanView, exam: ExamDay) -> None:
        planned = sum(i.minutes for d in plan.days for i in d.items)
        done = sum(i.minutes for d in plan.days for i in d.items if i.done)
        made = self.locale().toString(plan.created_at.astimezone(), "d MMM, HH:mm")
        self.summary.setText(self.tr("%n day(s) until the exam · %1 of %2 hours done · plan made %3", "",
                                     exam.days_left or 0)
                             .replace("%1", f"{done / 60:.1f}").replace("%2", f"{planned / 60:.1f}")
                             .replace("%3", made))
