"""Practice screen: keys for each question type, malformed numbers, confidence, saved attempts."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from desktop_app.db.models import Question, QuestionAttempt
from desktop_app.services import practice as practice_service
from desktop_app.ui.main_window import MainWindow
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


@pytest.mark.parametrize(("answer", "typed"), [("18000", "18,000"), ("4.5", "4 1/2")])
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
    assert not page.isVisible() and not page._elapsed.isValid()
    qtbot.keyClick(home_window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert page.isVisible() and page._elapsed.isValid()
    assert focused() in (page.number, *page.choices.buttons())
