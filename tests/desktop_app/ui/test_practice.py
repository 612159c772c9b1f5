"""Practice screen: keys for each question type, malformed numbers, the "2,125" question,
confidence, saved attempts."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from desktop_app.db.models import Concept, Question, QuestionAttempt
from desktop_app.services import practice as practice_service
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.preferences import FONT_SCALES
from desktop_app.ui.workspace import SETTINGS
from tests.desktop_app.ui.conftest import focused


def _show(qtbot: QtBot, window: MainWindow, kind: str, answer: str | None = None) -> practice_service.QuestionView:
    """Put a real question of `kind` from the sample bank (whose correct answer is `answer`, if
    given) on the real practice screen."""
    query = select(Question.id).where(Question.type == kind)
    if answer is not None:
        query = query.where(Question.correct_answer == answer)
    with window.runner.db.transaction() as s:
        qid = s.scalar(query.order_by(Question.local_id).limit(1))
        view = practice_service.question_view(s, qid)
    page = window.workspace.practice
    window.workspace.go(1)
    qtbot.waitUntil(lambda: page.current is not None, timeout=20_000)
    with qtbot.waitSignal(page.question_shown):
        page._show_question(practice_service.NextQuestion(view, "test"))
    return view


def _attempts(window: MainWindow) -> list[QuestionAttempt]:
    with window.runner.db.transaction() as s:
        return list(s.scalars(select(QuestionAttempt).order_by(QuestionAttempt.timestamp)))


def test_malformed_number_shows_the_error_and_records_nothing(qtbot: QtBot, home_window: MainWindow) -> None:
    view = _show(qtbot, home_window, "numerical")
    page = home_window.workspace.practice
    assert focused() is page.number
    qtbot.keyClicks(page.number, "three and a half")
    with qtbot.waitSignal(home_window.runner.finished, timeout=20_000):
        qtbot.keyClick(page.number, Qt.Key.Key_Return)
    assert page.number_error.isVisible()
    assert "3.5" in page.number_error.text()
    assert page.feedback is None and page.number.isEnabled()
    assert _attempts(home_window) == []

    page.number.selectAll()
    qtbot.keyClicks(page.number, "7/2")
    with qtbot.waitSignal(page.feedback_shown, timeout=20_000):
        qtbot.keyClick(page.number, Qt.Key.Key_Return)
    attempts = _attempts(home_window)
    assert len(attempts) == 1 and attempts[0].question_id == view.id and attempts[0].answer == "3.5"
    assert not page.number_error.isVisible()


@pytest.mark.parametrize(("answer", "typed"), [("18000", "18 000"), ("18000", "18,000.0"), ("4.5", "4 1/2")])
def test_grouped_thousands_and_mixed_numbers_are_marked_right(qtbot: QtBot, home_window: MainWindow, answer: str,
                                                             typed: str) -> None:
    view = _show(qtbot, home_window, "numerical", answer)
    page = home_window.workspace.practice
    qtbot.keyClicks(page.number, "18 00")  # neither 1800 nor 18000: asked again, with the forms it reads
    with qtbot.waitSignal(home_window.runner.finished, timeout=20_000):
        qtbot.keyClick(page.number, Qt.Key.Key_Return)
    assert page.number_error.isVisible() and "4 1/2" in page.number_error.text()
    assert "18,000" in page.number_error.text() and _attempts(home_window) == []

    page.number.selectAll()
    qtbot.keyClicks(page.number, typed)
    with qtbot.waitSignal(page.feedback_shown, timeout=20_000):
        qtbot.keyClick(page.number, Qt.Key.Key_Return)
    (attempt,) = _attempts(home_window)
    assert attempt.question_id == view.id and attempt.answer == answer and attempt.is_correct
    assert page.verdict.text() == "Correct!"


def test_mcq_letter_key_and_confidence_by_keyboard(qtbot: QtBot, home_window: MainWindow) -> None:
    view = _show(qtbot, home_window, "mcq")
    page = home_window.workspace.practice
    assert page.confidence_value.text() == "not set"
    qtbot.keyClick(focused(), Qt.Key.Key_B)
    assert page.choices.checkedButton() is page.choices.buttons()[1]
    page.confidence.setFocus()
    for _ in range(4):
        qtbot.keyClick(page.confidence, Qt.Key.Key_Right)
    assert page.confidence.value() == 4
    with qtbot.waitSignal(page.feedback_shown, timeout=20_000):
        qtbot.keyClick(focused(), Qt.Key.Key_Return)
    (attempt,) = _attempts(home_window)
    assert attempt.answer == view.options[1] and attempt.confidence == 4
    assert page.feedback.is_correct == attempt.is_correct
    assert ("Correct!" if attempt.is_correct else "Not quite.") == page.verdict.text()


def test_true_false_keys_and_nothing_chosen(qtbot: QtBot, home_window: MainWindow) -> None:
    _show(qtbot, home_window, "true_false")
    page = home_window.workspace.practice
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    assert page.choice_error.isVisible()  # nothing chosen: asked to choose, nothing sent
    qtbot.keyClick(focused(), Qt.Key.Key_F)
    assert page.choices.checkedButton().property("answer") == "false"
    with qtbot.waitSignal(page.feedback_shown, timeout=20_000):
        qtbot.keyClick(focused(), Qt.Key.Key_Return)
    with home_window.runner.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(QuestionAttempt)) == 1
        assert s.scalar(select(QuestionAttempt.answer)) == "false"


def test_first_question_is_fetched_ahead_and_timed_from_when_it_is_seen(qtbot: QtBot, home_window: MainWindow) -> None:
    page = home_window.workspace.practice
    qtbot.waitUntil(lambda: page.current is not None, timeout=20_000)  # fetched while Home shows
    assert not page.isVisible() and not page._stopwatch.running
    qtbot.keyClick(home_window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert page.isVisible() and page._stopwatch.running
    assert focused() in (page.number, *page.choices.buttons())


def _submit(qtbot: QtBot, window: MainWindow, typed: str) -> None:
    """Type `typed` into the answer field and press Enter; returns when the worker is done."""
    page = window.workspace.practice
    page.number.setFocus()
    qtbot.keyClicks(page.number, typed)
    with qtbot.waitSignal(window.runner.finished, timeout=20_000):
        qtbot.keyClick(page.number, Qt.Key.Key_Return)


def test_a_comma_before_three_digits_is_asked_about_once_then_read_as_chosen(
        qtbot: QtBot, home_window: MainWindow, settings: QSettings) -> None:
    view = _show(qtbot, home_window, "numerical", "9396")
    page = home_window.workspace.practice
    ask = page.comma_question
    _submit(qtbot, home_window, "9,396")
    assert ask.isVisible() and page.feedback is None and _attempts(home_window) == []
    assert "Does 9,396 mean 9396 (the comma groups thousands) or 9.396 (a decimal comma)?" in ask.label.text()
    assert ask.thousands.text() == "9396: the comma groups &thousands"  # Alt+T; Alt+D below
    assert ask.decimal.text() == "9.396: a &decimal comma"
    assert focused() is page.number and page.number.isEnabled()  # a second Enter cannot choose...
    qtbot.keyClick(page.number, Qt.Key.Key_Return)
    assert ask.isVisible() and _attempts(home_window) == []  # ...nor send the answer unread

    with qtbot.waitSignal(page.feedback_shown, timeout=20_000):  # no second submit
        qtbot.keyClick(page.number, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    (attempt,) = _attempts(home_window)
    assert attempt.question_id == view.id and attempt.answer == "9.396" and not attempt.is_correct
    assert page.verdict.text() == "Not quite." and not ask.isVisible()
    assert settings.value("input/number_comma") == "decimal"

    _show(qtbot, home_window, "numerical", "18000")
    with qtbot.waitSignal(page.feedback_shown, timeout=20_000):
        page.number.setFocus()
        qtbot.keyClicks(page.number, "18,000")
        qtbot.keyClick(page.number, Qt.Key.Key_Return)
    assert not ask.isVisible()  # asked once: read the chosen way from now on
    assert [(a.answer, a.is_correct) for a in _attempts(home_window)][-1] == ("18", False)

    with qtbot.waitSignal(home_window.workspace.settings.loaded, timeout=20_000):
        home_window.workspace.go(SETTINGS)
    assert home_window.workspace.settings.number_comma.currentText() == "2.125: a decimal comma"


def test_the_comma_question_goes_when_the_answer_is_changed(qtbot: QtBot, home_window: MainWindow) -> None:
    _show(qtbot, home_window, "numerical", "18000")
    page = home_window.workspace.practice
    _submit(qtbot, home_window, "18,000")
    assert page.comma_question.isVisible()
    qtbot.keyClicks(page.number, "5")  # "18,0005": a decimal comma, no question
    assert not page.comma_question.isVisible()
    with qtbot.waitSignal(page.feedback_shown, timeout=20_000):
        qtbot.keyClick(page.number, Qt.Key.Key_Return)
    assert [(a.answer, a.is_correct) for a in _attempts(home_window)] == [("18.0005", False)]
    assert home_window.workspace.practice._ctx.prefs.number_comma is None  # nothing was chosen


def test_a_reading_chosen_in_settings_is_used_without_asking(qtbot: QtBot, home_window: MainWindow,
                                                             settings: QSettings) -> None:
    ws = home_window.workspace
    with qtbot.waitSignal(ws.settings.loaded, timeout=20_000):
        ws.go(SETTINGS)
    combo = ws.settings.number_comma
    assert combo.currentText() == "Ask me the first time"
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert settings.value("input/number_comma") == "thousands"
    _show(qtbot, home_window, "numerical", "18000")
    page = ws.practice
    with qtbot.waitSignal(page.feedback_shown, timeout=20_000):
        page.number.setFocus()
        qtbot.keyClicks(page.number, "18,000")
        qtbot.keyClick(page.number, Qt.Key.Key_Return)
    assert not page.comma_question.isVisible()
    assert [(a.answer, a.is_correct) for a in _attempts(home_window)] == [("18000", True)]


def _longest_named_concept(window: MainWindow, kind: str) -> tuple[tuple[str, str], practice_service.QuestionView]:
    """The concept with the longest name among those with a `kind` question, and that question."""
    with window.runner.db.transaction() as s:
        concept_id, name, qid = s.execute(
            select(Concept.id, Concept.name, Question.id).join(Question, Question.concept_id == Concept.id)
            .where(Question.type == kind).order_by(func.length(Concept.name).desc(), Question.local_id)
            .limit(1)).one()
        return (concept_id, name), practice_service.question_view(s, qid)


def _fits(page: QWidget, widget: QWidget) -> bool:
    """`widget` lies wholly inside the practice page's viewport, once scrolled to vertically."""
    area = page.findChild(QScrollArea)
    QApplication.processEvents()  # the layout pass, which also sets the scroll range
    area.ensureWidgetVisible(widget)
    top_left = widget.mapTo(area.viewport(), QPoint(0, 0))
    return area.viewport().rect().contains(QRect(top_left, widget.size()))


