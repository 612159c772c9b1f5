"""The mastery chart on Home is reachable and readable with the keyboard alone."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolTip
from pytestqt.qtbot import QtBot

from desktop_app.ui.main_window import MainWindow
from tests.desktop_app.ui.conftest import focused


def test_tab_reaches_the_chart_and_arrows_walk_its_bars(qtbot: QtBot, home_window: MainWindow) -> None:
    chart = home_window.workspace.home.chart
    bars = chart.bars()
    assert len(bars) > 3
    home_window.workspace.home.practise_now.setFocus()
    for _ in range(30):  # Tab through the screen until the chart has the keyboard
        if focused() is chart:
            break
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is chart
    qtbot.keyClick(chart, Qt.Key.Key_Down)
    assert chart.current == 0 and QToolTip.text().startswith(f"{bars[0].label}: {bars[0].value:.0f}/100")
    qtbot.keyClick(chart, Qt.Key.Key_Down)
    qtbot.keyClick(chart, Qt.Key.Key_Down)
    assert chart.current == 2 and chart.accessibleDescription().startswith(bars[2].label)
    qtbot.keyClick(chart, Qt.Key.Key_Up)
    assert chart.current == 1
    qtbot.keyClick(chart, Qt.Key.Key_End)
    assert chart.current == len(bars) - 1
    qtbot.keyClick(chart, Qt.Key.Key_Down)  # stays on the last bar
    assert chart.current == len(bars) - 1
    qtbot.keyClick(chart, Qt.Key.Key_Home)
    assert chart.current == 0
    assert not chart.grab().toImage().isNull()


def test_names_that_do_not_fit_beside_the_bars_go_above_them_in_full(qtbot: QtBot) -> None:
    """At a large text size or in a narrow window Home read "Fractions, …", "Linear eq…"."""
    from desktop_app.ui.charts import Bar, MasteryChart

    chart = MasteryChart()
    qtbot.addWidget(chart)
    names = ["Fractions, decimals and percentages", "Linear equations and inequalities", "Sequences"]
    chart.set_bars([Bar(name, 40.0) for name in names])
    fm = chart.fontMetrics()
    wide = 4 * max(fm.horizontalAdvance(n) for n in names)
    narrow = int(1.2 * max(fm.horizontalAdvance(n) for n in names))
    assert chart.height_for(narrow) > chart.height_for(wide)  # a line more per bar
    chart.resize(narrow, chart.height_for(narrow))
    chart.show()
    qtbot.waitExposed(chart)
    label_w, _, track_w = chart._geometry()
    assert label_w < fm.height() * 2 and track_w > narrow / 2  # the bars start under the names
    chart.resize(wide, chart.height_for(wide))
    label_w, _, _ = chart._geometry()
    assert label_w > max(fm.horizontalAdvance(n) for n in names)  # beside the bars, in full


def test_home_scrolls_only_when_the_chart_needs_the_room(qtbot: QtBot, home_window: MainWindow) -> None:
    from PySide6.QtWidgets import QScrollArea

    home = home_window.workspace.home
    bar = home.findChild(QScrollArea).verticalScrollBar()
    chart = home.chart
    qtbot.waitUntil(lambda: chart.height() == chart.height_for(chart.width()))
    assert not chart._stacked() and not bar.isVisible()  # everything fits: no scroll bar
    home_window.ctx.prefs.font_scale = 1.5
    qtbot.waitUntil(lambda: chart._stacked() and chart.height() == chart.height_for(chart.width()))
    assert bar.isVisible()  # names above their bars, every bar inside the chart: Home scrolls
    home_window.ctx.prefs.font_scale = 1.0
    qtbot.waitUntil(lambda: not chart._stacked() and not bar.isVisible())
