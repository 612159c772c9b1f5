"""The Qt worker on its thread, driven through SyncService as the GUI drives it (pytest-qt)."""
from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from sqlalchemy import select

from desktop_app.db.models import Concept, Question, QuestionAttempt
from desktop_app.db.outbox import outbox_disabled
from sync_client import status as st
from sync_client.backoff import Backoff
from sync_client.engine import SyncConfig
from sync_client.fake import FakeServer, FakeTransport
from sync_client.errors import RequestFailed
from sync_client.service import SyncService
from sync_client.worker import _why_not
from tests.sync_client.conftest import PASSWORD, Laptop, sign_in


@pytest.fixture
def service(alice: Laptop, qtbot: Any) -> Iterator[Callable[..., SyncService]]:
    made: list[SyncService] = []

    def make(**options: Any) -> SyncService:
        options.setdefault("debounce_ms", 20)
        options.setdefault("backoff", Backoff(base=0.05, cap=0.2))
        svc = SyncService(alice.db, data_dir=alice.data_dir, transport_factory=lambda url: alice.transport, **options)
        svc.statuses = []  # type: ignore[attr-defined]
        svc.status_changed.connect(svc.statuses.append)  # type: ignore[attr-defined]
        made.append(svc)
        return svc

    yield make
    for svc in made:
        assert svc.shutdown(10_000)
    destroy(made)


def destroy(services: list[SyncService]) -> None:
    """Delete the Qt objects now, while the QApplication lives, not in the final GC pass at exit
    (an uncontrolled destruction order there crashes PySide)."""
    for svc in services:
        svc.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    services.clear()
    gc.collect()


def last(svc: SyncService) -> st.SyncStatus | None:
    return svc.statuses[-1] if svc.statuses else None  # type: ignore[attr-defined]


def wait_kind(qtbot: Any, svc: SyncService, kind: str, timeout: int = 10_000) -> st.SyncStatus:
    qtbot.waitUntil(lambda: last(svc) is not None and last(svc).kind == kind, timeout=timeout)
    return last(svc)  # type: ignore[return-value]


def test_syncs_on_start_and_after_a_local_change(alice: Laptop, server: FakeServer, service: Any, qtbot: Any) -> None:
    alice.answer(3)
    svc = service()
    with qtbot.waitSignal(svc.signed_in_changed, timeout=5000) as signed:
        svc.start()
    assert signed.args == [True]
    status = wait_kind(qtbot, svc, st.SYNCED)
    assert status.pending == 0 and status.last_synced_at is not None
    assert len(server.rows["question_attempts"]) == 3
    alice.answer(2, start=5)
    svc.local_change()
    qtbot.waitUntil(lambda: len(server.rows["question_attempts"]) == 5, timeout=5000)
    wait_kind(qtbot, svc, st.SYNCED)


def test_tells_the_screens_only_when_a_round_brought_something(
        alice: Laptop, server: FakeServer, service: Any, make_laptop: Callable[..., Laptop], qtbot: Any) -> None:
    svc = service()
    arrivals: list[int] = []
    svc.data_changed.connect(lambda: arrivals.append(1))
    svc.start()
    wait_kind(qtbot, svc, st.SYNCED)
    first = len(arrivals)  # the first round may pull the account's own rows
    alice.answer(2)
    svc.local_change()
    qtbot.waitUntil(lambda: len(server.rows["question_attempts"]) == 2, timeout=5000)
    wait_kind(qtbot, svc, st.SYNCED)
    assert len(arrivals) == first  # pushing our own answers brings nothing new to show
    second = make_laptop(FakeTransport(server), "second")
    sign_in(second)
    second.answer(3, start=10)
    second.sync()
    with qtbot.waitSignal(svc.data_changed, timeout=5000):
        svc.sync_now()
    assert len(alice.snapshot()["attempts"]) == 5


def test_a_round_that_fails_half_way_still_shows_what_it_brought(
        alice: Laptop, server: FakeServer, service: Any, make_laptop: Callable[..., Laptop], qtbot: Any) -> None:
    alice.sync()
    second = make_laptop(FakeTransport(server), "second")
    sign_in(second)
    second.answer(5)
    second.sync()
    pulls: list[str] = []

    def drop_after_the_first_page(name: str) -> None:
        if name == "pull":
            pulls.append(name)
            alice.transport.down = len(pulls) >= 2  # the connection goes with the second page

    alice.transport.on_call = drop_after_the_first_page
    svc = service(config=SyncConfig(pull_page=2), backoff=Backoff(base=600, cap=600))
    with qtbot.waitSignal(svc.data_changed, timeout=5000):
        svc.start()
    wait_kind(qtbot, svc, st.OFFLINE)
    assert len(alice.snapshot()["attempts"]) == 2  # the first page was kept, and the screen told


def test_offline_backs_off_then_drains_when_the_server_returns(
        alice: Laptop, server: FakeServer, service: Any, qtbot: Any) -> None:
    alice.transport.down = True
    alice.answer(2)
    svc = service()
    svc.start()
    status = wait_kind(qtbot, svc, st.OFFLINE)
    assert status.pending == 2 and status.retry_in is not None and status.message
    qtbot.waitUntil(lambda: len(alice.transport.calls) >= 3,
                    timeout=5000)  # backoff probing keeps trying
    alice.transport.down = False
    wait_kind(qtbot, svc, st.SYNCED)
    assert len(server.rows["question_attempts"]) == 2


