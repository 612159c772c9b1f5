"""Python's cyclic garbage collector held off while a sync round runs.

A round builds tens of thousands of small containers that stay alive until their page is
written (decoded changes, parsed rows, ops to send). Each one counts towards the next
collection, and every collection of an older generation walks all of them again, plus the
whole heap of Qt and SQLAlchemy objects: on a first sync of 10,000 attempts the collector
took about 200 ms of a ~650 ms round (bench/sync.py, with and without). The round's garbage
is freed by reference counting; the few cycles it leaves are collected after it.

Process-wide (the collector is), so rounds on two threads share one pause: the collector is
back on when the last one ends, and stays off if something else had turned it off before.
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
