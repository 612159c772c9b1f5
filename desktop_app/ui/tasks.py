"""The one way the GUI runs work off its thread (after Anki's taskman/CollectionOp).

Database work runs on a single worker thread, one task at a time, in submission order:
SQLite has one writer anyway, and ordering means "save the answer, then fetch the next
question" needs no locking. A task that touches the database gets its own session in its
own transaction (`db.transaction()`), committed before its result reaches the GUI: when a
success callback runs, the change is durable. Results and progress come back to the GUI
thread through a queued signal.

Be careful not to call any UI routines in `op`: it runs on the worker thread. Return plain
values (the services' dataclasses), never ORM objects: their session is gone by then.
"""
from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot
from sqlalchemy.orm import Session

from desktop_app.db.database import LocalDatabase

T = TypeVar("T")
log = logging.getLogger(__name__)


class TaskRunner(QObject):
    """Runs `op`s on one worker thread and calls back on the GUI thread.

    Signals (GUI thread): `busy_changed(bool)` while anything is queued or running;
    `changed()` after a successful write task (the status bar recounts pending changes);
    `finished()` after every callback (tests wait on it).
    """

    busy_changed = Signal(bool)
    changed = Signal()
    finished = Signal()
    _wake = Signal()  # "closures are waiting"; they travel in a queue, not in the signal

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db")
        self._pending = 0
        self._closed = False
        self.db: LocalDatabase | None = None
        # Python objects cross threads through this queue (as in Anki's taskman), never as
        # signal arguments: the signal carries no data, so nothing depends on how a binding
        # copies Python objects between threads.
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._wake.connect(self._drain)

    # --- submitting ---------------------------------------------------------------------

    def run(self, op: Callable[[], T], *, on_success: Callable[[T], Any] | None = None,
            on_failure: Callable[[Exception], Any] | None = None) -> Future[T]:
        """Run `op()` on the worker (no session: e.g. opening the database, an import)."""
        return self._submit(op, on_success, on_failure, write=False)

    def query(self, op: Callable[[Session], T], *, on_success: Callable[[T], Any] | None = None,
              on_failure: Callable[[Exception], Any] | None = None) -> Future[T]:
        """Run a read `op(session)` in its own transaction."""
        return self._submit(self._in_transaction(op), on_success, on_failure, write=False)

    def write(self, op: Callable[[Session], T], *, on_success: Callable[[T], Any] | None = None,
              on_failure: Callable[[Exception], Any] | None = None) -> Future[T]:
        """Run a changing `op(session)`; it is committed before `on_success` runs."""
        return self._submit(self._in_transaction(op), on_success, on_failure, write=True)

    def progress(self, callback: Callable[..., Any]) -> Callable[..., None]:
        """Wrap a GUI `callback` so the worker can call it (e.g. an import's progress)."""
        def post(*args: Any) -> None:
            self._post(lambda: callback(*args))
        return post

    def shutdown(self) -> None:
        """Finish the queued tasks (an answer being saved is never cut off), then stop.

        Callbacks still on their way are dropped: the window they would update is closing."""
        self._closed = True
        self._executor.shutdown(wait=True)

    # --- internals ----------------------------------------------------------------------

    def _in_transaction(self, op: Callable[[Session], T]) -> Callable[[], T]:
        def run() -> T:
            if self.db is None:
                raise RuntimeError("the database is not open yet")
            with self.db.transaction() as session:
                return op(session)
        return run

    def _submit(self, fn: Callable[[], T], on_success: Callable[[T], Any] | None,
                on_failure: Callable[[Exception], Any] | None, *, write: bool) -> Future[T]:
        if self._closed:
            future: Future[T] = Future()
            future.cancel()
            return future
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)
        future = self._executor.submit(fn)
        future.add_done_callback(lambda f: self._post(_Outcome(f, on_success, on_failure, write)))
        return future

    def _post(self, item: Any) -> None:
        self._inbox.put(item)
        self._wake.emit()

    @Slot()
    def _drain(self) -> None:
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return
            if not self._closed:
                self._deliver_one(item)

    def _deliver_one(self, item: Any) -> None:
        if not isinstance(item, _Outcome):
            item()
            return
        self._pending -= 1
        try:
            item.dispatch(self)
        finally:
            if self._pending == 0:
                self.busy_changed.emit(False)
            self.finished.emit()


class _Outcome(Generic[T]):
    def __init__(self, future: Future[T], on_success: Callable[[T], Any] | None,
                 on_failure: Callable[[Exception], Any] | None, write: bool) -> None:
        self.future, self.on_success, self.on_failure, self.write = future, on_success, on_failure, write

    def dispatch(self, runner: TaskRunner) -> None:
        if self.future.cancelled():
            return
        exc = self.future.exception()
        if exc is None:
            if self.write:
                runner.changed.emit()
            if _alive(self.on_success):
                self.on_success(self.future.result())  # type: ignore[misc]
            return
        if self.on_failure is not None and isinstance(exc, Exception):
            if _alive(self.on_failure):
                self.on_failure(exc)
            return
        # Unexpected: raise on the GUI thread, where the application's excepthook shows it
        # (and pytest-qt turns it into a test failure).
        raise exc


def _alive(callback: Callable[..., Any] | None) -> bool:
    """False for a method of a widget that is gone (a screen closed while its task ran,
    e.g. after signing out): the result has nobody to show it to."""
    if callback is None:
        return False
    owner = getattr(callback, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)
