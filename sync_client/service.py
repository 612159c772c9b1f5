"""`SyncService`: the GUI thread's handle on the sync worker and the thread it runs on.

Methods return at once (they emit queued signals to the worker); outcomes come back as
this object's signals, delivered on the GUI thread. It matches the shape of the GUI's
`SyncController` (desktop_app/ui/sync_controller.py: available, signed_in, sign_in,
sign_out, sync_now; status_changed, signed_in_changed, action_failed, sign_in_failed), with sync_client's
own `SyncStatus`, so the UI adapts it without this package importing the UI.

Lifecycle: `start()` once; `shutdown()` before the database is closed: it sets the stop
flag (the round ends after its current batch or page — nothing is lost: unacknowledged
ops stay queued, applied pages are committed with their cursor), then quits and joins the
thread. Network reachability comes from QNetworkInformation when a backend is available;
otherwise the worker's backoff probing finds the server again.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from desktop_app.db.database import LocalDatabase
from sync_client.worker import SyncWorker

log = logging.getLogger(__name__)


class SyncService(QObject):
    status_changed = Signal(object)  # sync_client.status.SyncStatus
    signed_in_changed = Signal(bool)
    action_failed = Signal(str)
    sign_in_failed = Signal(str, str)  # (why, message): see SyncWorker.sign_in_failed
    ops_failed = Signal(list)  # list[sync_client.outbox.FailedOp]
    notice = Signal(str)
    data_changed = Signal()  # rows arrived from another device or the teacher

    # to the worker (queued: they cross to the sync thread)
    _sync_now = Signal()
    _local_change = Signal()
    _sign_in = Signal(str, str, str)
    _register = Signal(str, str, str, str, str)
    _sign_out = Signal()
    _stop = Signal()
    _network = Signal(bool)

    def __init__(self, db: LocalDatabase, *, data_dir: Path, parent: QObject | None = None, **worker_options: Any) -> None:
        super().__init__(parent)
        self._signed_in = False
        self._thread = QThread(self)  # deleted with the service (after shutdown)
        self._thread.setObjectName("sync")
        self.worker = SyncWorker(db, data_dir=data_dir, **worker_options)
        self.worker.moveToThread(self._thread)
        self._thread.started.connect(self.worker.start)
        self._thread.finished.connect(self.worker.deleteLater)
        for mine, theirs in ((self._sync_now, self.worker.sync_now), (self._local_change, self.worker.local_change),
                             (self._sign_in, self.worker.sign_in), (self._register, self.worker.register),
                             (self._sign_out, self.worker.sign_out), (self._stop, self.worker.stop),
                             (self._network, self.worker.network_changed)):
            mine.connect(theirs)
        for theirs, mine in ((self.worker.status_changed, self.status_changed),
                             (self.worker.action_failed, self.action_failed),
                             (self.worker.sign_in_failed, self.sign_in_failed),
                             (self.worker.ops_failed, self.ops_failed), (self.worker.notice, self.notice),
                             (self.worker.data_changed, self.data_changed)):
            theirs.connect(mine.emit)
        self.worker.signed_in_changed.connect(self._on_signed_in)
        self._watch_network()

    # --- the SyncController shape -------------------------------------------------------------
    @property
    def available(self) -> bool:
        return True

    @property
    def signed_in(self) -> bool:
        return self._signed_in

    def start(self) -> None:
        self._thread.start()

    def sign_in(self, *, server_url: str, username: str, password: str) -> None:
        self._sign_in.emit(server_url, username, password)

    def register(self, *, server_url: str, username: str, password: str, role: str = "student",
                 teacher_code: str = "") -> None:
        """Create the server account, then sign in (a teacher needs the server's teacher code)."""
        self._register.emit(server_url, username, password, role, teacher_code)

    def sign_out(self) -> None:
        self._sign_out.emit()

    def sync_now(self) -> None:
        self._sync_now.emit()

    def local_change(self) -> None:
        """Call after the GUI committed a change: a round follows after a short quiet period."""
        self._local_change.emit()

    def shutdown(self, timeout_ms: int = 45_000) -> bool:
        """Stop the worker and join its thread; True if it ended within `timeout_ms`.

        The wait is bounded by the transport's timeouts (an HTTP request in flight).
        """
        if not self._thread.isRunning():
            return True
        self.worker.request_stop()
        self._stop.emit()
        self._thread.quit()
        finished = self._thread.wait(timeout_ms)
        if not finished:
            log.warning("the sync thread did not stop within %d ms", timeout_ms)
        return finished

    # --- internals ------------------------------------------------------------------------------
    def _on_signed_in(self, value: bool) -> None:
        if value != self._signed_in:
            self._signed_in = value
        self.signed_in_changed.emit(value)

    def _watch_network(self) -> None:
        try:
            from PySide6.QtNetwork import QNetworkInformation
        except ImportError:  # pragma: no cover - QtNetwork is part of PySide6-Essentials
            return
        try:
            if not QNetworkInformation.loadBackendByFeatures(QNetworkInformation.Feature.Reachability):
                return
        except RuntimeError:
            return
        info = QNetworkInformation.instance()
        if info is None:
            return
        online = QNetworkInformation.Reachability.Online
        info.reachabilityChanged.connect(lambda reach: self._network.emit(reach == online))
