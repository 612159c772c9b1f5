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