def test_a_long_focus_name_at_the_largest_text_size_fits_an_800_by_600_window(
        qtbot: QtBot, home_window: MainWindow) -> None:
    window, page = home_window, home_window.workspace.practice
    window.ctx.prefs.font_scale = FONT_SCALES[-1]
    window.resize(800, 600)
    focus, view = _longest_named_concept(window, "numerical")
    with qtbot.waitSignal(page.question_shown, timeout=20_000):
        window.workspace.practise_concept(focus)
    if page.current.question.id != view.id:
        with qtbot.waitSignal(page.question_shown):
            page._show_question(practice_service.NextQuestion(view, "test " * 30))
    qtbot.waitUntil(lambda: window.width() == 800, timeout=5000)
    area = page.findChild(QScrollArea)
    content = area.widget()
    QApplication.processEvents()

    def check() -> None:
        assert content.minimumSizeHint().width() <= area.viewport().width()
        assert content.width() <= area.viewport().width() and area.horizontalScrollBar().value() == 0
        for widget in (page.title, page.clear_focus, page.timer_label):
            assert _fits(page, widget), widget
        assert focus[1] in page.focus_label.text() or focus[1] in page.focus_label.toolTip()

    check()
    assert _fits(page, page.submit)
    _submit(qtbot, window, "12,345")  # the comma question, with its two buttons
    assert page.comma_question.isVisible()
    check()
    assert _fits(page, page.comma_question.thousands) and _fits(page, page.comma_question.decimal)
    with qtbot.waitSignal(page.feedback_shown, timeout=20_000):
        qtbot.keyClick(page.number, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
    check()
    assert _fits(page, page.mastery) and _fits(page, page.next_button)


def test_the_timer_stops_while_another_screen_shows_and_the_answer_records_time_on_the_question(
        qtbot: QtBot, home_window: MainWindow) -> None:
    clock = [1000.0]
    home_window.ctx.clock = lambda: clock[0]
    _show(qtbot, home_window, "numerical")
    page = home_window.workspace.practice
    clock[0] += 12  # 12 s reading the question
    page._show_time()
    assert page.timer_label.text() == "0:12"
    home_window.workspace.go(SETTINGS)
    assert not page.isVisible()
    clock[0] += 300  # five minutes in Settings, then on Home
    home_window.workspace.go(0)
    clock[0] += 60
    home_window.workspace.go(1)
    assert page.isVisible() and page.timer_label.text() == "0:12"  # carries on from where it stopped
    clock[0] += 3
    with qtbot.waitSignal(page.feedback_shown, timeout=20_000):
        page.number.setFocus()
        qtbot.keyClicks(page.number, "1")
        qtbot.keyClick(page.number, Qt.Key.Key_Return)
    (attempt,) = _attempts(home_window)
    assert attempt.time_taken_seconds == pytest.approx(15)


def test_arrow_keys_choose_the_option_they_move_to(qtbot: QtBot, home_window: MainWindow) -> None:
    view = _show(qtbot, home_window, "mcq")
    page = home_window.workspace.practice
    a, b, c, *_ = page.choices.buttons()
    assert focused() is a and page.choices.checkedButton() is None  # in the options, none chosen yet
    qtbot.keyClick(a, Qt.Key.Key_Return)
    assert page.choice_error.isVisible()  # "Choose an answer first."
    qtbot.keyClick(a, Qt.Key.Key_Down)
    assert focused() is b and page.choices.checkedButton() is b and not page.choice_error.isVisible()
    qtbot.keyClick(b, Qt.Key.Key_Down)
    qtbot.keyClick(c, Qt.Key.Key_Up)
    assert focused() is b and page.choices.checkedButton() is b
    with qtbot.waitSignal(page.feedback_shown, timeout=20_000):
        qtbot.keyClick(b, Qt.Key.Key_Return)
    (attempt,) = _attempts(home_window)
    assert attempt.answer == view.options[1]


def test_choosing_a_concept_while_the_first_question_is_still_being_chosen_shows_one_on_that_concept(
        qtbot: QtBot, home_window: MainWindow) -> None:
    page = home_window.workspace.practice
    focus, _view = _longest_named_concept(home_window, "numerical")
    if page.current is not None:  # the question fetched ahead is already here: fetch one ahead again
        page.current = None
        page.prefetch()
    assert page._busy  # the question fetched ahead (any concept) is on its way
    shown: list[str] = []
    page.question_shown.connect(lambda: shown.append(page.current.question.concept_id))
    home_window.workspace.practise_concept(focus)
    qtbot.waitUntil(lambda: bool(shown) and not page._busy, timeout=20_000)  # (one task at a time: in order)
    assert shown == [focus[0]] and page.current.question.concept_id == focus[0]
