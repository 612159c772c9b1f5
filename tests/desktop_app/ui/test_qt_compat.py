"""The guard against PySide6 6.12.0 dropping references to None and True."""
from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from desktop_app.ui import qt_compat


class _Emitter(QObject):
    ping = Signal()


def test_many_calls_cannot_exhaust_the_singletons() -> None:
    qt_compat.guard()
    emitter = _Emitter()
    for _ in range(200_000):
        emitter.ping.emit()
        emitter.setObjectName("x")
    # Either the bug is absent, or the reserve keeps both far from zero.
    assert not qt_compat.leaking_singletons() or min(sys.getrefcount(None), sys.getrefcount(True)) > 1 << 30
