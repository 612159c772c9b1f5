"""The teacher's Classes screen against the real sync server on real PostgreSQL: a class is
created, two students join and practise offline, sync, and the heatmap shows their mastery;
with the server down the last copy shows, with its age."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from desktop_app.credentials import SecretStore
from desktop_app.db.models import StudentProfile
from desktop_app.services.accounts import Account
from desktop_app.ui.classes import ClassesPage
from desktop_app.ui.context import AppContext
from desktop_app.ui.preferences import Preferences
from desktop_app.ui.settings import SettingsPage
from desktop_app.ui.sync_controller import UnavailableSyncController
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.workspace import CLASSES, Workspace
from sync_client.classes import ClassesClient
from sync_client.transport import HttpTransport
from tests.sync_client.conftest import PASSWORD, Laptop, make_laptop, signed_up  # noqa: F401 - shared fixture


def _context(laptop: Laptop, tmp_path: Path, sync: Any = None) -> AppContext:
    runner = TaskRunner()
    runner.db = laptop.db
    return AppContext(runner=runner, prefs=Preferences(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)),
                      secrets=SecretStore(tmp_path / "secrets.json"), sync=sync or UnavailableSyncController())


def _refresh(qtbot: QtBot, page: ClassesPage) -> None:
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        page.refresh()


def test_teacher_sees_the_mastery_of_students_who_joined_and_practised_offline(
        qtbot: QtBot, live: Any, make_laptop: Any, tmp_path: Path) -> None:  # noqa: F811
    teacher = signed_up(make_laptop, live.url, "ms-teacher", "teacher")
    ctx = _context(teacher, tmp_path)
    page = ClassesPage(ctx, ClassesClient(teacher.db, teacher.data_dir))
    qtbot.addWidget(page)
    page.resize(900, 700)
    page.show()
    _refresh(qtbot, page)
    assert page.classes == [] and not page.offline

    qtbot.keyClicks(page.new_name, "Year 11 maths")
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        page.create_button.click()
    code = page.classes[0]["join_code"]
    assert page.code.text().endswith(code) and len(code) == 8
    page.copy_code()
    assert QGuiApplication.clipboard().text() == code

    answered = {"amir": 6, "bea": 3}
    students = {}
    for name, n in answered.items():
        laptop = students[name] = signed_up(make_laptop, live.url, name, "student")
        laptop.answer(n)  # offline practice: nothing has been pushed yet
        assert laptop.pending() > 0
        ClassesClient(laptop.db, laptop.data_dir).join_class(code.lower())  # codes are case-insensitive
        laptop.sync()
        assert laptop.pending() == 0
        with laptop.db.transaction() as s:  # the server set class_id; the pull brought it
            assert s.scalar(select(StudentProfile.class_id)) == page.classes[0]["class_id"]

    _refresh(qtbot, page)
    assert [page.students.item(i).text() for i in range(page.students.count())] == ["amir", "bea"]
    table = page.current_table()
    assert table is not None and table.topics
    for row in table.students:
        assert sum(row.attempts) == answered[row.username]
        assert all(v is None or 0 <= v <= 100 for v in row.mastery)
    cells = page.heatmap.cells()
    assert cells[0][0] == "Student" and cells[0][1:] == [name for _, name in table.topics]
    assert [r[0] for r in cells[1:]] == ["amir", "bea", "Class average"]
    assert cells[1][1:] == ["–" if v is None else f"{v:.0f}" for v in table.students[0].mastery]
    assert cells[-1][1:] == ["–" if v is None else f"{v:.0f}" for v in table.average()]
    assert "–" in cells[2]  # bea answered 3 questions: most topics are not started
    image = page.heatmap.grab().toImage()
    assert not image.isNull()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 5)}
    assert len(colours) > 5  # cells were painted, not just the background

    weakest = next(c for c in range(len(table.topics)) if None not in (s.mastery[c] for s in table.students))
    page.sort_by(weakest)
    values = [r[1 + weakest] for r in page.heatmap.cells()[1:-1]]
    assert values == sorted(values, key=float)
    page.sort_by(weakest)  # again: strongest first
    assert [r[1 + weakest] for r in page.heatmap.cells()[1:-1]] == sorted(values, key=float, reverse=True)

    out = tmp_path / "class.csv"
    with qtbot.waitSignal(ctx.runner.finished, timeout=10_000):
        page.export(out)
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0] == ["student", *(name for _, name in table.topics)]
    assert [r[0] for r in rows[1:]] == ["amir", "bea", "Class average"]

    page.sort_by(None)  # by name, as a newly opened screen shows it
    shown = page.heatmap.cells()
    live.stop()  # the server goes away: the screen keeps the last copy and says how old it is
    _refresh(qtbot, page)
    assert page.offline and "Offline" in page.status.text() and "minute" in page.status.text()
    assert "the server cannot be reached" in page.status.text()
    assert page.heatmap.cells() == shown
    reopened = ClassesPage(ctx, ClassesClient(teacher.db, teacher.data_dir))  # e.g. after a restart, offline
    qtbot.addWidget(reopened)
    _refresh(qtbot, reopened)
    assert reopened.offline and reopened.heatmap.cells() == shown and reopened.code.text().endswith(code)
    ctx.runner.shutdown()


def test_a_teacher_renames_and_deletes_a_class(qtbot: QtBot, live: Any, make_laptop: Any,  # noqa: F811
                                               tmp_path: Path) -> None:
    teacher = signed_up(make_laptop, live.url, "mr-r", "teacher")
    student = signed_up(make_laptop, live.url, "cai", "student")
    ctx = _context(teacher, tmp_path)
    page = ClassesPage(ctx, ClassesClient(teacher.db, teacher.data_dir))
    qtbot.addWidget(page)
    page.show()
    _refresh(qtbot, page)
    assert not page.rename_button.isEnabled() and not page.delete_button.isEnabled()  # no class yet
    qtbot.keyClicks(page.new_name, "10C")
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        page.create_button.click()
    ClassesClient(student.db, student.data_dir).join_class(page.classes[0]["join_code"])
    student.sync()
    _refresh(qtbot, page)
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        page.rename_class("10C (Mondays)")
    assert page.class_box.currentText() == "10C (Mondays)" and "Renamed to 10C (Mondays)" in page.status.text()
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        page.delete_class(confirmed=True)
    assert page.classes == [] and page.class_box.count() == 0 and "Deleted 10C (Mondays)" in page.status.text()
    assert not page.delete_button.isEnabled()
    student.sync()  # the student's laptop learns that the class is gone; the answers stay
    with student.db.transaction() as s:
        assert s.scalar(select(StudentProfile.class_id)) is None
    ctx.runner.shutdown()


def test_classes_is_in_the_navigation_of_teachers_only(qtbot: QtBot, make_laptop: Any, tmp_path: Path,  # noqa: F811
                                                       live: Any) -> None:  # noqa: F811
    laptop = make_laptop(HttpTransport(live.url), "nav")
    ctx = _context(laptop, tmp_path)
    for role, expected in (("teacher", 4), ("student", 5)):
        workspace = Workspace(ctx, Account(id=f"u-{role}", username=role, display_name=role, role=role))
        qtbot.addWidget(workspace)
        assert sum(not workspace.nav.item(i).isHidden() for i in range(workspace.nav.count())) == expected
        assert (workspace.classes is not None) == (role == "teacher")
        assert workspace.syllabus.importer._publish == (role == "teacher")
    workspace = Workspace(ctx, Account(id="u-t2", username="t2", display_name="t2", role="teacher"))
    qtbot.addWidget(workspace)
    workspace.go(CLASSES)
    assert workspace.pages.currentWidget() is workspace.classes
    qtbot.waitUntil(lambda: "sign in" in workspace.classes.status.text().lower(), timeout=5_000)
    ctx.runner.shutdown()


class _SignedIn(UnavailableSyncController):
    """Signed in to the live server, without a worker: Settings only asks for the classes client."""

    def __init__(self, client: ClassesClient) -> None:
        super().__init__()
        self.client, self.synced = client, 0

    @property
    def available(self) -> bool:
        return True

    @property
    def signed_in(self) -> bool:
        return True

    def classes_client(self) -> ClassesClient:
        return self.client

    def sync_now(self) -> None:
        self.synced += 1


@pytest.mark.parametrize("valid", [True, False])
def test_a_student_joins_from_settings(qtbot: QtBot, live: Any, make_laptop: Any, tmp_path: Path,  # noqa: F811
                                       valid: bool) -> None:
    teacher = signed_up(make_laptop, live.url, "mr-t", "teacher")
    code = ClassesClient(teacher.db, teacher.data_dir).create_class("Set 2")["join_code"] if valid else "ZZZZ2222"
    student = signed_up(make_laptop, live.url, "cleo", "student")
    sync = _SignedIn(ClassesClient(student.db, student.data_dir))
    ctx = _context(student, tmp_path, sync)
    page = SettingsPage(ctx, Account(id=student.user_id, username="cleo", display_name="cleo", role="student"))
    qtbot.addWidget(page)
    qtbot.keyClicks(page.join_code, code)
    page.join_button.click()
    qtbot.waitUntil(lambda: page.join_button.isEnabled() and page.join_message.text() != "Joining…", timeout=30_000)
    if valid:
        assert "Set 2" in page.join_message.text() and sync.synced == 1
        student.sync()
        with student.db.transaction() as s:
            assert s.scalar(select(StudentProfile.class_id)) is not None
        page.join_message.clear()
        with qtbot.waitSignal(page.loaded, timeout=10_000):
            page.refresh()
        assert page.join_message.text() == "You are in the class Set 2."
    else:
        assert "No class has this code" in page.join_message.text() and sync.synced == 0
    ctx.runner.shutdown()


def test_the_real_window_gives_a_signed_in_teacher_the_classes_of_the_server(
        qtbot: QtBot, live: Any, make_laptop: Any, tmp_path: Path) -> None:  # noqa: F811
    from datetime import date, timedelta

    from desktop_app.services import profile
    from desktop_app.ui import signin
    from desktop_app.ui.app import build_window
    from desktop_app.ui.sync_adapter import service_controller

    teacher = signed_up(make_laptop, live.url, "mrs-k", "teacher")
    created = ClassesClient(teacher.db, teacher.data_dir).create_class("Year 10 (set 1)")
    store = SecretStore(tmp_path / "login-secrets.json")
    with teacher.db.transaction() as s:
        profile.save_profile(s, student_id=teacher.user_id, grade="", target_exam="GCSE Mathematics",
                             exam_date=date.today() + timedelta(days=60), hours_per_day=1.0, today=date.today())
        signin.sign_in(s, store=store, device_id=teacher.db.device_id, username="mrs-k", password=PASSWORD, keep=True)
    window = build_window(teacher.data_dir, settings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat),
                          secrets=store, sync_factory=service_controller)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.ready, timeout=20_000):
        window.start()
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=20_000)
    page = window.workspace.classes
    assert page is not None
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        window.workspace.go(CLASSES)
    assert [c["join_code"] for c in page.classes] == [created["join_code"]] and not page.offline
    window.close()
    window.runner.shutdown()
