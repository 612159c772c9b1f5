"""Render every screen into docs/screenshots/*.png (light, dark, and a 1024×640 window).

Run with a display (`make screenshots` wraps it in xvfb-run). The data is real: a fresh
data folder with the sample bank, a student made through the services, and a few hundred
answers given through the real practice service by a simulated student (services/simulate).
Nothing here touches the user's own data folder, settings or keyring.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import keyring  # noqa: E402
from keyring.backends import fail  # noqa: E402
from PySide6.QtCore import QCoreApplication, QObject, QSettings, Qt, Signal  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from desktop_app.credentials import SecretStore  # noqa: E402
from desktop_app.db.models import Question, StudentProfile, User  # noqa: E402
from desktop_app.services import accounts, learner, practice, profile  # noqa: E402
from desktop_app.services.setup import initialise  # noqa: E402
from desktop_app.services.simulate import simulate  # noqa: E402
from desktop_app.ui import signin  # noqa: E402
from desktop_app.ui.app import application, build_window  # noqa: E402
from desktop_app.ui.main_window import MainWindow  # noqa: E402
from desktop_app.ui.sync_adapter import ServiceSyncController  # noqa: E402
from desktop_app.ui.sync_controller import SyncController, UnavailableSyncController  # noqa: E402
from desktop_app.ui.workspace import HOME, PLAN, PRACTICE, SETTINGS, SYLLABUS  # noqa: E402
from sync_client import outbox  # noqa: E402
from sync_client.classes import Cached  # noqa: E402
from sync_client.outbox import FailedOp  # noqa: E402
from sync_client.status import SyncStatus as ClientStatus  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def wait(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError("the screen did not get ready")
        QCoreApplication.processEvents()
        time.sleep(0.01)


def settle(seconds: float = 0.25) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        QCoreApplication.sendPostedEvents(None, 0)
        time.sleep(0.01)


def snap(widget: QWidget, name: str) -> None:
    settle()
    path = OUT / f"{name}.png"
    widget.grab().save(str(path))
    print(f"  {path.relative_to(ROOT)}")


def make_student(data_dir: Path, store: SecretStore, *, answers: int) -> str:
    db, _ = initialise(data_dir)
    today = date.today()
    with db.transaction() as s:
        acc = accounts.create_account(s, username="Asha", password="correct horse battery")
        profile.save_profile(s, student_id=acc.id, grade="Year 11", target_exam="GCSE Mathematics",
                             exam_date=today + timedelta(days=38), hours_per_day=1.5, today=today)
        signin.keep_signed_in(s, store=store, device_id=db.device_id, user_id=acc.id, keep=True)
    simulate(db, student="Asha", answers=answers, seed=7)
    db.close()
    return acc.id


class _SyncStandIn(QObject):
    """Plays the sync worker (sync_client.service.SyncService) for the pictures: no server is
    needed, and the states shown (not signed in, a failed sign-in, synced with a refused
    change) are the ones the real worker reports, through the real GUI adapter."""

    status_changed = Signal(object)
    signed_in_changed = Signal(object)
    action_failed = Signal(str)
    sign_in_failed = Signal(str, str)
    data_changed = Signal()
    ops_failed = Signal(list)

    def __init__(self, db: Any) -> None:
        super().__init__()
        self.signed_in = False
        self._db = db

    def _pending(self) -> int:
        with self._db.session() as s:
            return outbox.pending_count(s)

    def start(self) -> None:
        self.status_changed.emit(ClientStatus("login_required", pending=self._pending()))

    def shutdown(self) -> None:
        pass

    def local_change(self) -> None:
        pass

    def sign_in(self, *, server_url: str, username: str, password: str) -> None:
        self.sign_in_failed.emit("unreachable",
                                 "Cannot reach the sync server. Check the address and your connection.")

    def sign_out(self) -> None:
        pass

    def sync_now(self) -> None:
        pass

    def signed_in_and_synced(self) -> None:
        """The state after a round in which the server refused one change."""
        self.signed_in = True
        self.signed_in_changed.emit(True)
        self.ops_failed.emit([FailedOp(op_id="op", table="question_attempts", row_id="row", operation="insert",
                                       reason="unknown_reference: the question is not on the server "
                                              "(it came from a bank imported on this laptop only)")])
        self.status_changed.emit(ClientStatus("synced", failed=1,
                                              last_synced_at=datetime.now(timezone.utc) - timedelta(minutes=3)))


def open_window(data_dir: Path, tmp: Path, *, theme: str, size: tuple[int, int],
                sync: SyncController | None = None,
                sync_factory: Callable[[Any, Path], SyncController] | None = None) -> MainWindow:
    settings = QSettings(str(tmp / f"settings-{theme}-{size[0]}.ini"), QSettings.Format.IniFormat)
    settings.setValue("appearance/theme", theme)
    window = build_window(data_dir, settings=settings, secrets=SecretStore(tmp / "secrets.json"), sync=sync,
                          sync_factory=sync_factory)
    window.resize(*size)
    window.show()
    window.start()
    wait(lambda: window.pages.currentWidget() is not window.loading)
    return window


def close(window: MainWindow) -> None:
    window.close()
    window.runner.shutdown()
    if window.runner.db is not None:
        window.runner.db.close()
    window.deleteLater()
    settle(0.1)


def first_run_screens(tmp: Path, theme: str, prefix: str, size: tuple[int, int]) -> None:
    data_dir = tmp / f"fresh-{theme}-{size[0]}"
    window = open_window(data_dir, tmp, theme=theme, size=size)
    page = window.first_run
    page.username.setText("Asha")
    snap(window, f"{prefix}first-run")
    page.password.setText("correct horse")
    page.confirm.setText("correct horse")
    page.accept()
    wait(lambda: window.profile_page is not None and window.pages.currentWidget() is window.profile_page)
    form = window.profile_page.form
    form.exam.setText("")
    form.exam_date.set_value(date.today() - timedelta(days=3))
    form.hours.setValue(0)
    form.save()
    snap(window, f"{prefix}profile-wizard-errors")
    close(window)


def workspace_screens(data_dir: Path, tmp: Path, theme: str, prefix: str, size: tuple[int, int],
                      *, full: bool) -> None:
    stand_ins: list[_SyncStandIn] = []

    def sync_factory(db: Any, _folder: Path) -> SyncController:
        stand_ins.append(_SyncStandIn(db))
        return ServiceSyncController(stand_ins[-1])

    window = open_window(data_dir, tmp, theme=theme, size=size, sync_factory=sync_factory)
    ws = None
    wait(lambda: window.workspace is not None and window.workspace.home.data is not None)
    ws = window.workspace
    snap(window, f"{prefix}home")

    db = window.runner.db
    page = ws.practice
    ws.go(PRACTICE)
    wait(lambda: page.current is not None)
    kinds = ("mcq", "numerical", "true_false") if full else ("mcq",)
    for kind in kinds:
        with db.transaction() as s:  # the longest question of each type: the worst case for layout
            qid = s.scalar(select(Question.id).where(Question.type == kind)
                           .order_by(func.length(Question.text).desc()).limit(1))
            view = practice.question_view(s, qid)
            reason = practice.next_question(s, student_id=window.account.id, now=datetime.now(timezone.utc),
                                            focus_concept_id=view.concept_id)
        page._show_question(practice.NextQuestion(view, reason.reason if reason else ""))
        if kind == "mcq":
            page.choices.buttons()[1].setChecked(True)
            page.confidence.setValue(3)
        if kind == "numerical":
            page.number.setText("about 4")
            page.submit_answer()
            wait(lambda: page.number_error.isVisible())
        snap(window, f"{prefix}practice-{kind.replace('_', '-')}")
    if full:
        page.choices.buttons()[0].setChecked(True)  # the true/false question on screen
    page.submit_answer()
    wait(lambda: page.feedback is not None and page.upcoming is not None)
    snap(window, f"{prefix}practice-feedback")

    ws.go(PLAN)
    wait(lambda: ws.plan.plan is not None)
    snap(window, f"{prefix}plan")
    if full:
        with db.transaction() as s:
            row = s.scalar(select(StudentProfile))
            keep = (row.exam_date, row.available_hours_per_day)
            row.exam_date, row.available_hours_per_day = date.today() + timedelta(days=6), 0.5
        before = ws.plan.plan
        ws.plan.replan()
        wait(lambda: ws.plan.plan is not before and ws.plan.replan_button.isEnabled())
        snap(window, f"{prefix}plan-not-enough-hours")
        with db.transaction() as s:
            row = s.scalar(select(StudentProfile))
            row.exam_date, row.available_hours_per_day = keep
        before = ws.plan.plan
        ws.plan.replan()
        wait(lambda: ws.plan.plan is not before and ws.plan.replan_button.isEnabled())

    ws.go(SYLLABUS)
    wait(lambda: ws.syllabus.model.rowCount() > 0)
    snap(window, f"{prefix}syllabus")
    if full:
        broken = tmp / "broken-bank.json"
        broken.write_text(BROKEN_BANK, encoding="utf-8")
        ws.syllabus.importer.import_file(broken)
        wait(lambda: ws.syllabus.importer.problems.count() > 0)
        snap(window, f"{prefix}import-errors")
        ws.syllabus.importer.hide()

    ws.go(SETTINGS)
    wait(lambda: ws.settings.profile.exam.text() != "")
    if full:
        ws.settings.sync_card.server.setText("https://sync.school.example")
        ws.settings.sync_card.sync_user.setText("mina")
        ws.settings.sync_card.sync_password.setText("password-m")
        ws.settings.sync_card.sync_in.click()
    snap(window, f"{prefix}settings")
    if full:
        stand_ins[-1].signed_in_and_synced()
        snap(window, f"{prefix}settings-synced")
    ws.go(HOME)
    close(window)


class _ClassFromHere:
    """Stands in for the server's ClassesClient: the class mastery is computed by the
    server's own function (sync_server.classes) over simulated students in a local database."""

    def __init__(self, cached: Cached) -> None:
        self._cached = cached

    def cached(self) -> Cached:
        return self._cached

    def refresh(self) -> Cached:
        return self._cached


