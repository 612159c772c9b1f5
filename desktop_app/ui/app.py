"""Starting the GUI: the QApplication, translations, theme, the window, and a clean exit."""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QSettings, QTranslator
from PySide6.QtWidgets import QApplication

from desktop_app.credentials import SecretStore
from desktop_app.resources import resource_path
from desktop_app.ui import qt_compat, theme
from desktop_app.ui.context import AppContext
from desktop_app.ui.error_dialog import install_error_dialog
from desktop_app.ui.main_window import MainWindow, SyncFactory
from desktop_app.ui.preferences import APPLICATION, ORGANISATION, Preferences
from desktop_app.ui.sync_controller import SyncController, UnavailableSyncController
from desktop_app.ui.tasks import TaskRunner

log = logging.getLogger(__name__)
SECRETS_FILE = "secrets.json"  # used only where the OS has no keyring (owner-only file)


def application() -> QApplication:
    qt_compat.guard()
    app = QApplication.instance()
    if app is None:
        QApplication.setOrganizationName(ORGANISATION)
        QApplication.setApplicationName(APPLICATION)
        app = QApplication(sys.argv)
    assert isinstance(app, QApplication)
    return app


def install_translations(app: QApplication) -> None:
    """English plural forms (Qt needs them even for English), then Qt's and our strings in
    the user's language where a translation exists (installed later = asked first)."""
    if app.findChild(QTranslator, "adaptive_learning_en") is not None:
        return
    folder = str(resource_path("translations"))
    for name, directory, locale in (("adaptive_learning", folder, QLocale(QLocale.Language.English)),
                                    ("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath), QLocale()),
                                    ("adaptive_learning", folder, QLocale())):
        translator = QTranslator(app)
        translator.setObjectName(f"{name}_{locale.name()}")
        if translator.load(locale, name, "_", directory):
            app.installTranslator(translator)


def build_window(data_dir: Path, *, settings: QSettings | None = None, secrets: SecretStore | None = None,
                 sync: SyncController | None = None, sync_factory: SyncFactory | None = None,
                 now: Callable[[], datetime] | None = None) -> MainWindow:
    """The window with everything it needs; call `window.start()` to open the data.

    Sync: `sync` is used from the start; `sync_factory(db, data_dir)` replaces it once the
    database is open (ui/sync_adapter.service_controller is the real one). Neither: this
    build says plainly that sync is not available."""
    app = application()
    install_translations(app)
    prefs = Preferences(settings)
    theme.apply(app, theme=prefs.theme, font_scale=prefs.font_scale)
    runner = TaskRunner(app)
    ctx = AppContext(runner=runner, prefs=prefs, secrets=secrets or SecretStore(Path(data_dir) / SECRETS_FILE),
                     sync=sync or UnavailableSyncController(app))
    if now is not None:
        ctx.now = now

    def restyle() -> None:
        theme.apply(app, theme=prefs.theme, font_scale=prefs.font_scale)

    prefs.appearance_changed.connect(restyle)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: prefs.theme == "system" and restyle())
    window = MainWindow(ctx, Path(data_dir), sync_factory=sync_factory)
    runner.setParent(window)  # one runner per window; it goes when the window goes
    if prefs.window_geometry is not None:
        window.restoreGeometry(prefs.window_geometry)
    else:
        window.resize(1180, 760)
    return window


def run_gui(data_dir: Path) -> int:
    """Run the desktop app on the database in `data_dir`; returns the exit code."""
    from desktop_app.ui.sync_adapter import service_controller

    app = application()
    window = build_window(data_dir, sync_factory=service_controller)  # real sync (and classes) once signed in
    install_error_dialog(window)  # uncaught errors: logged, and shown in one dialog
    window.show()
    window.start()
    code = app.exec()
    window.runner.shutdown()
    if window.runner.db is not None:
        window.runner.db.close()
    return code
