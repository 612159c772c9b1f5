"""Home: the exam countdown, today's plan, mastery per topic, the weakest concepts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QProgressBar, QSizePolicy,
    QWidget,
)
from sqlalchemy.orm import Session

from desktop_app.services import dashboard, planning
from desktop_app.services.dashboard import HomeView
from desktop_app.services.planning import PlanDayView, PlanView
from desktop_app.ui.charts import Bar, MasteryChart
from desktop_app.ui.context import AppContext
from desktop_app.ui.exam_day import ExamDay, exam_day
from desktop_app.ui.plan import item_text
from desktop_app.ui.theme import ScaledLabel, heading
from desktop_app.ui.widgets import Card, button, scrolling_page


@dataclass(frozen=True)
class HomeData:
    view: HomeView
    today: PlanDayView | None
    plan: PlanView | None


def load_home(session: Session, *, student_id: str, now: datetime, today: date) -> HomeData:
    """Home's read model plus today's plan (worker thread; current_plan may re-plan and write)."""
    view = dashboard.home(session, student_id=student_id, now=now)
    plan = planning.current_plan(session, student_id=student_id, today=today) if view.exam_date else None
    day = next((d for d in plan.days if d.day == today), None) if plan else None
    return HomeData(view=view, today=day, plan=plan)


class HomePage(QWidget):
    """Signals: `practise(concept_id or None)`, `open_plan()`, `open_settings()`; `loaded()` after data shows."""

    practise = Signal(object)
    open_plan = Signal()
    open_settings = Signal()
    loaded = Signal()

    def __init__(self, ctx: AppContext, student_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._student_id = ctx, student_id
        self.data: HomeData | None = None

        self.greeting = heading(self.tr("Home"))
        self.practise_now = button(self.tr("&Practise now"), icon_name="play", primary=True,
                                   tooltip=self.tr("Start practice with the question that helps you most now"))
        self.practise_now.clicked.connect(lambda: self.practise.emit(None))
        top = QHBoxLayout()
        top.addWidget(self.greeting, 1)
        top.addWidget(self.practise_now, 0, Qt.AlignmentFlag.AlignTop)

        self.countdown_card = Card(self.tr("Exam"))
        self.days = ScaledLabel(scale=2.2, bold=True)
        self.days.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.exam_line = QLabel()
        self.exam_line.setWordWrap(True)
        self.answered = QLabel()
        self.answered.setWordWrap(True)
        self.set_exam = button(self.tr("Set exam date…"), icon_name="settings")
        self.set_exam.clicked.connect(self.open_settings)
        for w in (self.days, self.exam_line, self.answered, self.set_exam):
            self.countdown_card.body.addWidget(w)
        self.countdown_card.body.addStretch(1)

        self.plan_card = Card(self.tr("Today's plan"))
        self.plan_progress = QProgressBar()
        self.plan_progress.setAccessibleName(self.tr("Today's plan progress"))
        self.plan_items = QLabel()
        self.plan_items.setWordWrap(True)
        self.plan_items.setTextFormat(Qt.TextFormat.PlainText)
        self.open_plan_button = button(self.tr("Open study plan"), icon_name="plan")
        self.open_plan_button.clicked.connect(self.open_plan)
        for w in (self.plan_progress, self.plan_items):
            self.plan_card.body.addWidget(w)
        self.plan_card.body.addStretch(1)
        self.plan_card.body.addWidget(self.open_plan_button, 0, Qt.AlignmentFlag.AlignLeft)

        self.chart_card = Card(self.tr("Mastery per topic"))
        self.chart = MasteryChart()
        self.chart_card.body.addWidget(self.chart)
        self.chart_card.body.addStretch(1)

        self.weak_card = Card(self.tr("Weakest concepts"))
        self.weakest = QListWidget()
        self.weakest.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.weakest.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.weakest.setSizeAdjustPolicy(QListWidget.SizeAdjustPolicy.AdjustToContents)
        self.weakest.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.weakest.setSpacing(2)
        self.weakest.setAccessibleName(self.tr("Weakest concepts"))
        self.weakest.setToolTip(self.tr("Press Enter or double-click to practise a concept"))
        self.weakest.itemActivated.connect(lambda item: self.practise.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.weak_empty = QLabel(self.tr("Answer a few questions and the concepts that need work appear here."))
        self.weak_empty.setWordWrap(True)
        self.practise_weak = button(self.tr("Practise this concept"), icon_name="play",
                                    tooltip=self.tr("Practise the concept selected above (Enter)"))
        self.practise_weak.clicked.connect(self._practise_selected)
        self.weak_card.body.addWidget(self.weakest)
        self.weak_card.body.addWidget(self.weak_empty)
        self.weak_card.body.addWidget(self.practise_weak, 0, Qt.AlignmentFlag.AlignLeft)
        self.weak_card.body.addStretch(1)

        grid = QGridLayout()
        grid.setSpacing(12)
        grid.addWidget(self.countdown_card, 0, 0)
        grid.addWidget(self.plan_card, 0, 1)
        grid.addWidget(self.chart_card, 1, 0)
        grid.addWidget(self.weak_card, 1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        column = scrolling_page(self)
        column.addLayout(top)
        column.addLayout(grid)
        column.addStretch(1)
        QWidget.setTabOrder(self.practise_now, self.set_exam)
        QWidget.setTabOrder(self.set_exam, self.open_plan_button)
        QWidget.setTabOrder(self.open_plan_button, self.weakest)
        QWidget.setTabOrder(self.weakest, self.practise_weak)

    def refresh(self) -> None:
        student, now, today = self._student_id, self._ctx.now(), self._ctx.today()
        self._ctx.runner.write(lambda s: load_home(s, student_id=student, now=now, today=today),
                               on_success=self.show_data)

    def show_data(self, data: HomeData) -> None:
        self.data = data
        v = data.view
        self.greeting.setText(self.tr("Hello, %1").replace("%1", v.student_name) if v.student_name else self.tr("Home"))
        exam = exam_day(exam_date=v.exam_date, today=self._ctx.today(), target_exam=v.target_exam,
                        locale=self.locale())
        self.days.setText(exam.headline)
        self.exam_line.setText(exam.line)
        self.set_exam.setVisible(exam.days_left is None or exam.days_left < 0)
        self.answered.setText(self.tr("Today: %1 answered, %2 right · %3 in total")
                              .replace("%1", str(v.attempts_today)).replace("%2", str(v.correct_today))
                              .replace("%3", str(v.total_attempts)))
        self._show_plan(data, exam)
        self.chart.set_bars([Bar(t.name, t.mastery or 0.0, self._topic_detail(t), locked=not t.unlocked)
                             for t in v.topics])
        self.weakest.clear()
        for c in v.weakest:
            item = QListWidgetItem(self.tr("%1\nmastery %3 · %2").replace("%1", c.name)
                                   .replace("%2", c.topic_name).replace("%3", f"{c.mastery:.0f}"))
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            item.setToolTip(c.name + "\n" + self.tr("%n attempt(s). Press Enter to practise.", "", c.attempts))
            self.weakest.addItem(item)
        self.weakest.setVisible(bool(v.weakest))
        self.practise_weak.setVisible(bool(v.weakest))
        self.weak_empty.setVisible(not v.weakest)
        if v.weakest:
            self.weakest.setCurrentRow(0)
            row = 2 * self.fontMetrics().lineSpacing() + 2 * self.weakest.spacing() + 2
            self.weakest.setMinimumHeight(row * self.weakest.count() + 2 * self.weakest.frameWidth())
        self.loaded.emit()

    def _practise_selected(self) -> None:
        item = self.weakest.currentItem()
        if item is not None:
            self.practise.emit(item.data(Qt.ItemDataRole.UserRole))

    def _topic_detail(self, t: dashboard.TopicNode) -> str:
        if t.unlocked:
            return self.tr("%n attempt(s)", "", t.attempts)
        return self.tr("Locked. Needs: %1").replace("%1", ", ".join(f"{n} ({m:.0f})" for n, m in t.missing))

    def _show_plan(self, data: HomeData, exam: ExamDay) -> None:
        day = data.today
        if exam.plan_note is not None:  # the exam day, or after it
            self.plan_progress.hide()
            self.plan_items.setText(exam.plan_note)
            return
        if data.plan is None:
            self.plan_progress.hide()
            self.plan_items.setText(self.tr("No plan yet. Set your exam date and hours in Settings, "
                                            "then make a plan.") if data.view.exam_date is None
                                    else self.tr("No plan yet. Open the study plan to make one."))
            return
        if day is None or not day.items:
            self.plan_progress.hide()
            self.plan_items.setText(self.tr("Nothing planned for today. Rest, or practise anything you like."))
            return
        total = sum(i.minutes for i in day.items)
        done = sum(i.minutes for i in day.items if i.done)
        self.plan_progress.show()
        self.plan_progress.setRange(0, max(total, 1))
        self.plan_progress.setValue(done)
        self.plan_progress.setFormat(self.tr("%1 of %2 min").replace("%1", str(done)).replace("%2", str(total)))
        self.plan_items.setText("\n".join(("✓ " if i.done else "○ ") + item_text(self, i) for i in day.items))