class _TeacherSync(UnavailableSyncController):
    def __init__(self, client: _ClassFromHere) -> None:
        super().__init__()
        self._client = client

    def classes_client(self) -> _ClassFromHere:
        return self._client


CLASS_STUDENTS = (("Asha", 260), ("Ben", 70), ("Chloe", 180), ("Dev", 30), ("Ella", 320), ("Farid", 120))


def make_class(data_dir: Path, store: SecretStore) -> Cached:
    from sync_server.classes import _topics  # the server's per-topic mastery (engine replay)

    db, _ = initialise(data_dir)
    today = date.today()
    with db.transaction() as s:
        acc = accounts.create_account(s, username="Ms Okafor", password="correct horse battery", role="teacher")
        profile.save_profile(s, student_id=acc.id, grade="Teacher", target_exam="GCSE Mathematics",
                             exam_date=today + timedelta(days=38), hours_per_day=1.0, today=today)
        signin.keep_signed_in(s, store=store, device_id=db.device_id, user_id=acc.id, keep=True)
    for seed, (name, answers) in enumerate(CLASS_STUDENTS, start=11):
        simulate(db, student=name, answers=answers, seed=seed)
    now = datetime.now(timezone.utc)
    with db.transaction() as s:
        content = learner.content(s)
        students = [{"user_id": uid, "username": name, "topics": _topics(s, content, uid, now)}
                    for name, _ in CLASS_STUDENTS
                    for uid in [s.scalar(select(User.id).where(User.username == name))]]
    db.close()
    class_id = "0190a0b0-0000-7000-8000-000000000001"
    return Cached(classes=[{"class_id": class_id, "name": "Year 11 maths (set 2)", "join_code": "K7M2Q9XR",
                            "students": [{"user_id": x["user_id"], "username": x["username"]} for x in students]}],
                  mastery={class_id: {"class_id": class_id, "name": "Year 11 maths (set 2)",
                                      "method": "engine.MasteryModel.replay", "students": students}},
                  fetched_at=now - timedelta(minutes=3))


