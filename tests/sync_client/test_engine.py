"""The sync round against the in-memory fake server: the queue, the pull, the check."""
from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from desktop_app.db.models import Concept, Question, QuestionAttempt, SyncOperation, SyncState
from desktop_app.db.outbox import outbox_disabled
from sync_client import outbox, state
from sync_client.engine import SyncConfig
from sync_client.errors import AuthRequired, PayloadTooLarge, ServerFailed, ServerUnreachable
from sync_client.fake import FakeServer, FakeTransport
from tests.sync_client.conftest import Laptop, seed_syllabus, sign_in, sign_up, signed_up_with_syllabus


def _ops(laptop: Laptop, status: str) -> list[SyncOperation]:
    with laptop.db.transaction() as s:
        return list(s.scalars(select(SyncOperation).where(SyncOperation.status == status)))


def test_push_goes_in_bounded_batches_and_marks_only_acknowledged_ops(alice: Laptop, server: FakeServer) -> None:
    alice.config = SyncConfig(push_max_ops=7)
    alice.answer(20)
    alice.transport.calls.clear()
    result = alice.sync()
    assert result.pushed == 20 and result.pending == 0
    assert alice.transport.calls.count("push") == 3
    assert len(server.rows["question_attempts"]) == 20
    assert len(_ops(alice, "synced")) == 20


def _small_batches(laptop: Laptop, server: FakeServer) -> Laptop:
    """A signed-up laptop on `server` with the syllabus, pushing five ops per batch."""
    signed_up_with_syllabus(laptop, server)
    laptop.config = SyncConfig(push_max_ops=5)
    return laptop


class Overlap(FakeTransport):
    """Records which batches were in flight together (each push takes a little while)."""

    def __init__(self, server: FakeServer) -> None:
        super().__init__(server)
        self.flying: list[str] = []
        self.seen_together: list[tuple[str, ...]] = []
        self._guard = threading.Lock()

    def push(self, token: str, *, device_id: str, ops: list[dict[str, Any]]) -> Any:
        kind = "attempts" if {op["table"] for op in ops} == {"question_attempts"} else "other"
        with self._guard:
            self.flying.append(kind)
            self.seen_together.append(tuple(self.flying))
        time.sleep(0.05)
        try:
            return super().push(token, device_id=device_id, ops=ops)
        finally:
            with self._guard:
                self.flying.remove(kind)


def test_batches_of_new_attempts_travel_two_at_a_time_and_other_changes_alone(
        server: FakeServer, make_laptop: Callable[..., Laptop]) -> None:
    laptop = _small_batches(make_laptop(Overlap(server)), server)
    laptop.answer(20)
    laptop.edit_profile(target_exam="GCSE Maths")
    laptop.answer(20, start=20)
    result = laptop.sync()
    transport = laptop.transport
    assert isinstance(transport, Overlap)
    assert result.pushed == 41 and result.pending == 0
    assert len(server.rows["question_attempts"]) == 40
    (profile,) = server.rows["student_profiles"].values()
    assert profile.values["target_exam"] == "GCSE Maths"
    assert ("attempts", "attempts") in transport.seen_together  # the server had the next one waiting
    assert all(together == ("other",) for together in transport.seen_together if "other" in together)


class FirstReplyLost(FakeTransport):
    """The first push reaches the server only after the second has been answered, and its
    reply is lost on the way back."""

    def __init__(self, server: FakeServer) -> None:
        super().__init__(server)
        self.first = True
        self.second_answered = threading.Event()

    def push(self, token: str, *, device_id: str, ops: list[dict[str, Any]]) -> Any:
        with self._pushing:
            first, self.first = self.first, False
        if not first:
            try:
                return super().push(token, device_id=device_id, ops=ops)
            finally:
                self.second_answered.set()
        assert self.second_answered.wait(5), "the second batch was not sent while the first travelled"
        super().push(token, device_id=device_id, ops=ops)
        raise ServerUnreachable("connection reset after the request was sent")


def test_a_lost_reply_while_two_batches_travel_keeps_the_other_and_duplicates_nothing(
        server: FakeServer, make_laptop: Callable[..., Laptop]) -> None:
    laptop = _small_batches(make_laptop(FirstReplyLost(server)), server)
    laptop.answer(12)
    with pytest.raises(ServerUnreachable):
        laptop.sync()
    assert len(server.rows["question_attempts"]) == 10  # both batches reached the server
    assert len(_ops(laptop, "synced")) == 5 and laptop.pending() == 7  # only the answered one is marked
    result = laptop.sync()
    assert result.pending == 0 and not result.mismatches
    assert len(server.rows["question_attempts"]) == 12


