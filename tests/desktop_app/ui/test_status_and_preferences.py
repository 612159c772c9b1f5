"""The status bar's sync words, and preferences kept in QSettings."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from desktop_app.ui.preferences import Preferences
from desktop_app.ui.status_bar import SyncStatusWidget
from desktop_app.ui.sync_controller import SyncPhase, UnavailableSyncController


@pytest.mark.parametrize(("phase", "kwargs", "text"), [
    (SyncPhase.NOT_SIGNED_IN, {"pending": 3}, "Not signed in to a sync server · 3 changes waiting"),
    (SyncPhase.NOT_SIGNED_IN, {"pending": 1}, "Not signed in to a sync server · 1 change waiting"),
    (SyncPhase.OFFLINE, {"pending": 0}, "Offline"),
    (SyncPhase.SYNCING, {"pending": 9}, "Syncing…"),
    (SyncPhase.SYNCED, {"last_synced": timedelta(minutes=4, seconds=10)}, "Synced 4 min ago"),
    (SyncPhase.SYNCED, {"last_synced": timedelta(0), "pending": 2}, "Synced just now · 2 changes waiting"),
    (SyncPhase.WAITING, {"pending": 2}, "2 changes waiting"),
    (SyncPhase.ERROR, {"message": "the server refused the password"},
     "Sync error: the server refused the password"),
])
def test_sync_state_in_words(qtbot: QtBot, phase: SyncPhase, kwargs: dict, text: str) -> None:  # type: ignore[type-arg]
    from desktop_app.ui.app import install_translations

    install_translations(__import__("PySide6.QtWidgets", fromlist=["QApplication"]).QApplication.instance())
    if isinstance(kwargs.get("last_synced"), timedelta):  # relative to when the test runs, not collection
        kwargs = {**kwargs, "last_synced": datetime.now(timezone.utc) - kwargs["last_synced"]}
    widget = SyncStatusWidget()
    qtbot.addWidget(widget)
    widget.set_state(phase, **kwargs)
    assert widget.text() == text
    assert widget.toolTip() == text


def test_unavailable_sync_says_so(qtbot: QtBot) -> None:
    controller = UnavailableSyncController()
    assert not controller.available and not controller.signed_in
    with qtbot.waitSignal(controller.action_failed) as failed:
        controller.sign_in(server_url="https://x", username="u", password="p")
    assert failed.args == ["Sync is not available yet in this version."]


def test_preferences_round_trip_and_refuse_nonsense(qtbot: QtBot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    prefs = Preferences(settings)
    assert (prefs.theme, prefs.font_scale, prefs.server_url) == ("system", 1.0, "")
    with qtbot.waitSignal(prefs.appearance_changed):
        prefs.theme = "dark"
    with pytest.raises(ValueError):
        prefs.theme = "purple"
    prefs.font_scale = 1.3
    prefs.server_url = "  https://sync.example  "
    prefs.sync()
    again = Preferences(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert (again.theme, again.font_scale, again.server_url) == ("dark", 1.3, "https://sync.example")
    settings.setValue("appearance/font_scale", "huge")
    assert Preferences(settings).font_scale == 1.0
