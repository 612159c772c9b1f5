"""Radio buttons, check boxes and the slider stand out from their card in both themes, show
the accent when on, and grow with the text size; the selected navigation entry stays legible."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import (
    QAbstractButton, QApplication, QCheckBox, QRadioButton, QSlider, QStyle, QStyleOptionButton,
    QStyleOptionSlider, QTreeWidget, QTreeWidgetItem,
)
from pytestqt.qtbot import QtBot

from desktop_app.ui import theme
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.widgets import Card

R = QPalette.ColorRole


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colours."""
    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def colours(image: QImage, rect: QRect) -> list[QColor]:
    return [image.pixelColor(x, y) for x in range(rect.left(), rect.right() + 1)
            for y in range(rect.top(), rect.bottom() + 1)]


def edge(rect: QRect) -> QRect:
    """The indicator's left border band, across its middle (where a circle's edge is too)."""
    middle = rect.center().y()
    return QRect(rect.left(), middle - 1, max(2, rect.width() // 5), 3)


def near(colour: QColor, target: QColor, tolerance: int = 24) -> bool:
    return max(abs(colour.red() - target.red()), abs(colour.green() - target.green()),
               abs(colour.blue() - target.blue())) <= tolerance


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[QApplication]:
    yield qapp
    theme.apply(qapp, theme="light", font_scale=1.0)


def indicator(button: QAbstractButton) -> QRect:
    """Where the style draws `button`'s indicator, in the button's coordinates."""
    option = QStyleOptionButton()
    option.initFrom(button)
    element = (QStyle.SubElement.SE_RadioButtonIndicator if isinstance(button, QRadioButton)
               else QStyle.SubElement.SE_CheckBoxIndicator)
    return button.style().subElementRect(element, option, button)


def card_with(qtbot: QtBot, *widgets) -> Card:  # type: ignore[no-untyped-def]
    card = Card()
    for widget in widgets:
        card.body.addWidget(widget)
    qtbot.addWidget(card)
    card.show()
    qtbot.waitExposed(card)
    return card


@pytest.mark.parametrize("scheme", ["dark", "light"])
@pytest.mark.parametrize("kind", [QRadioButton, QCheckBox])
def test_indicators_stand_out_from_the_card_and_show_the_accent_when_on(
        themed: QApplication, qtbot: QtBot, scheme: str, kind: type[QAbstractButton]) -> None:
    theme.apply(themed, theme=scheme, font_scale=1.0)
    off, on = kind("Off"), kind("On")
    on.setChecked(True)
    card = card_with(qtbot, off, on)
    background = card.palette().color(R.AlternateBase)
    picture = card.grab().toImage()
    assert picture.pixelColor(3, card.height() // 2) == background  # the card's fill, inside its border
    accent = card.palette().color(R.Highlight)
    for button in (off, on):
        rect = indicator(button).translated(button.pos())
        assert max(contrast(c, background) for c in colours(picture, edge(rect))) >= 3, button.text()
    inside = colours(picture, indicator(on).translated(on.pos()))
    assert any(near(c, accent) for c in inside), "the chosen one shows the accent"
    assert not any(near(c, accent) for c in colours(picture, indicator(off).translated(off.pos())))


def test_a_study_plan_tick_box_stands_out_from_its_row(themed: QApplication, qtbot: QtBot) -> None:
    theme.apply(themed, theme="dark", font_scale=1.0)
    tree = QTreeWidget()
    tree.setHeaderHidden(True)
    item = QTreeWidgetItem(["Fractions — learn · 30 min"])
    item.setCheckState(0, Qt.CheckState.Unchecked)
    tree.addTopLevelItem(item)
    qtbot.addWidget(tree)
    tree.show()
    qtbot.waitExposed(tree)
    row = tree.visualItemRect(item)
    picture = tree.viewport().grab().toImage()
    background = picture.pixelColor(row.right() - 2, row.center().y())
    box = QRect(row.left(), row.top(), row.height(), row.height())  # the tick box leads the row
    assert max(contrast(c, background) for c in colours(picture, box)) >= 3


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_the_confidence_slider_stands_out_from_the_card(themed: QApplication, qtbot: QtBot, scheme: str) -> None:
    theme.apply(themed, theme=scheme, font_scale=1.0)
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(0, 5)
    slider.setTickPosition(QSlider.TickPosition.TicksBelow)
    slider.setValue(2)
    card = card_with(qtbot, slider)
    background = card.palette().color(R.AlternateBase)
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    handle = slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                           QStyle.SubControl.SC_SliderHandle, slider)
    picture = slider.grab().toImage()
    accent = slider.palette().color(R.Highlight)
    assert any(near(c, accent) for c in colours(picture, handle)), "the handle is in the accent"
    # The groove to the right of the handle (the part not yet filled) still shows its edge.
    empty = QRect(handle.right() + 4, 0, slider.width() - handle.right() - 8, handle.bottom())
    assert max(contrast(c, background) for c in colours(picture, empty)) >= 3


def test_indicators_and_the_slider_grow_with_the_text_size(themed: QApplication, qtbot: QtBot) -> None:
    radio, box, slider = QRadioButton("A. 1.5 km"), QCheckBox("Keep me signed in"), QSlider(Qt.Orientation.Horizontal)
    card = card_with(qtbot, radio, box, slider)  # noqa: F841 - kept: it owns the widgets

    def sizes() -> tuple[int, int, int]:
        QApplication.processEvents()
        option = QStyleOptionSlider()
        slider.initStyleOption(option)
        handle = slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                               QStyle.SubControl.SC_SliderHandle, slider)
        return indicator(radio).height(), indicator(box).height(), handle.height()

    theme.apply(themed, theme="dark", font_scale=1.0)
    small = sizes()
    theme.apply(themed, theme="dark", font_scale=1.5)
    large = sizes()
    for before, after in zip(small, large, strict=True):
        assert after >= before * 1.35, (small, large)


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_the_selected_navigation_icon_contrasts_with_the_highlight(home_window: MainWindow, qtbot: QtBot,
                                                                   scheme: str) -> None:
    home_window.ctx.prefs.theme = scheme
    nav = home_window.workspace.nav
    QApplication.processEvents()
    highlight = QGuiApplication.palette().color(R.Highlight)
    row = nav.visualItemRect(nav.currentItem())
    picture = nav.viewport().grab().toImage()
    assert near(picture.pixelColor(row.right() - 4, row.center().y()), highlight, 2)
    side = nav.iconSize().height()
    # The icon, inside the entry's padding and away from its rounded corners.
    icon_area = QRect(row.left() + 6, row.center().y() - side // 2 + 2, side + 8, side - 4)
    assert max(contrast(c, highlight) for c in colours(picture, icon_area)) >= 3