def test_network_back_triggers_a_round_at_once(alice: Laptop, server: FakeServer, service: Any, qtbot: Any) -> None:
    alice.transport.down = True
    alice.answer(1)
    svc = service(backoff=Backoff(base=600, cap=600))  # no automatic retry within the test
    svc.start()
    wait_kind(qtbot, svc, st.OFFLINE)
    alice.transport.down = False
    svc._network.emit(True)  # what QNetworkInformation's reachabilityChanged(Online) does
    wait_kind(qtbot, svc, st.SYNCED)
    assert len(server.rows["question_attempts"]) == 1


def test_an_expired_token_asks_once_and_does_not_retry_until_signed_in(
        alice: Laptop, server: FakeServer, service: Any, qtbot: Any) -> None:
    alice.answer(1)
    server.expire_tokens()
    svc = service(interval_ms=30)
    with qtbot.waitSignal(svc.signed_in_changed, timeout=5000, check_params_cb=lambda v: v is False):
        svc.start()
    svc.local_change()  # ignored while signed out
    status = wait_kind(qtbot, svc, st.LOGIN_REQUIRED)
    assert status.pending == 1 and status.message
    calls = len(alice.transport.calls)
    prompts = sum(1 for s in svc.statuses if s.kind == st.LOGIN_REQUIRED)
    qtbot.wait(300)  # ten timer periods: no request, no second prompt
    assert len(alice.transport.calls) == calls
    assert sum(1 for s in svc.statuses if s.kind == st.LOGIN_REQUIRED) == prompts == 1
    svc.sign_in(server_url="fake://server", username="alice", password=PASSWORD)
    wait_kind(qtbot, svc, st.SYNCED)
    assert svc.signed_in and len(server.rows["question_attempts"]) == 1


def test_a_wrong_password_is_reported_not_retried(alice: Laptop, service: Any, qtbot: Any) -> None:
    svc = service()
    svc.start()
    wait_kind(qtbot, svc, st.SYNCED)
    with qtbot.waitSignal(svc.sign_in_failed, timeout=5000) as failed:
        svc.sign_in(server_url="fake://server", username="alice", password="wrong password")
    assert failed.args[0] == "wrong_credentials" and "password" in failed.args[1]
    assert alice.transport.calls.count("login") == 2  # sign-up's login, then this one


def test_rejected_changes_are_surfaced(alice: Laptop, service: Any, qtbot: Any) -> None:
    with alice.db.transaction() as s, outbox_disabled(s):
        concept = s.scalars(select(Concept)).first()
        s.add(Question(id="local-q", concept_id=concept.id, local_id="mine", type="true_false", text="?",
                       correct_answer="true"))
    with alice.db.transaction() as s:
        s.add(QuestionAttempt(student_id=alice.user_id, question_id="local-q", answer="true", is_correct=True))
    svc = service()
    with qtbot.waitSignal(svc.ops_failed, timeout=5000) as failed:
        svc.start()
    assert [op.table for op in failed.args[0]] == ["question_attempts"]
    assert "unknown_reference" in failed.args[0][0].reason
    assert wait_kind(qtbot, svc, st.SYNCED).failed == 1


class SlowTransport(FakeTransport):
    """Each push takes a while, so a shutdown lands in the middle of a round."""

    def __init__(self, server: FakeServer) -> None:
        super().__init__(server)
        self.pushing = threading.Event()

    def push(self, token: str, *, device_id: str, ops: list[dict[str, Any]]) -> Any:
        self.pushing.set()
        time.sleep(0.05)
        return super().push(token, device_id=device_id, ops=ops)


def test_quitting_mid_sync_stops_cleanly_and_loses_nothing(
        alice: Laptop, server: FakeServer, service: Any, qtbot: Any) -> None:
    alice.answer(30)
    slow = SlowTransport(server)
    slow.tokens = alice.tokens
    svc = SyncService(alice.db, data_dir=alice.data_dir, transport_factory=lambda url: slow,
                      config=SyncConfig(push_max_ops=1))
    svc.start()
    assert slow.pushing.wait(5)
    started = time.monotonic()
    assert svc.shutdown(5000)
    assert time.monotonic() - started < 1.0  # stopped between batches, not after 30 of them
    destroy([svc])
    on_server = len(server.rows["question_attempts"])
    assert 0 < on_server < 30
    assert alice.pending() == 30 - on_server  # the rest is still queued
    assert alice.sync().pending == 0
    assert len(server.rows["question_attempts"]) == 30 and server.applied_ops == 30


def test_a_failed_sign_in_says_why_so_the_form_knows_what_to_keep(alice: Laptop, service: Any, qtbot: Any) -> None:
    svc = service()
    svc.start()
    wait_kind(qtbot, svc, st.SYNCED)
    alice.transport.down = True
    with qtbot.waitSignal(svc.sign_in_failed, timeout=5000) as failed:
        svc.sign_in(server_url="fake://server", username="alice", password=PASSWORD)
    assert failed.args == ["unreachable", "Cannot reach the sync server. Check the address and your connection."]



def test_a_refused_teacher_code_is_named() -> None:
    refused = RequestFailed("a teacher account needs the school's teacher code", status=403,
                            code="teacher_code_required")
    why, message = _why_not(refused)
    assert why == "teacher_code" and "teacher code" in message
