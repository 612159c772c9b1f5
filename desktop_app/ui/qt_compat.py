"""A guard against reference-counting bugs in PySide6 6.12.0 on Python < 3.12.

In that release, on Python 3.11, every call of a Qt method that returns nothing (`setText`,
`update`, `processEvents`, ...) drops one reference to `None`, and `SignalInstance.emit()`
drops one to `True`. After enough calls (a long study session makes millions) or at
interpreter exit, CPython aborts with "none_dealloc: deallocating None" or "bool_dealloc".
PySide6 6.11.x is not affected, and on Python 3.12+ these singletons are immortal.

The real fix is not to install 6.12.0 (pyproject should exclude it). Until then, where the
bug is detected, the singletons get a large reserve of references: they are never freed,
so extra references cost nothing, and the reserve outlasts any session.
"""
from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

_RESERVE = 1 << 40
_applied = False


class _Probe(QObject):
    fired = Signal()


def leaking_singletons() -> list[object]:
    """The singletons (None, True) whose references PySide6 drops here; empty when sound."""
    probe = _Probe()
    leaking: list[object] = []
    before = sys.getrefcount(None)
    for _ in range(16):
        probe.setObjectName("probe")  # returns nothing
    if sys.getrefcount(None) < before:
        leaking.append(None)
    before = sys.getrefcount(True)
    for _ in range(16):
        probe.fired.emit()
    if sys.getrefcount(True) < before:
        leaking.append(True)
    return leaking


def emit_leaks_true() -> bool:
    return True in leaking_singletons()


def guard() -> None:
    """Apply the reserve once, only where the bug is present."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    _applied = True
    leaking = leaking_singletons()
    if leaking:
        leaking.append(False)  # its sibling, in case another method returns it without a reference
    for singleton in leaking:
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(singleton)).value += _RESERVE
