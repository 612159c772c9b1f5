"""Presents sync_client's `SyncService` as the GUI's `SyncController`.

sync_client must not import the UI, so it reports its own `sync_client.status.SyncStatus`;
this adapter translates it for the status bar and forwards everything else. Enable it by
giving `build_window(sync_factory=service_controller)`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject

from desktop_app.db.database import LocalDatabase
from desktop_app.ui.sync_controller import SyncController, SyncPhase, SyncStatus

_PHASES = {"offline": SyncPhase.OFFLINE, "syncing": SyncPhase.SYNCING, "synced": SyncPhase.SYNCED,
           "waiting": SyncPhase.WAITING, "error": SyncPhase.ERROR, "login_required": SyncPhase.NOT_SIGNED_IN}


def translate_status(status: Any) -> SyncStatus:
    """sync_client.status.SyncStatus -> the GUI's SyncStatus."""
    return SyncStatus(phase=_PHASES[status.kind], pending=status.pending, last_synced=status.last_synced_at,
                      message=status.message or None, refused=status.failed)


def _tr(text: str) -> str:
    return QCoreApplication.translate("SyncAdapter", text)


def describe_refused(op: Any) -> str:
    """One refused change (sync_client.outbox.FailedOp) in words: what it was, and why."""
    things = {"question_attempts": _tr("An answer"), "student_profiles": _tr("Your exam details"),
              "study_plans": _tr("Your study plan"), "classes": _tr("A class"),
              "topics": _tr("A syllabus topic"), "topic_prerequisites": _tr("A prerequisite"),
              "concepts": _tr("A syllabus concept"), "questions": _tr("A question")}
    return _tr("%1: %2").replace("%1", things.get(op.table, op.table)).replace("%2", op.reason)


class ServiceSyncController(SyncController):
    """Owns a `SyncService` (sync_client/service.py) and speaks the SyncController interface."""

    def __init__(self, service: Any, parent: QObject | None = None, *, classes: Any | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self._classes = classes
        service.status_changed.connect(lambda status: self.status_changed.emit(translate_status(status)))
        service.signed_in_changed.connect(self.signed_in_changed.emit)
        service.action_failed.connect(self.action_failed.emit)
        service.sign_in_failed.connect(self.sign_in_failed.emit)
        service.data_changed.connect(self.data_changed.emit)
        service.ops_failed.connect(self._refused)

    def _refused(self, ops: list[Any]) -> None:
        self.refused = [describe_refused(op) for op in ops]
        self.refused_changed.emit(self.refused)

    @property
    def available(self) -> bool:
        return True

    def classes_client(self) -> Any | None:
        return self._classes

    @property
    def signed_in(self) -> bool:
        return bool(self.service.signed_in)

    def start(self) -> None:
        self.service.start()

    def shutdown(self) -> None:
        self.service.shutdown()

    def local_change(self) -> None:
        self.service.local_change()

    def sign_in(self, *, server_url: str, username: str, password: str) -> None:
        self.service.sign_in(server_url=server_url, username=username, password=password)

    def register(self, *, server_url: str, username: str, password: str, role: str, teacher_code: str) -> None:
        self.service.register(server_url=server_url, username=username, password=password, role=role,
                              teacher_code=teacher_code)

    def sign_out(self) -> None:
        self.service.sign_out()

    def sync_now(self) -> None:
        self.service.sync_now()


def service_controller(db: LocalDatabase, data_dir: Path) -> SyncController:
    """The real sync, for `build_window(sync_factory=...)` (imports sync_client only here)."""
    from sync_client.classes import ClassesClient
    from sync_client.service import SyncService

    return ServiceSyncController(SyncService(db, data_dir=data_dir), classes=ClassesClient(db, data_dir))