def classes_screen(data_dir: Path, cached: Cached, tmp: Path, theme: str, prefix: str,
                   size: tuple[int, int]) -> None:
    window = open_window(data_dir, tmp, theme=theme, size=size, sync=_TeacherSync(_ClassFromHere(cached)))
    wait(lambda: window.workspace is not None and window.workspace.classes is not None)
    ws = window.workspace  # a teacher's window opens on Classes
    wait(lambda: ws.classes.current_table() is not None)
    ws.classes.sort_by(0)
    snap(window, f"{prefix}classes")
    close(window)


BROKEN_BANK = """{
  "format": "adaptive-learning-bank/1",
  "id": "year-10-extra",
  "title": "Year 10 extra practice",
  "version": 1,
  "topics": [{"id": "ratio", "name": "Ratio", "prerequisites": ["percentages"]}],
  "concepts": [{"id": "sharing", "topic": "ratio", "name": "Sharing in a ratio"}],
  "questions": [
    {"id": "q1", "concept": "sharing", "type": "mcq", "text": "Share 20 in the ratio 2:3.",
     "options": ["8 and 12", "10 and 10"], "answer": "8 and 13", "difficulty": 2},
    {"id": "q2", "concept": "sharing", "type": "numerical", "text": "Share 30 in 1:2; the larger part?",
     "answer": "twenty", "difficulty": 7},
    {"id": "q2", "concept": "sharing", "type": "true_false", "text": "", "answer": "yes"}
  ]
}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=240, help="simulated answers for the student's history")
    parser.add_argument("--only-classes", action="store_true", help="only the teacher's Classes screen")
    args = parser.parse_args()
    keyring.set_keyring(fail.Keyring())  # never the developer's real keyring
    OUT.mkdir(parents=True, exist_ok=True)
    app = application()
    app.setAttribute(Qt.ApplicationAttribute.AA_DontShowIconsInMenus, False)
    with tempfile.TemporaryDirectory(prefix="al-screens-") as tmp_name:
        tmp = Path(tmp_name)
        print("Making a class of simulated students…")
        cached = make_class(tmp / "teacher", SecretStore(tmp / "secrets.json"))
        classes_screen(tmp / "teacher", cached, tmp, "light", "light-", (1280, 800))
        if args.only_classes:
            return 0
        data_dir = tmp / "student"
        print("Making a student with history…")
        make_student(data_dir, SecretStore(tmp / "secrets.json"), answers=args.answers)
        for theme in ("light", "dark"):
            print(f"{theme}:")
            first_run_screens(tmp, theme, f"{theme}-", (1280, 800))
            workspace_screens(data_dir, tmp, theme, f"{theme}-", (1280, 800), full=True)
        print("1024×640:")
        first_run_screens(tmp, "light", "small-", (1024, 640))
        workspace_screens(data_dir, tmp, "light", "small-", (1024, 640), full=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
