"""Icons follow a theme switch while the app is open; widths follow a text-size change."""
from __future__ import annotations

from collections import Counter

from PySide6.QtGui import QGuiApplication, QPalette, QPixmap
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_app.ui.icons import IconLabel
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workspace import SETTINGS


def ink(pixmap: QPixmap) -> str:
    """The colour of an icon's opaque pixels (its strokes)."""
    image = pixmap.toImage()
    seen = Counter(image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())
                   if image.pixelColor(x, y).alpha() == 255)
    assert seen, "the icon drew nothing"
    return seen.most_common(1)[0][0]


def text_colour() -> str:
    return QGuiApplication.palette().color(QPalette.ColorRole.WindowText).name()


def test_icons_take_the_new_theme_at_once(home_window: MainWindow, qtbot: QtBot) -> None:
    window = home_window
    window.ctx.prefs.theme = "light"
    light = text_colour()
    nav, status = window.workspace.nav, window.sync_status.findChild(IconLabel)
    window.workspace.go(SETTINGS)
    sync_in = window.workspace.settings.sync_card.sync_in
    assert ink(nav.item(0).icon().pixmap(22, 22)) == light
    window.ctx.prefs.theme = "dark"
    dark = text_colour()
    assert dark != light
    assert ink(nav.item(0).icon().pixmap(22, 22)) == dark
    assert ink(sync_in.icon().pixmap(16, 16)) == dark
    assert ink(status.pixmap()) == dark
    window.ctx.prefs.theme = "light"
    assert ink(nav.item(0).icon().pixmap(22, 22)) == light
    assert ink(status.pixmap()) == light


def test_a_bigger_text_size_widens_the_navigation_and_the_settings_column(home_window: MainWindow,
                                                                          qtbot: QtBot) -> None:
    window = home_window
    window.ctx.prefs.font_scale = 1.0
    nav = window.workspace.nav
    settings = window.workspace.settings
    window.workspace.go(SETTINGS)
    column = settings.sync_card.parentWidget()
    narrow_nav, narrow_column = nav.width(), column.maximumWidth()
    window.ctx.prefs.font_scale = 1.5
    qtbot.waitUntil(lambda: nav.width() > narrow_nav, timeout=5000)
    assert nav.width() >= nav.sizeHintForColumn(0) + nav.frameWidth() * 2
    QApplication.processEvents()  # the layout pass after the resize
    assert not nav.horizontalScrollBar().isVisible()
    assert column.maximumWidth() == column.fontMetrics().horizontalAdvance("M") * 64 > narrow_column
