"""The GUI's sync interface over sync_client's SyncService: statuses in words, lifecycle calls."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from desktop_app.credentials import SecretStore
from desktop_app.services import profile
from desktop_app.ui.app import build_window
from desktop_app.ui.sync_adapter import ServiceSyncController, translate_status
from desktop_app.ui.sync_controller import SyncPhase
from desktop_app.ui.workspace import SETTINGS
from sync_client.outbox import FailedOp
from sync_client.status import SyncStatus as ClientStatus
from tests.desktop_app.ui.fake_sync import FakeService


def test_every_client_status_kind_has_words() -> None:
    ago = datetime.now(timezone.utc) - timedelta(minutes=2)
    assert translate_status(ClientStatus("waiting", pending=3, last_synced_at=ago)).phase == SyncPhase.WAITING
    assert translate_status(ClientStatus("login_required")).phase == SyncPhase.NOT_SIGNED_IN
    error = translate_status(ClientStatus("error", message="server said no"))
    assert (error.phase, error.message) == (SyncPhase.ERROR, "server said no")
    for kind in ("offline", "syncing", "synced"):
        assert translate_status(ClientStatus(kind)).phase.value == kind


def test_window_drives_the_service_and_shows_its_status(qtbot: QtBot, data_dir: Path, tmp_path: Path) -> None:
    fake = FakeService()
    window = build_window(data_dir, settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                          secrets=SecretStore(tmp_path / "secrets.json"),
                          sync_factory=lambda db, folder: ServiceSyncController(fake))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.ready, timeout=20_000):
        window.start()
    assert fake.calls[:1] == ["start"]
    fake.status_changed.emit(ClientStatus("waiting", pending=2, last_synced_at=datetime.now(timezone.utc)))
    assert window.sync_status.text() == "Synced just now · 2 changes waiting"
    page = window.first_run
    page.username.setText("Lee")
    page.password.setText("password-l")
    page.confirm.setText("password-l")
    with qtbot.waitSignal(page.created, timeout=20_000):
        page.accept()
    assert "local_change" in fake.calls  # a committed change tells sync
    assert window.sync_status.text() == "Synced just now · 2 changes waiting"  # not overwritten by the count
    window.close()
    assert fake.calls[-1] == "shutdown"
    window.runner.shutdown()
    window.runner.db.close()


def test_the_visible_screen_shows_what_a_sync_brought(home_window: Any, student: str, qtbot: QtBot) -> None:
    window = home_window
    home = window.workspace.home
    assert home.days.text() == "45 days left"
    # Another laptop moved the exam date; the sync worker applied it to this database ...
    with window.runner.db.transaction() as s:
        profile.save_profile(s, student_id=student, grade="Year 11", target_exam="GCSE Mathematics",
                             exam_date=date.today() + timedelta(days=10), hours_per_day=2.0, today=date.today())
    assert home.days.text() == "45 days left"  # nothing on screen tells the window yet
    window.ctx.sync.data_changed.emit()  # ... and says so
    qtbot.waitUntil(lambda: home.days.text() == "10 days left", timeout=10_000)


def test_refused_changes_and_sync_now_are_in_reach(qtbot: QtBot, make_window: Any, student: str) -> None:
    fake = FakeService()
    fake.signed_in = True
    window = make_window(lambda db, folder: ServiceSyncController(fake))
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=20_000)
    # The worker reports the changes the server refused (at start, and whenever they change).
    refused = FailedOp(op_id="op-1", table="question_attempts", row_id="r", operation="insert",
                       reason="unknown_reference: question q does not exist on the server")
    fake.ops_failed.emit([refused])
    fake.status_changed.emit(ClientStatus("synced", failed=1, last_synced_at=datetime.now(timezone.utc)))
    assert window.sync_status.text() == "Synced just now · 1 change refused by the server (see Settings)"
    window.workspace.go(SETTINGS)
    page = window.workspace.settings
    assert page.sync_card.refused.isVisible()
    assert "An answer: unknown_reference: question q does not exist" in page.sync_card.refused.text()
    assert page.sync_card.refused.text().startswith("The server refused 1 change. Your work stays")
    # Sync now, from the button and from F5 anywhere in the window.
    fake.calls.clear()
    assert page.sync_card.sync_now.isEnabled()
    qtbot.mouseClick(page.sync_card.sync_now, Qt.MouseButton.LeftButton)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert fake.calls == ["sync_now", "sync_now"]
    fake.ops_failed.emit([])  # resolved: the list goes away
    assert not page.sync_card.refused.isVisible()
