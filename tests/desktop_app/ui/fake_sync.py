"""A stand-in for sync_client.service.SyncService (the same signals and methods) that records
what reaches it, for the GUI tests that need no worker and no server."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal


class FakeService(QObject):
    status_changed = Signal(object)
    signed_in_changed = Signal(object)
    action_failed = Signal(str)
    sign_in_failed = Signal(str, str)
    data_changed = Signal()
    ops_failed = Signal(list)

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []  # every method called, by name
        self.requests: list[tuple[str, dict[str, Any]]] = []  # sign-ins and registrations, with their fields
        self.signed_in = False

    def start(self) -> None:
        self.calls.append("start")

    def shutdown(self) -> None:
        self.calls.append("shutdown")

    def local_change(self) -> None:
        self.calls.append("local_change")

    def sign_out(self) -> None:
        self.calls.append("sign_out")

    def sync_now(self) -> None:
        self.calls.append("sync_now")

    def sign_in(self, **fields: Any) -> None:
        self.calls.append("sign_in")
        self.requests.append(("sign_in", fields))

    def register(self, **fields: Any) -> None:
        self.calls.append("register")
        self.requests.append(("register", fields))
