"""The date field: typed dates are read whole or refused, and a calendar picks one by keyboard."""
from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QLocale, Qt
from pytestqt.qtbot import QtBot

from desktop_app.ui.date_field import DateField, parse_date


@pytest.mark.parametrize("text", ["10 Dec 2026", "10 dec 2026", " 10  December 2026 ", "Dec 10, 2026",
                                  "2026-12-10", "10/12/2026", "10.12.2026"])
def test_typed_dates_are_read_whole(text: str) -> None:
    assert parse_date(text, QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)) == date(2026, 12, 10)


@pytest.mark.parametrize("text", ["", "10 Dec", "31 Feb 2026", "next Friday", "10122026"])
def test_what_is_not_a_date_is_not_guessed(text: str) -> None:
    assert parse_date(text, QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)) is None


def test_typing_over_a_date_replaces_it_and_shows_it_back(qtbot: QtBot) -> None:
    field = DateField()
    qtbot.addWidget(field)
    field.show()
    field.set_value(date(2027, 3, 3))
    field.edit.setFocus()
    field.edit.selectAll()
    with qtbot.waitSignal(field.date_changed):
        qtbot.keyClicks(field.edit, "10/12/2026")
        field.edit.editingFinished.emit()
    assert field.value() == date(2026, 12, 10)
    assert field.edit.text() == field.edit.locale().toString(date(2026, 12, 10), "d MMM yyyy")
    field.edit.setText("13")
    assert field.value() is None and not field.is_readable()


def test_the_calendar_opens_from_the_keyboard_and_picks_a_day(qtbot: QtBot) -> None:
    field = DateField()
    qtbot.addWidget(field)
    field.show()
    field.set_value(date(2026, 12, 10))
    field.edit.setFocus()
    qtbot.keyClick(field.edit, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(field.popup.isVisible)
    calendar = field.popup.calendar
    assert calendar.selectedDate().toPython() == date(2026, 12, 10)
    calendar.setFocus()
    view = calendar.focusWidget()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    with qtbot.waitSignal(field.date_changed):
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert not field.popup.isVisible()
    assert field.value() == date(2026, 12, 11)
