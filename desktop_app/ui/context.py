"""What every screen is given in its constructor (no global main-window object)."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from desktop_app.credentials import SecretStore
from desktop_app.ui.preferences import Preferences
from desktop_app.ui.sync_controller import SyncController
from desktop_app.ui.tasks import TaskRunner


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class AppContext:
    runner: TaskRunner
    prefs: Preferences
    secrets: SecretStore
    sync: SyncController
    now: Callable[[], datetime] = field(default=_utcnow)  # injected so tests and screenshots can fix "now"
    clock: Callable[[], float] = field(default=time.monotonic)  # seconds, for time on a question; tests advance it

    @property
    def device_id(self) -> str:
        assert self.runner.db is not None, "the database is not open yet"
        return self.runner.db.device_id

    def today(self) -> date:
        """The student's calendar day (local time), which plans and countdowns use."""
        return self.now().astimezone().date()
