"""The sync worker: a QObject on its own QThread. The GUI talks to it only through signals.

`SyncWorker` lives on the sync thread. It shares the app's `LocalDatabase` (the engine,
its connection pool and the device's clock are thread-safe) but opens its own sessions on
its own thread; ORM objects never cross threads — only `SyncStatus`, `FailedOp` and
strings do. It syncs on start, after local changes (debounced `local_change`), on a
timer, on `sync_now`, and when the network comes back; while the server is unreachable
it retries with exponential backoff and jitter. An expired or revoked token stops it in
LOGIN_REQUIRED — one prompt, no retry loop — until `sign_in` succeeds. `SyncService`
(sync_client/service.py) is the GUI-thread facade that owns the thread.

Every slot runs on the sync thread and may block (network, SQLite): never call them
directly from the GUI thread; emit the service's signals. `request_stop` is the one
method meant for another thread: it sets the flag the round checks between batches.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

from desktop_app.db.database import LocalDatabase
from sync_client import account, outbox, state
from sync_client import status as st
from sync_client.apply import ProtocolMismatch
from sync_client.backoff import Backoff
from sync_client.engine import SyncConfig, Synchronizer
from sync_client.errors import (AccountConflict, AuthRequired, BadServerAddress, InvalidCredentials,
                                ServerUnreachable, SyncError, Throttled, UpgradeRequired)
from sync_client.state import TokenStore
from sync_client.transport import HttpTransport, Transport

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("SyncWorker", text)


def _why_not(exc: SyncError) -> tuple[str, str]:
    """(why, words for the person) for a failed sign-in or registration; see `sign_in_failed`."""
    if isinstance(exc, InvalidCredentials):
        return "wrong_credentials", _tr("Wrong user name or password.")
    if isinstance(exc, Throttled):  # before ServerUnreachable, its base class
        return "throttled", _tr("Too many attempts. Try again later.") + f" ({exc})"
    if isinstance(exc, AccountConflict):
        return "username_taken", _tr("This user name is taken. Choose another one, or sign in.")
    if isinstance(exc, ServerUnreachable):
        return "unreachable", _tr("Cannot reach the sync server. Check the address and your connection.")
    if isinstance(exc, BadServerAddress):
        return "bad_address", _tr("This is not a sync server address: it looks like https://sync.school.org.")
    if getattr(exc, "code", "") == "teacher_code_required":
        return "teacher_code", _tr("This is not the teacher code of this server. Ask whoever runs it.")
    return "other", str(exc)


class SyncWorker(QObject):
    status_changed = Signal(object)  # SyncStatus
    ops_failed = Signal(list)  # list[FailedOp]: every change the server refused, whenever the list changes
    signed_in_changed = Signal(bool)
    action_failed = Signal(str)  # a sign-out attempt failed: the reason, for the person
    # A sign-in or registration failed: (why, the reason for the person). `why` says what the
    # form should do: "wrong_credentials" (the password was wrong: clear it), "username_taken",
    # "teacher_code" (missing or wrong), "throttled", "unreachable" (keep the password: the
    # next try may work), "bad_address", "other".
    sign_in_failed = Signal(str, str)
    notice = Signal(str)  # something to tell the person once (no OS keyring)
    data_changed = Signal()  # a round brought rows from elsewhere: screens showing them reload

    def __init__(self, db: LocalDatabase, *, data_dir: Path,
                 transport_factory: Callable[[str], Transport] = HttpTransport,
                 config: SyncConfig = SyncConfig(), debounce_ms: int = 1500, interval_ms: int = 300_000,
                 backoff: Backoff | None = None) -> None:
        super().__init__()
        self._db = db
        self._tokens = TokenStore(data_dir, db.device_id)
        self._transport_factory = transport_factory
        self._transport: Transport | None = None
        self._transport_url: str | None = None
        self._config = config
        self._debounce_ms, self._interval_ms = debounce_ms, interval_ms
        self._backoff = backoff or Backoff()
        self._stop = threading.Event()
        self._signed_in = False
        self._fatal = ""  # a reason automatic rounds must not retry (update the app)
        self._refused_shown: list[tuple[str, str]] = []  # (op id, reason) of the refused changes last reported
        self._debounce = self._retry = self._periodic = None  # QTimers, made on the sync thread

    # --- for other threads --------------------------------------------------------------------
    def request_stop(self) -> None:
        """Thread-safe: the running round stops after its current batch or page."""
        self._stop.set()

    # --- slots (sync thread) ------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        self._debounce = self._timer(self._debounce_ms, single=True)
        self._retry = self._timer(0, single=True)
        self._periodic = self._timer(self._interval_ms, single=False)
        url, _, user_id = account.linked_account(self._db)
        self._set_signed_in(bool(url and user_id and self._tokens.get()))
        if self._signed_in:
            self._periodic.start()
            self._run()
        else:
            self._emit(st.LOGIN_REQUIRED, message=_tr("Sign in to a sync server to back up and share your progress."))

    @Slot()
    def stop(self) -> None:
        self._stop.set()
        for timer in (self._debounce, self._retry, self._periodic):
            if timer is not None:
                timer.stop()

    @Slot()
    def sync_now(self) -> None:
        self._backoff.reset()
        self._fatal = ""
        self._run()

    @Slot()
    def local_change(self) -> None:
        if self._signed_in and not self._stop.is_set() and self._debounce is not None:
            self._emit(st.WAITING)
            self._debounce.start()

    @Slot(bool)
    def network_changed(self, online: bool) -> None:
        if online and self._signed_in and self._retry is not None and self._retry.isActive():
            self._retry.stop()
            self._backoff.reset()
            self._run()

    @Slot(str, str, str)
    def sign_in(self, server_url: str, username: str, password: str) -> None:
        self._signing(lambda t: account.login(self._db, t, self._tokens, server_url=server_url,
                                              username=username, password=password), server_url)

    @Slot(str, str, str, str, str)
    def register(self, server_url: str, username: str, password: str, role: str, teacher_code: str) -> None:
        self._signing(lambda t: account.register(self._db, t, self._tokens, server_url=server_url,
                                                 username=username, password=password, role=role,
                                                 teacher_code=teacher_code or None), server_url)

    @Slot()
    def sign_out(self) -> None:
        url, _, _ = account.linked_account(self._db)
        account.logout(self._db, self._transport_for(url or ""), self._tokens)
        for timer in (self._debounce, self._retry, self._periodic):
            if timer is not None:
                timer.stop()
        self._set_signed_in(False)
        self._emit(st.LOGIN_REQUIRED, message=_tr("Signed out of sync. Your work stays on this laptop."))

    # --- the round ------------------------------------------------------------------------------
    def _run(self) -> None:
        if self._stop.is_set() or not self._signed_in:
            return
        url, _, _ = account.linked_account(self._db)
        if not url:
            return
        if self._debounce is not None:
            self._debounce.stop()
        self._emit(st.SYNCING)
        synchronizer = Synchronizer(self._db, self._transport_for(url), token=self._tokens.get, config=self._config)
        try:
            result = synchronizer.run(should_stop=self._stop.is_set)
        except AuthRequired as exc:
            log.info("sync: sign-in needed (%s)", exc.code)
            self._periodic.stop()
            self._retry.stop()
            self._set_signed_in(False)
            self._emit(st.LOGIN_REQUIRED, message=_tr("Your sign-in has expired. Sign in again to keep syncing."))
        except (UpgradeRequired, ProtocolMismatch) as exc:
            self._fatal = str(exc)
            self._emit(st.ERROR, message=str(exc))
        except ServerUnreachable as exc:
            delay = max(self._backoff.next_delay(), getattr(exc, "retry_after", None) or 0.0)
            self._retry.start(int(delay * 1000))
            self._emit(st.OFFLINE, message=_tr("Offline: your work is saved here and will sync later."),
                       retry_in=delay)
        except Exception as exc:  # noqa: BLE001 - the top of a background loop: a bug or a disk problem
            # (SQLite busy, disk full, a server bug) is logged, shown, and retried later; the
            # queue is intact because every batch and page commits on its own.
            log.exception("sync round failed")
            delay = self._backoff.next_delay()
            self._retry.start(int(delay * 1000))
            self._emit(st.ERROR, message=str(exc) or type(exc).__name__, retry_in=delay)
        else:
            self._backoff.reset()
            pending = result.pending
            if pending and not result.stopped:
                self._debounce.start()  # changes made during the round
            self._emit(st.WAITING if pending else st.SYNCED, pending=pending)
        finally:
            if synchronizer.result.pulled or synchronizer.result.repaired:  # committed, even if the round failed
                self.data_changed.emit()

    # --- helpers --------------------------------------------------------------------------------
    def _signing(self, act: Callable[[Transport], account.SignedIn], server_url: str) -> None:
        try:
            signed = act(self._transport_for(server_url))
        except SyncError as exc:
            self.sign_in_failed.emit(*_why_not(exc))
            return
        self._fatal = ""
        self._set_signed_in(True)
        self._tell_about_fallback(signed.fallback_secret_file)
        self._periodic.start()
        self._run()

    def _tell_about_fallback(self, in_use: bool) -> None:
        if not in_use:
            return
        with self._db.transaction() as session:
            if state.get(session, state.FALLBACK_NOTICE):
                return
            state.put(session, state.FALLBACK_NOTICE, "1")
        self.notice.emit(_tr("This computer has no keyring, so your sync sign-in is kept in a file only you "
                             "can read, next to your data."))

    def _transport_for(self, url: str) -> Transport:
        if self._transport is None or self._transport_url != url:
            self._transport = self._transport_factory(url)
            self._transport_url = url
        return self._transport

    def _timer(self, interval_ms: int, *, single: bool) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(single)
        timer.setInterval(interval_ms)
        timer.timeout.connect(self._run)
        return timer

    def _set_signed_in(self, value: bool) -> None:
        self._signed_in = value
        self.signed_in_changed.emit(value)

    def _emit(self, kind: str, *, pending: int | None = None, message: str = "", retry_in: float | None = None) -> None:
        with self._db.session() as session:
            if pending is None:
                pending = outbox.pending_count(session)
            refused = outbox.failed_ops(session)
            last = state.get(session, state.LAST_SYNCED)
        shown = [(op.op_id, op.reason) for op in refused]
        if shown != self._refused_shown:  # e.g. after a restart, or a new refusal
            self._refused_shown = shown
            self.ops_failed.emit(refused)
        if kind in (st.SYNCED, st.WAITING) and self._fatal:
            kind, message = st.ERROR, self._fatal
        self.status_changed.emit(st.SyncStatus(kind=kind, pending=pending, failed=len(refused),
                                               last_synced_at=datetime.fromisoformat(last) if last else None,
                                               message=message,
                                               retry_in=retry_in))
