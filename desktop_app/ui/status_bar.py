"""The sync state in the status bar: icon plus words, never colour alone."""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from desktop_app.ui.icons import IconLabel
from desktop_app.ui.sync_controller import SyncPhase, SyncStatus

_ICONS = {SyncPhase.NOT_SIGNED_IN: "sync-waiting", SyncPhase.OFFLINE: "sync-offline",
          SyncPhase.SYNCING: "sync-syncing", SyncPhase.SYNCED: "sync-done", SyncPhase.WAITING: "sync-waiting",
          SyncPhase.ERROR: "sync-error"}


class SyncStatusWidget(QWidget):
    """Shows a SyncStatus. The sync worker drives it through `set_state`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._icon = IconLabel(parent=self)
        self._text = QLabel(self)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self._icon)
        layout.addWidget(self._text)
        self._status = SyncStatus(SyncPhase.NOT_SIGNED_IN)
        self._clock = QTimer(self)  # "synced 3 min ago" must age
        self._clock.setInterval(30_000)
        self._clock.timeout.connect(self._render)
        self._render()

    @property
    def status(self) -> SyncStatus:
        return self._status

    def text(self) -> str:
        return self._text.text()

    def set_state(self, phase: SyncPhase, *, pending: int = 0, last_synced: datetime | None = None,
                  message: str | None = None) -> None:
        self.set_status(SyncStatus(phase, pending, last_synced, message))

    def set_status(self, status: SyncStatus) -> None:
        self._status = status
        if status.phase == SyncPhase.SYNCED:
            self._clock.start()
        else:
            self._clock.stop()
        self._render()

    def _waiting(self, n: int) -> str:
        return self.tr("%n change(s) waiting", "", n)

    def _render(self) -> None:
        s = self._status
        parts: list[str]
        if s.phase == SyncPhase.NOT_SIGNED_IN:
            parts = [self.tr("Not signed in to a sync server")]
        elif s.phase == SyncPhase.OFFLINE:
            parts = [self.tr("Offline")]
        elif s.phase == SyncPhase.SYNCING:
            parts = [self.tr("Syncing…")]
        elif s.phase == SyncPhase.SYNCED:
            parts = [self._ago(s.last_synced)]
        elif s.phase == SyncPhase.WAITING:
            parts = [self._ago(s.last_synced)] if s.last_synced else []
        else:
            parts = [self.tr("Sync error: %1").replace("%1", s.message or self.tr("unknown"))]
        if s.pending and s.phase != SyncPhase.SYNCING:
            parts.append(self._waiting(s.pending))
        if s.refused:
            parts.append(self.tr("%n change(s) refused by the server (see Settings)", "", s.refused))
        text = " · ".join(parts) or self.tr("Up to date")
        self._text.setText(text)
        self._icon.set_icon(_ICONS[s.phase])
        self.setToolTip(text)
        self.setAccessibleName(self.tr("Sync status: %1").replace("%1", text))

    def _ago(self, when: datetime | None) -> str:
        if when is None:
            return self.tr("Synced")
        minutes = int((datetime.now(timezone.utc) - when).total_seconds() // 60)
        if minutes < 1:
            return self.tr("Synced just now")
        return self.tr("Synced %n min ago", "", minutes)
