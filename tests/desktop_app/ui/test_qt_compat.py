"""The guard against PySide6 6.12.0 dropping a reference to True on every emit."""
from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from desktop_app.ui import qt_compat


class _Emitter(QObject):
    ping = Signal()


def test_many_emits_cannot_exhaust_true() -> None:
    qt_compat.guard()
    emitter = _Emitter()
    for _ in range(50_000):
        emitter.ping.emit()
    assert sys.getrefcount(True) > 1_000_000 or not qt_compat.emit_leaks_true()