def test_a_round_with_nothing_to_do_is_one_request(alice: Laptop, server: FakeServer) -> None:
    alice.answer(3)
    alice.sync()
    alice.transport.calls.clear()
    result = alice.sync()
    assert alice.transport.calls == ["pull"]  # its last page carries the counts to check
    assert (result.pushed, result.pulled, result.mismatches) == (0, 0, {})


def test_pages_holding_only_our_own_answers_do_not_end_the_pull(
        alice: Laptop, server: FakeServer, make_laptop: Callable[..., Laptop]) -> None:
    alice.config = SyncConfig(pull_page=2)
    alice.answer(5)
    alice.sync()  # its own five answers are not sent back: pages with nothing in them
    second = make_laptop(FakeTransport(server), "second")
    sign_in(second)
    second.answer(3, start=10)
    second.sync()
    result = alice.sync()
    assert result.pulled == 3 and len(alice.snapshot()["attempts"]) == 8


class OlderServer(FakeTransport):
    """A server from before `with_summary`: its pages never carry the counts."""

    def pull(self, token: str, *, after: Any, limit: int, **options: Any) -> Any:
        page = super().pull(token, after=after, limit=limit, **options)
        return dataclasses.replace(page, summary=None)


def test_against_an_older_server_the_round_still_checks_its_counts(
        server: FakeServer, make_laptop: Callable[..., Laptop]) -> None:
    laptop = signed_up_with_syllabus(make_laptop(OlderServer(server)), server)
    laptop.answer(3)
    laptop.sync()
    with laptop.db.transaction() as s:  # a row lost locally: only the count check can notice
        s.execute(delete(QuestionAttempt).where(QuestionAttempt.id.in_(select(QuestionAttempt.id).limit(1))))
    laptop.transport.calls.clear()
    result = laptop.sync()
    assert "summary" in laptop.transport.calls and result.repaired and result.mismatches == {}


def test_a_reply_lost_after_the_server_committed_duplicates_nothing(alice: Laptop, server: FakeServer) -> None:
    alice.answer(5)
    alice.transport.lose_push_replies = 1
    with pytest.raises(ServerUnreachable):
        alice.sync()
    pending = _ops(alice, "pending")
    assert len(pending) == 5 and all(op.tries == 1 and "connection reset" in op.last_error for op in pending)
    assert server.applied_ops == 5
    result = alice.sync()
    assert result.pushed == 5 and result.pending == 0
    assert server.applied_ops == 5 and len(server.rows["question_attempts"]) == 5
    assert server.seq == 263 + 5  # the syllabus, then one log entry per attempt: nothing twice


