"""Plan re-planning, syllabus locks and practice from a concept, bank import errors, settings."""
from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from desktop_app.db.models import StudentProfile, Topic
from desktop_app.resources import SAMPLE_BANK, resource_path
from desktop_app.services import planning
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.syllabus import ID, KIND, UNLOCKED
from desktop_app.ui.workspace import PLAN, SETTINGS, SYLLABUS


def test_plan_screen_reflects_a_replan(qtbot: QtBot, home_window: MainWindow) -> None:
    page = home_window.workspace.plan
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        qtbot.keyClick(home_window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert page.plan is not None
    assert page.model.rowCount() == len(page.plan.days)
    first_day = page.model.item(0, 0)
    assert first_day.text().startswith("Today")

    # Fewer hours and an earlier exam: the planner must say what it leaves out.
    with home_window.runner.db.transaction() as s:
        profile = s.scalar(select(StudentProfile))
        profile.available_hours_per_day = 0.5
        profile.exam_date = date.today() + timedelta(days=3)
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        qtbot.mouseClick(page.replan_button, Qt.MouseButton.LeftButton)
    assert page.plan.exam_date == date.today() + timedelta(days=3)
    assert page.model.rowCount() == len(page.plan.days)
    assert page.plan.statement
    assert page.statement.isVisible() and page.statement.label.text() == page.plan.statement

    # Ticking an item by keyboard saves it.
    item_index = page.model.index(0, 0, page.model.index(0, 0))
    page.view.setCurrentIndex(item_index)
    page.view.setFocus()
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        qtbot.keyClick(page.view, Qt.Key.Key_Space)
    with home_window.runner.db.transaction() as s:
        plan = planning.current_plan(s, student_id=home_window.account.id, today=date.today())
    assert plan.days[0].items[0].done


def test_syllabus_shows_locks_and_practises_an_unlocked_concept(qtbot: QtBot, home_window: MainWindow) -> None:
    page = home_window.workspace.syllabus
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        home_window.workspace.go(SYLLABUS)
    model = page.model
    locked = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Linear equations and inequalities", 1,
                         Qt.MatchFlag.MatchRecursive | Qt.MatchFlag.MatchExactly)[0]
    assert locked.data(UNLOCKED) is False
    assert "Needs: Algebraic expressions" == locked.siblingAtColumn(3).data()
    assert "Locked" in locked.data(Qt.ItemDataRole.ToolTipRole)
    page.view.setCurrentIndex(model.index(0, 0, locked))
    assert not page.practise_button.isEnabled()

    fractions = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Fractions, decimals and percentages", 1,
                            Qt.MatchFlag.MatchRecursive | Qt.MatchFlag.MatchExactly)[0]
    concept = model.index(0, 0, fractions)
    assert concept.data(KIND) == "concept" and concept.data(UNLOCKED)
    page.view.setCurrentIndex(concept)
    page.view.setFocus()
    practice = home_window.workspace.practice
    with qtbot.waitSignal(practice.question_shown, timeout=20_000):
        qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert practice.current.question.concept_id == concept.data(ID)
    assert concept.data() in practice.focus_label.text()


def test_import_errors_are_listed_and_nothing_is_imported(qtbot: QtBot, home_window: MainWindow, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    good = json.loads(resource_path(SAMPLE_BANK).read_text(encoding="utf-8"))
    good["id"] = "second-bank"
    bank = copy.deepcopy(good)
    mcq = next(i for i, q in enumerate(bank["questions"]) if q["type"] == "mcq" and i > 3)
    bank["questions"][3]["difficulty"] = 9
    bank["questions"][mcq]["options"] = []
    bank["concepts"][0]["topic"] = "no-such-topic"
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps(bank), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    with home_window.runner.db.transaction() as s:
        topics_before = s.scalar(select(func.count()).select_from(Topic))

    page = home_window.workspace.syllabus
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        home_window.workspace.go(SYLLABUS)
    with qtbot.waitSignal(page.importer.failed, timeout=20_000) as failed:
        qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    problems = failed.args[0]
    listed = [page.importer.problems.item(i).text() for i in range(page.importer.problems.count())]
    assert listed == problems and len(listed) >= 3
    assert any("questions[3]" in p for p in listed) and any(f"questions[{mcq}]" in p for p in listed)
    assert any("concepts[0]" in p for p in listed)
    assert "Nothing was imported" in page.importer.status.text()
    with home_window.runner.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Topic)) == topics_before

    bad.write_text(json.dumps(good), encoding="utf-8")  # the author fixed the file
    with qtbot.waitSignal(page.loaded, timeout=30_000):  # the tree reloads after a good import
        page.importer.import_file(bad)
    assert "Imported" in page.importer.status.text()
    assert not page.importer.problems.isVisible()


