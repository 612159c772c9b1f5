"""The signed-in window content: a navigation list and one screen per module."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QStackedWidget, QWidget

from desktop_app.services.accounts import Account
from desktop_app.ui.classes import ClassesPage
from desktop_app.ui.context import AppContext
from desktop_app.ui.home import HomePage
from desktop_app.ui.icons import icon
from desktop_app.ui.plan import PlanPage
from desktop_app.ui.practice import PracticePage
from desktop_app.ui.settings import SettingsPage
from desktop_app.ui.syllabus import SyllabusPage

HOME, PRACTICE, PLAN, SYLLABUS, SETTINGS, CLASSES = range(6)  # page indices, whatever the role
_STUDENTS_ONLY = (HOME, PLAN)  # a teacher sits no exam: no countdown, no study plan


class Workspace(QWidget):
    """A teacher's navigation is Practice (to try the questions), Syllabus, Settings and
    Classes, and opens on Classes; a student's has Home and the Study plan too, and opens on
    Home. Every page keeps its index (HOME...CLASSES) either way; Ctrl+1... follow the
    entries shown.

    Signals: `sign_out()`; `first_page` is the page shown on opening (its `loaded()` signal
    says the workspace is ready)."""

    sign_out = Signal()

    def __init__(self, ctx: AppContext, account: Account, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.account = account
        self.home = HomePage(ctx, account.id)
        self.practice = PracticePage(ctx, account.id)
        self.plan = PlanPage(ctx, account.id)
        self.syllabus = SyllabusPage(ctx, account.id, publish=account.role == "teacher")
        self.settings = SettingsPage(ctx, account)
        teacher = account.role == "teacher"
        self.classes = ClassesPage(ctx, ctx.sync.classes_client()) if teacher else None
        self._first = CLASSES if teacher else HOME
        self.first_page = self.classes if self.classes is not None else self.home
        self.pages = QStackedWidget()
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName(self.tr("Sections"))
        self.nav.setIconSize(QSize(22, 22))
        entries = ((self.home, self.tr("Home"), "home"), (self.practice, self.tr("Practice"), "practice"),
                   (self.plan, self.tr("Study plan"), "plan"), (self.syllabus, self.tr("Syllabus"), "syllabus"),
                   (self.settings, self.tr("Settings"), "settings"))
        if self.classes is not None:
            entries += ((self.classes, self.tr("Classes"), "account"),)
        number = 0
        for index, (page, label, icon_name) in enumerate(entries):
            self.pages.addWidget(page)
            item = QListWidgetItem(icon(icon_name), label)
            self.nav.addItem(item)
            if teacher and index in _STUDENTS_ONLY:
                item.setHidden(True)
                continue
            number += 1
            item.setToolTip(self.tr("%1 (Ctrl+%2)").replace("%1", label).replace("%2", str(number)))
            for modifier in ("Ctrl", "Alt"):
                shortcut = QShortcut(QKeySequence(f"{modifier}+{number}"), self)
                shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
                shortcut.activated.connect(lambda i=index: self.go(i, focus_page=True))
        self._fit_nav()
        # After the restyle (connected first, in app.build_window): the text size changed while open.
        ctx.prefs.appearance_changed.connect(self._fit_nav)
        self.nav.currentRowChanged.connect(self._show)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.pages, 1)

        self.home.practise.connect(self._practise_from_home)
        self.home.open_plan.connect(lambda: self.go(PLAN))
        self.home.open_settings.connect(lambda: self.go(SETTINGS))
        self.plan.open_settings.connect(lambda: self.go(SETTINGS))
        self.syllabus.practise.connect(self.practise_concept)
        self.settings.sign_out.connect(self.sign_out)
        self.home.loaded.connect(self.practice.prefetch)  # a no-op once a question is waiting
        QWidget.setTabOrder(self.nav, self.pages)

    def _fit_nav(self) -> None:
        """The list as wide as its longest entry, for the text size of the moment."""
        self.nav.setFixedWidth(max(self.nav.sizeHintForColumn(0), 120) + 28)

    def start(self) -> None:
        self.nav.setCurrentRow(self._first)  # shows the page and loads its data (currentRowChanged)

    def go(self, index: int, *, focus_page: bool = False) -> None:
        if self.nav.currentRow() != index:
            self.nav.setCurrentRow(index)
        if focus_page:  # from a shortcut: the keyboard lands in the screen, not in the list
            page = self.pages.currentWidget()
            if page is self.practice:
                self.practice.focus_answer()
            else:
                page.setFocus()
                page.focusNextChild()

    def _show(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        page = self.pages.widget(index)
        if page is self.practice:
            self.practice.ensure_question()
        elif hasattr(page, "refresh"):
            page.refresh()

    def reload_visible(self) -> None:
        """Another laptop or the teacher changed data (a sync pulled it): show it now (GUI
        thread; the reads run on the task runner, as when a screen is shown).

        Home, the Study plan, the Syllabus and Settings reload. Settings reloads as when it is
        shown (`SettingsPage.refresh`): the exam card takes the synced details only when it
        holds no unsaved draft ("Not saved yet"), which stays as typed otherwise; the sync
        sign-in form is not read again, so nothing typed into it moves, and its list of
        refused changes follows the sync controller's own signal. Practice keeps the question
        being answered (read afresh when next shown). Classes is not among them: it shows the
        server's numbers, fetched on its own. The hidden screens reload when they are shown,
        as always.
        """
        page = self.pages.currentWidget()
        if page in (self.home, self.plan, self.syllabus, self.settings):
            page.refresh()

    def _practise_from_home(self, concept_id: str | None) -> None:
        if concept_id is None:
            self.practice.start(None)
            self.go(PRACTICE)
            return
        name = next((c.name for c in (self.home.data.view.weakest if self.home.data else []) if c.id == concept_id),
                    "")
        self.practise_concept((concept_id, name))

    def practise_concept(self, focus: tuple[str, str]) -> None:
        self.practice.start(focus)
        self.go(PRACTICE)
