"""A guard against a reference-counting bug in PySide6 6.12.0 on Python < 3.12.

In that release `SignalInstance.emit()` returns `True` without taking a reference to it,
so every emit from Python code drops one reference to the `True` singleton; after enough
emits (or at interpreter exit) CPython aborts with "bool_dealloc: deallocating True or
False". PySide6 6.11.x is not affected, and on Python 3.12+ `True` is immortal.

The real fix is not to install 6.12.0 (pyproject should exclude it). Until then, where the
bug is detected, `True` is given a large reserve of references: it is a singleton that is
never freed, so extra references cost nothing, and the reserve outlasts any session.
"""
from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

_RESERVE = 1 << 40
_applied = False


class _Probe(QObject):
    fired = Signal()


def emit_leaks_true() -> bool:
    """True when emitting a signal from Python drops a reference to True (the 6.12.0 bug)."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.fired.emit()
    return sys.getrefcount(True) < before


def guard() -> None:
    """Apply the reserve once, only where the bug is present."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    _applied = True
    if emit_leaks_true():
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(True)).value += _RESERVE