def test_settings_save_profile_and_honest_sync(qtbot: QtBot, home_window: MainWindow) -> None:
    page = home_window.workspace.settings
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        home_window.workspace.go(SETTINGS)
    assert page.keep.isChecked()
    page.profile.hours.setValue(20)
    page.save_profile.click()
    assert page.profile.errors["hours_per_day"].isVisible()
    page.profile.hours.setValue(4)
    with qtbot.waitSignal(page.profile_saved, timeout=20_000):
        page.save_profile.click()
    with home_window.runner.db.transaction() as s:
        assert s.scalar(select(StudentProfile.available_hours_per_day)) == 4.0

    page.sync_card.server.setText("sync.school.example")
    page.sync_card.sync_in.click()
    assert page.sync_card.server_error.isVisible()
    page.sync_card.server.setText("https://sync.school.example")
    page.sync_card.sync_user.setText("mina")
    page.sync_card.sync_password.setText("password-m")
    page.sync_card.sync_in.click()
    assert page.sync_card.sync_message.text() == "Sync is not available yet in this version."
    assert home_window.ctx.prefs.server_url == "https://sync.school.example"

    page.theme.setCurrentIndex(page.theme.findData("dark"))
    assert home_window.ctx.prefs.theme == "dark"
    assert home_window.palette().window().color().lightness() < 100
    page.theme.setCurrentIndex(page.theme.findData("light"))


def test_sign_out_then_sign_in_with_password(qtbot: QtBot, home_window: MainWindow) -> None:
    settings = home_window.workspace.settings
    home_window.workspace.go(SETTINGS)
    qtbot.waitUntil(lambda: settings.keep.isChecked(), timeout=20_000)
    settings.switch.click()
    qtbot.waitUntil(lambda: home_window.pages.currentWidget() is home_window.login, timeout=20_000)
    login = home_window.login
    assert login.account.currentData() == "Mina"
    qtbot.keyClicks(login.password, "wrong-password")
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: login.error.isVisible(), timeout=20_000)
    login.password.selectAll()
    qtbot.keyClicks(login.password, "password-m")
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: home_window.workspace is not None and home_window.workspace.home.data is not None,
                    timeout=20_000)
    assert home_window.workspace.home.greeting.text() == "Hello, Mina"


def test_keep_me_signed_in_opens_home_directly_next_start(qtbot: QtBot, make_window, student: str) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    qtbot.waitUntil(lambda: window.workspace is not None and window.workspace.home.data is not None, timeout=20_000)
    assert window.account.id == student
    assert PLAN == 2


def test_text_size_setting_scales_every_text(qtbot: QtBot, home_window: MainWindow) -> None:
    ws = home_window.workspace
    before = (ws.home.greeting.font().pointSizeF(), ws.home.practise_now.font().pointSizeF(),
              ws.home.exam_line.font().pointSizeF())
    page = ws.settings
    page.font_size.setCurrentIndex(page.font_size.findData(1.3))
    qtbot.waitUntil(lambda: ws.home.greeting.font().pointSizeF() > before[0] * 1.2)
    after = (ws.home.greeting.font().pointSizeF(), ws.home.practise_now.font().pointSizeF(),
             ws.home.exam_line.font().pointSizeF())
    assert all(a == pytest.approx(b * 1.3, rel=0.05) for a, b in zip(after, before))
    assert ws.home.practise_now.font().bold()
    page.font_size.setCurrentIndex(page.font_size.findData(1.0))


def test_a_missed_day_re_plans_on_the_next_start(qtbot: QtBot, home_window: MainWindow) -> None:
    page = home_window.workspace.plan
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        home_window.workspace.go(PLAN)
    first = page.plan
    real_now = home_window.ctx.now()
    home_window.ctx.now = lambda: real_now + timedelta(days=2)  # two days later, nothing ticked
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.refresh()
    assert page.plan.created_at > first.created_at
    today = home_window.ctx.today()
    row = next(i for i, d in enumerate(page.plan.days) if d.day == today)
    assert page.model.item(row, 0).text().startswith("Today")
    assert page.view.currentIndex().row() == row  # the screen opens on today
    assert all(not page.model.item(i, 0).text().startswith("Today") for i in range(row))