def test_a_crash_between_push_and_marking_loses_and_duplicates_nothing(
        alice: Laptop, server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    alice.answer(5)

    def killed(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt("process killed")

    monkeypatch.setattr(outbox, "mark_synced", killed)
    with pytest.raises(KeyboardInterrupt):
        alice.sync()
    monkeypatch.undo()
    assert len(_ops(alice, "pending")) == 5 and server.applied_ops == 5
    assert alice.sync().pending == 0
    assert server.applied_ops == 5 and len(server.rows["question_attempts"]) == 5


def test_a_rejected_op_is_set_aside_with_its_reason_and_the_rest_goes_on(alice: Laptop, server: FakeServer) -> None:
    with alice.db.transaction() as s, outbox_disabled(s):  # a student's own bank: never on the server
        concept = s.scalars(select(Concept)).first()
        s.add(Question(id="local-q", concept_id=concept.id, local_id="mine", type="true_false", text="?",
                       correct_answer="true"))
    alice.answer(3)
    with alice.db.transaction() as s:
        s.add(QuestionAttempt(student_id=alice.user_id, question_id="local-q", answer="true", is_correct=True))
    alice.answer(3, start=3)
    result = alice.sync()
    assert [(r.table, r.reason.split(":")[0]) for r in result.rejected] == [("question_attempts", "unknown_reference")]
    assert result.pushed == 6 and result.pending == 0
    failed = _ops(alice, "failed")
    assert len(failed) == 1 and failed[0].row_id and "no such question" in failed[0].last_error
    with alice.db.transaction() as s:
        assert [f.table for f in outbox.failed_ops(s)] == ["question_attempts"]
    assert len(server.rows["question_attempts"]) == 6


def test_a_push_the_server_fails_still_pulls_what_others_changed(
        alice: Laptop, server: FakeServer, make_laptop: Callable[..., Laptop]) -> None:
    second = make_laptop(FakeTransport(server))
    sign_in(second)
    second.sync()
    alice.edit_profile(target_exam="set on the first laptop")
    alice.sync()
    second.answer(3)

    def failing(token: str, *, device_id: str, ops: list[dict[str, Any]]) -> Any:
        raise ServerFailed("server error (HTTP 500): internal error")

    real_push = second.transport.push
    second.transport.push = failing  # type: ignore[method-assign]  (a server bug: no real way to cause it)
    with pytest.raises(ServerFailed):
        second.sync()
    assert second.snapshot()["profile"][0][2] == "set on the first laptop"
    assert second.pending() == 3  # kept for the next round
    second.transport.push = real_push  # type: ignore[method-assign]
    assert second.sync().pending == 0 and len(server.rows["question_attempts"]) == 3


def test_a_batch_too_large_for_the_server_is_split(alice: Laptop, server: FakeServer) -> None:
    real_push = alice.transport.push

    def capped(token: str, *, device_id: str, ops: list[dict[str, Any]]) -> Any:
        if len(ops) > 4:
            raise PayloadTooLarge("at most 4 ops")
        return real_push(token, device_id=device_id, ops=ops)

    alice.transport.push = capped  # type: ignore[method-assign]
    alice.answer(10)
    assert alice.sync().pending == 0
    assert len(server.rows["question_attempts"]) == 10


def test_pulled_rows_are_not_queued_again_and_the_clock_moves_past_them(
        alice: Laptop, server: FakeServer, make_laptop: Callable[..., Laptop]) -> None:
    alice.answer(4)
    alice.edit_profile(target_exam="GCSE Maths")
    alice.sync()
    second = make_laptop(FakeTransport(server))
    sign_in(second)
    result = second.sync()
    assert result.pulled >= 5 and result.pending == 0
    assert second.pending() == 0  # nothing pulled was queued
    assert second.snapshot() == alice.snapshot()
    newest = max(max(r.stamps.values()) for t in ("question_attempts", "student_profiles")
                 for r in server.rows[t].values())
    assert second.db.clock.last > newest
    with second.db.transaction() as s:
        assert s.get(SyncState, "hlc_last").value >= newest


def test_an_expired_token_asks_for_a_new_login(alice: Laptop, server: FakeServer) -> None:
    alice.answer(2)
    server.expire_tokens()
    with pytest.raises(AuthRequired) as caught:
        alice.sync()
    assert caught.value.code == "token_expired"
    assert alice.pending() == 2 and all(op.tries == 0 for op in _ops(alice, "pending"))
    sign_in(alice)
    assert alice.sync().pending == 0


def test_not_signed_in_is_auth_required(make_laptop: Callable[..., Laptop], server: FakeServer) -> None:
    with pytest.raises(AuthRequired):
        make_laptop(FakeTransport(server)).sync()


def test_server_down_the_queue_grows_and_drains_after(alice: Laptop, server: FakeServer) -> None:
    alice.transport.down = True
    for round_ in range(3):
        alice.answer(2, start=2 * round_)
        with pytest.raises(ServerUnreachable):
            alice.sync()
    assert alice.pending() == 6
    alice.transport.down = False
    assert alice.sync().pending == 0
    assert len(server.rows["question_attempts"]) == 6


def test_a_child_before_its_parent_in_the_log_is_held_until_the_parent_arrives(
        alice: Laptop, server: FakeServer, make_laptop: Callable[..., Laptop]) -> None:
    # A teacher adds a question, alice answers it, the teacher edits it: the compacted log now
    # holds the attempt before the question. A new laptop without that question pulls page by page.
    concept = next(iter(server.rows["concepts"]))
    values = {"concept_id": concept, "local_id": "new", "type": "true_false", "text": "New?", "options": None,
              "correct_answer": "true", "tolerance": None, "difficulty": 2, "explanation": "", "model_params": None,
              "deleted": False}
    server.seed("questions", "q-new", values, "000000000000002:000000:teacher")
    with alice.db.transaction() as s, outbox_disabled(s):
        s.add(Question(id="q-new", **{k: v for k, v in values.items() if k != "deleted"}))
    with alice.db.transaction() as s:
        s.add(QuestionAttempt(student_id=alice.user_id, question_id="q-new", answer="true", is_correct=True))
    alice.sync()
    server.seed("questions", "q-new", {**values, "text": "New, edited?"}, "000000000000003:000000:teacher")

    bob = make_laptop(FakeTransport(server))
    sign_in(bob)
    bob.config = SyncConfig(pull_page=1, prefetch=False)  # count pages exactly
    calls = {"pull": 0}
    real_pull = bob.transport.pull

    def pull(token: str, *, after: Any, limit: int, **options: Any) -> Any:
        page = real_pull(token, after=after, limit=limit, **options)
        calls["pull"] += 1
        return page

    bob.transport.pull = pull  # type: ignore[method-assign]
    synchronizer = bob.synchronizer()
    result = synchronizer.run(should_stop=lambda: calls["pull"] >= 264)  # stop right after the attempt's page
    assert result.stopped and result.held == 1
    with bob.db.transaction() as s:
        cursor = int(state.get(s, state.CURSOR))
        assert s.scalar(select(func.count()).select_from(QuestionAttempt)) == 0
    assert cursor < 264  # never past the held attempt: a crash now would not lose it
    result = bob.sync()
    assert result.held == 0
    with bob.db.transaction() as s:
        assert s.get(Question, "q-new").text == "New, edited?"
        assert s.scalar(select(func.count()).select_from(QuestionAttempt)) == 1


def test_a_count_difference_is_repaired_by_pulling_again_from_zero(
        alice: Laptop, server: FakeServer, make_laptop: Callable[..., Laptop]) -> None:
    alice.answer(6)
    alice.sync()
    with alice.db.transaction() as s:  # rows lost locally (a restored backup, a bug ...)
        s.execute(delete(QuestionAttempt).where(QuestionAttempt.id.in_(
            select(QuestionAttempt.id).limit(2))))
    result = alice.sync()
    assert result.repaired and result.mismatches == {}
    with alice.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(QuestionAttempt)) == 6
    assert alice.pending() == 0


def test_profiles_made_offline_on_two_laptops_become_one(server: FakeServer, make_laptop: Callable[..., Laptop]) -> None:
    a = signed_up_with_syllabus(make_laptop(FakeTransport(server)), server)
    b = make_laptop(FakeTransport(server))
    sign_in(b)
    a.edit_profile(target_exam="GCSE", hours_per_day=1.0)
    b.edit_profile(target_exam="IGCSE")  # later: its fields win, field by field
    a.sync()
    result = b.sync()  # b's insert is refused (one profile per user), then folded into a's row
    assert result.rejected == [] and result.pending == 0  # resolved within the round: nothing to report
    a.sync()
    assert a.snapshot() == b.snapshot()
    (row,) = a.snapshot()["profile"]
    assert row[2] == "IGCSE" and len(server.rows["student_profiles"]) == 1
    with b.db.transaction() as s:
        assert outbox.failed_ops(s) == []  # the refused insert went with the folded row


def test_an_offline_account_moves_into_an_account_without_a_profile(
        server: FakeServer, make_laptop: Callable[..., Laptop]) -> None:
    from sync_client.singletons import derived_id
    school = make_laptop(FakeTransport(server))
    seed_syllabus(server, school)
    uid = sign_up(school)
    school.answer(2)
    school.sync()
    home = make_laptop(FakeTransport(server))
    local_id = home.local_student("alice")
    home.edit_profile(student_id=local_id, target_exam="GCSE", hours_per_day=3.0)
    home.answer(3, student_id=local_id, start=10)
    assert sign_in(home).reowned_from == local_id
    home.sync()
    school.sync()
    assert home.snapshot() == school.snapshot()
    assert len(home.snapshot()["attempts"]) == 5
    assert [p[0] for p in home.snapshot()["profile"]] == [derived_id("student_profiles", uid)]
    assert list(server.rows["student_profiles"]) == [derived_id("student_profiles", uid)]


def test_pulled_syllabus_changes_renew_the_content_version(
        alice: Laptop, server: FakeServer, make_laptop: Callable[..., Laptop]) -> None:
    from desktop_app.db.outbox import CONTENT_VERSION_KEY
    with alice.db.transaction() as s:
        before = s.get(SyncState, CONTENT_VERSION_KEY)
        before = before.value if before else None
    question = next(iter(server.rows["questions"]))
    row = server.rows["questions"][question]
    server.seed("questions", question, {**row.values, "text": "Edited by the teacher"},
                "999999999999999:000000:teacher")
    alice.sync()
    with alice.db.transaction() as s:
        assert s.get(Question, question).text == "Edited by the teacher"
        assert s.get(SyncState, CONTENT_VERSION_KEY).value != before  # caches built on the syllabus rebuild
