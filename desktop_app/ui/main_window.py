"""The one window: opening the data, first run or sign-in, then the workspace.

Everything that touches the database goes through `self.runner` (ui/tasks.py). The
window never blocks: the database is opened (and migrated) on the worker while a
"Opening…" page shows.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QStackedWidget, QWidget

from desktop_app.db.database import LocalDatabase
from desktop_app.services import dashboard
from desktop_app.services.accounts import Account
from desktop_app.services.setup import initialise
from desktop_app.ui import signin
from desktop_app.ui.context import AppContext
from desktop_app.ui.first_run import CreateAccountPage
from desktop_app.ui.icons import icon
from desktop_app.ui.login import LoginPage
from desktop_app.ui.profile_form import ProfilePage
from desktop_app.ui.status_bar import SyncStatusWidget
from desktop_app.ui.sync_controller import SyncController, SyncPhase, SyncStatus
from desktop_app.ui.workspace import Workspace


SyncFactory = Callable[[LocalDatabase, Path], SyncController]


class MainWindow(QMainWindow):
    """Signals: `ready()` once the first screen after opening is shown (tests, bench);
    `workspace_ready()` when the workspace's first page (Home; Classes for a teacher) has
    shown its data."""

    ready = Signal()
    workspace_ready = Signal()

    def __init__(self, ctx: AppContext, data_dir: Path, parent: QWidget | None = None, *,
                 sync_factory: SyncFactory | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._sync_factory = sync_factory
        self.runner = ctx.runner
        self._data_dir = data_dir
        self.account: Account | None = None
        self.workspace: Workspace | None = None
        self.profile_page: ProfilePage | None = None
        self.setWindowTitle(self.tr("Adaptive Learning"))
        self.setWindowIcon(icon("app"))
        self.pages = QStackedWidget()
        self.loading = QLabel(self.tr("Opening your study data…"))
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.first_run = CreateAccountPage(ctx)
        self.login = LoginPage(ctx)
        for page in (self.loading, self.first_run, self.login):
            self.pages.addWidget(page)
        self.setCentralWidget(self.pages)
        self.sync_status = SyncStatusWidget()
        self.statusBar().addPermanentWidget(self.sync_status)
        self.statusBar().setSizeGripEnabled(False)

        self.first_run.created.connect(self._signed_in)
        self.first_run.cancelled.connect(self._back_to_login)
        self.login.signed_in.connect(self._signed_in)
        self.login.new_account.connect(lambda: self._show_first_run(first=False))
        self.runner.changed.connect(self._local_change)
        self._install_sync(ctx.sync)
        quit_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Quit), self)
        quit_shortcut.activated.connect(self.close)
        sync_shortcut = QShortcut(QKeySequence(Qt.Key.Key_F5), self)
        sync_shortcut.activated.connect(self._sync_now)

    # --- start --------------------------------------------------------------------------

    def start(self) -> None:
        data_dir = self._data_dir
        self.runner.run(lambda: initialise(data_dir)[0], on_success=self._opened)

    def _opened(self, db: LocalDatabase) -> None:
        self.runner.db = db
        if self._sync_factory is not None:  # real sync needs the open database
            self._install_sync(self._sync_factory(db, self._data_dir))
        self.ctx.sync.start()
        store, device = self.ctx.secrets, db.device_id
        self.runner.query(lambda s: signin.start_state(s, store=store, device_id=device), on_success=self._route)
        self._count_pending()

    def _route(self, state: signin.StartState) -> None:
        if state.resumed is not None:
            self._signed_in(signin.SignedIn(state.resumed, state.has_profile))
        elif state.accounts:
            self.login.reset(state.accounts, state.last)
            self.pages.setCurrentWidget(self.login)
        else:
            self._show_first_run(first=True)
        self.ready.emit()

    def _show_first_run(self, *, first: bool) -> None:
        self.first_run.reset(first_account=first)
        self.pages.setCurrentWidget(self.first_run)
        self.first_run.username.setFocus()

    def _back_to_login(self) -> None:
        store, device = self.ctx.secrets, self.ctx.device_id
        self.runner.query(lambda s: signin.start_state(s, store=store, device_id=device),
                          on_success=self._show_login)

    def _show_login(self, state: signin.StartState) -> None:
        self.login.reset(state.accounts, state.last)
        self.pages.setCurrentWidget(self.login)
        self.login.password.setFocus()

    # --- signed in ----------------------------------------------------------------------

    def _signed_in(self, result: signin.SignedIn) -> None:
        self.account = result.account
        self.setWindowTitle(self.tr("Adaptive Learning — %1").replace("%1", result.account.display_name))
        if result.has_profile or result.account.role == "teacher":  # a teacher sits no exam: no exam step
            self._open_workspace()
            return
        self.profile_page = ProfilePage(self.ctx, result.account.id)
        self.profile_page.done.connect(lambda _view: self._open_workspace())
        self.pages.addWidget(self.profile_page)
        self.pages.setCurrentWidget(self.profile_page)
        self.profile_page.start()

    def _open_workspace(self) -> None:
        assert self.account is not None
        if self.profile_page is not None:
            self.pages.removeWidget(self.profile_page)
            self.profile_page.deleteLater()
            self.profile_page = None
        self.workspace = Workspace(self.ctx, self.account)
        self.workspace.sign_out.connect(self._sign_out)
        self.workspace.first_page.loaded.connect(self._first_page_loaded)
        self.pages.addWidget(self.workspace)
        self.pages.setCurrentWidget(self.workspace)
        self.workspace.start()

    def _first_page_loaded(self) -> None:
        self.workspace_ready.emit()

    def _sign_out(self) -> None:
        account, store, device = self.account, self.ctx.secrets, self.ctx.device_id
        self.pages.setCurrentWidget(self.loading)
        if self.workspace is not None:
            self.pages.removeWidget(self.workspace)
            self.workspace.deleteLater()
            self.workspace = None
        self.account = None
        self.setWindowTitle(self.tr("Adaptive Learning"))
        if account is not None:  # signing out means: do not sign me in again automatically
            self.runner.write(lambda s: signin.keep_signed_in(s, store=store, device_id=device,
                                                              user_id=account.id, keep=False))
        self._back_to_login()

    # --- status bar ---------------------------------------------------------------------

    def _local_change(self) -> None:
        self.ctx.sync.local_change()
        self._count_pending()

    def _count_pending(self) -> None:
        if self.ctx.sync.available or self.runner.db is None:
            return  # the sync worker drives the status bar itself
        self.runner.query(dashboard.pending_changes,
                          on_success=lambda n: self.sync_status.set_state(SyncPhase.NOT_SIGNED_IN, pending=n))

    def _install_sync(self, controller: SyncController) -> None:
        self.ctx.sync = controller
        controller.setParent(self)
        controller.status_changed.connect(self._sync_status)
        controller.data_changed.connect(self._remote_change)

    def _sync_now(self) -> None:
        if self.ctx.sync.available and self.ctx.sync.signed_in:
            self.ctx.sync.sync_now()

    def _remote_change(self) -> None:
        if self.workspace is not None:
            self.workspace.reload_visible()

    def _sync_status(self, status: SyncStatus) -> None:
        self.sync_status.set_status(status)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.ctx.prefs.window_geometry = self.saveGeometry()
        self.ctx.sync.shutdown()  # before the task runner and the database stop
        super().closeEvent(event)
