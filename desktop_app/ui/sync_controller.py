"""What the GUI needs from sync, as an interface; issue 6 (sync_client) implements it.

The Settings screen and the status bar talk only to a `SyncController`. Until a real
worker exists the app uses `UnavailableSyncController`, which says so plainly instead of
pretending: `available` is False and every action reports "not available yet".
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, Signal


class SyncPhase(enum.Enum):
    NOT_SIGNED_IN = "not_signed_in"  # no server account on this laptop, or it must sign in again
    OFFLINE = "offline"  # signed in, server unreachable
    SYNCING = "syncing"
    SYNCED = "synced"
    WAITING = "waiting"  # signed in, online, local changes wait for the next round
    ERROR = "error"


@dataclass(frozen=True)
class SyncStatus:
    phase: SyncPhase
    pending: int = 0  # local changes not yet accepted by the server
    last_synced: datetime | None = None
    message: str | None = None  # ERROR: what went wrong, in words for the user
    refused: int = 0  # changes the server refused for good (listed in Settings)


class SyncController(QObject):
    """The GUI's handle on sync. Methods return at once; outcomes arrive as signals on the
    GUI thread. Implementations run network work off the GUI thread.

    Signals:
      status_changed(SyncStatus)  - drives the status bar.
      signed_in_changed(bool)     - after sign_in/sign_out succeed (typed `object`: PySide6
                                    6.12 mis-counts references of bool signal arguments).
      action_failed(str)          - an attempt failed (sync not available, sign-out); the text
                                    is for the user.
      sign_in_failed(str, str)    - (why, message): the server did not sign this laptop in.
                                    `why` is "wrong_credentials" (the password was wrong),
                                    "username_taken", "teacher_code", "throttled",
                                    "unreachable", "bad_address" or "other"; the message is
                                    for the user.
      data_changed()              - a sync brought rows from another laptop or the teacher:
                                    screens that show data reload it.
      refused_changed(list[str])  - the changes the server refused for good, one line each
                                    for the person (also kept in `refused`).

    Lifecycle: the window calls `start()` once the database is open and `shutdown()` before
    it closes it; `local_change()` after every committed change of the GUI.
    """

    status_changed = Signal(object)
    signed_in_changed = Signal(object)
    action_failed = Signal(str)
    sign_in_failed = Signal(str, str)
    data_changed = Signal()
    refused_changed = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.refused: list[str] = []

    def start(self) -> None:
        """Begin working (the database is open)."""

    def shutdown(self) -> None:
        """Stop before the database is closed; nothing queued may be lost."""

    def local_change(self) -> None:
        """The GUI committed a change: sync may want to push it soon."""

    def classes_client(self) -> object | None:
        """A `sync_client.classes.ClassesClient` (blocking: use it off the GUI thread), or None
        when this build has no sync."""
        return None

    @property
    def available(self) -> bool:
        raise NotImplementedError

    @property
    def signed_in(self) -> bool:
        raise NotImplementedError

    def sign_in(self, *, server_url: str, username: str, password: str) -> None:
        raise NotImplementedError

    def register(self, *, server_url: str, username: str, password: str, role: str, teacher_code: str) -> None:
        """Create an account on the server, then sign in; outcomes as for `sign_in`."""
        raise NotImplementedError

    def sign_out(self) -> None:
        raise NotImplementedError

    def sync_now(self) -> None:
        raise NotImplementedError


class UnavailableSyncController(SyncController):
    """This build has no sync: every action reports that honestly."""

    @property
    def available(self) -> bool:
        return False

    @property
    def signed_in(self) -> bool:
        return False

    def sign_in(self, *, server_url: str, username: str, password: str) -> None:
        self.action_failed.emit(self.tr("Sync is not available yet in this version."))

    def register(self, *, server_url: str, username: str, password: str, role: str, teacher_code: str) -> None:
        self.action_failed.emit(self.tr("Sync is not available yet in this version."))

    def sign_out(self) -> None:
        self.action_failed.emit(self.tr("Sync is not available yet in this version."))

    def sync_now(self) -> None:
        self.action_failed.emit(self.tr("Sync is not available yet in this version."))
