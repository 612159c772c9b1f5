"""One sync round — push, pull, check — as plain Python (no Qt).

Guarantees (tests/sync_client prove them against the in-memory fake and the real server):
- An op is marked synced only after the server acknowledged it; a batch that got no answer
  stays pending and is sent again (the server acknowledges a seen op id without applying
  it twice), so a lost reply or a crash between push and marking duplicates nothing.
- An op the server rejects is set aside as failed with its reason; the rest goes on. So
  is an op the server fails on with a 500 while it takes the others (isolation.py).
- A push the server answers with an error (a 5xx, or a 4xx that names no op) still lets the
  round pull, so the laptop gets what others changed; the round then raises that error and
  the ops stay pending for the next round.
- Each pulled page is applied with its cursor in one local transaction: a crash re-pulls
  at most that page, and applying a change twice equals applying it once (latest wins).
- Pulled rows keep their stamps and are not queued again; the local clock moves past
  every stamp received, so a later local edit wins even if this laptop's clock is behind.
- A laptop is not sent back the attempts it recorded itself (they are immutable; it has
  them), except by the repair pull below, which starts from 0 and takes everything.
- After a round the per-table counts of the account's rows are compared with the server's;
  rows missing locally are repaired by pulling again from cursor 0 (never by replacing a
  database, never by asking "upload or download?").

Threading and transactions: a Synchronizer runs on the thread that calls `run` (the sync
worker's or the CLI's) and opens its own short transactions on `db`, one per batch or
page; the caller must not hold one open. `should_stop` is checked between batches and
pages, so stopping never interrupts a transaction. Raises the `sync_client.errors`
exceptions the transport raises (ServerUnreachable, AuthRequired, ...) and
`apply.ProtocolMismatch`; ops already settled stay settled.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import APPEND_ONLY
from desktop_app.db.outbox import applying_remote
from sync_client import clock_repair, outbox, reown, state
from sync_client.isolation import SERVER_ERROR, Isolation, requeue
from sync_client.apply import apply_changes
from sync_client.counts import compare_counts
from sync_client.errors import (AuthRequired, OpsRejected, PayloadTooLarge, Rejection, RequestFailed, ServerFailed,
                                SyncError)
from sync_client.gc_pause import collector_paused
from sync_client.outbox import FailedOp
from sync_client.transport import PullPage, Summary, Transport

Recompute = Callable[..., None]


def _default_recompute(session: Any, *, student_id: str, concept_ids: set[str] | None, now: datetime) -> None:
    from desktop_app.services.progress import recompute_mastery

    recompute_mastery(session, student_id=student_id, concept_ids=concept_ids, now=now)


@dataclass(frozen=True)
class SyncConfig:
    push_max_ops: int = 1000  # the server caps a push at 1000 ops (413 beyond)
    push_max_bytes: int = 2_000_000
    pull_page: int = 1000  # the server caps a page at 1000
    prefetch: bool = True  # fetch the next page while applying this one


@dataclass
class RoundResult:
    pushed: int = 0
    rejected: list[FailedOp] = field(default_factory=list)
    pulled: int = 0  # local rows inserted or changed by the pull
    held: int = 0  # changes still waiting for a parent row after the pull
    repaired: bool = False  # counts differed and a pull from cursor 0 ran
    mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)  # table -> (local, server)
    stopped: bool = False
    pending: int = 0


class Synchronizer:
    def __init__(self, db: LocalDatabase, transport: Transport, *, token: Callable[[], str | None],
                 config: SyncConfig = SyncConfig(), now: Callable[[], datetime] | None = None,
                 recompute: Recompute = _default_recompute) -> None:
        self.db = db
        self.transport = transport
        self._token = token
        self.config = config
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._recompute = recompute
        self._push_max_ops = config.push_max_ops
        self.result = RoundResult()  # of the running or last round, also when it raised
        self._isolation = Isolation()

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> RoundResult:
        """One full round. Returns what happened; raises as the module docstring says.

        push -> pull (its last page carries the server's counts, taken in the same snapshot:
        a no-op round is one request) -> compare counts with them. The cyclic garbage
        collector waits until the round is over (gc_pause.py says why).
        """
        with collector_paused():
            return self._run(should_stop)

    def _run(self, should_stop: Callable[[], bool]) -> RoundResult:
        # Kept on the instance: a round that fails half-way has still committed what it pulled.
        result = self.result = RoundResult()
        token = self._require_token()
        self._recompute_stale()
        try:
            self._finish_reown(token, result, should_stop)
            push_failure: SyncError | None = None
            if not result.stopped:
                try:
                    self.push(token, result, should_stop)
                except (ServerFailed, RequestFailed) as exc:
                    push_failure = exc  # the server answers: still bring what others changed
            if not result.stopped:
                newest, summary = self._pull_with_counts(token, result, should_stop)
                if push_failure is not None:
                    raise push_failure
                sent = result.pushed
                if not result.stopped and self._has_pending():
                    # The pull folded a local duplicate into the server's row (singletons.py),
                    # or the person kept working: send it now, not a round later. What this
                    # round's first push set aside is not tried again until the next round.
                    self.push(token, result, should_stop, retry_set_aside=False)
                # Counts taken before that second push do not hold what it sent (a tombstone
                # would look like a missing row): the next round checks instead.
                if not result.stopped and summary is not None and result.pushed == sent:
                    self.check(token, result, should_stop, summary=summary, newest_pulled=newest)
            if not result.stopped:
                with self.db.transaction() as session:
                    state.put(session, state.LAST_SYNCED, self._now().isoformat())
                    if result.pushed:
                        outbox.purge_synced(session, before=outbox.default_purge_horizon(self._now()))
        finally:
            self._recompute_stale()
            with self._reading() as session:
                result.pending = outbox.pending_count(session)
                if result.rejected:  # a refused duplicate profile/plan folded by the pull is resolved
                    still = {f.op_id for f in outbox.failed_ops(session)}
                    result.rejected = [f for f in result.rejected if f.op_id in still]
        return result

    # --- push ------------------------------------------------------------------------------
    def push(self, token: str, result: RoundResult, should_stop: Callable[[], bool], *,
             retry_set_aside: bool = True) -> None:
        """Send the pending ops in batches until none is left (or the round stops).

        Two batches travel at once when both hold nothing but new attempts: those rows are
        immutable and independent, so the server may store them in either order, and it
        works on one batch while the next is on its way. Any other batch is sent alone,
        once every batch before it is settled, so the ops of one row reach the server in
        the order they were made. A batch is settled (marked, set aside or failed) on this
        thread, in the order it was sent. Changes refused because this laptop's date was
        wrong are stamped again and sent once the date is right (clock_repair.py); changes
        the server failed on are tried again alone, and a batch it fails on is split
        (isolation.py): once a round (`retry_set_aside`), as the server that failed on them a
        moment ago fails again.
        """
        alone: list[str] = []
        set_aside = False
        if retry_set_aside:
            with self._reading() as session:
                set_aside = outbox.any_failed(session)  # the usual round: this one read, no write
        if set_aside:
            clock_repair.resend_refused_for_date(self.db)
            alone = requeue(self.db)
        isolation = self._isolation = Isolation(alone)
        flying: list[tuple[list[dict[str, Any]], Future[Any]]] = []
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="sync-push") as pool:
            try:
                while not self._stopping(result, should_stop):
                    with self._reading() as session:
                        last = flying[-1][0][-1] if flying else None
                        read = outbox.next_batch(session, max_ops=isolation.max_ops(self._push_max_ops),
                                                 max_bytes=self.config.push_max_bytes,
                                                 after=(last["hlc"], last["op_id"]) if last else None,
                                                 exclude_rows=isolation.held_rows)
                    batch = isolation.hold_back(read)
                    if read and not batch:
                        continue  # all of it waits behind a suspect, and its rows are skipped now
                    alongside = bool(batch) and _attempts_only(batch)
                    if flying and not alongside:
                        self._settle(*flying.pop(0), result)  # then read the queue again
                        continue
                    if not batch:
                        break
                    sending = pool.submit(self.transport.push, token, device_id=self.db.device_id, ops=batch)
                    flying.append((batch, sending))
                    if len(flying) == 2 or not alongside:
                        self._settle(*flying.pop(0), result)
            except BaseException:
                self._drain(flying, result)  # keep what landed; the error already raised is the first
                raise
            error = self._drain(flying, result)  # stopped with batches in flight
            if error is not None:
                raise error
        if result.stopped:
            return
        self._set_aside_suspects(result)  # the server took others in this push (it may have been before)
        failing = isolation.still_failing()
        if failing is not None:
            raise failing  # nothing else got through either: the server is failing, not a change

    def _drain(self, flying: list[tuple[list[dict[str, Any]], Future[Any]]], result: RoundResult) -> Exception | None:
        """Wait for every batch still in flight and settle it; returns the first failure (the
        ops of a failed batch stay pending)."""
        first = None
        for batch, sending in flying:
            try:
                self._settle(batch, sending, result)
            except Exception as exc:  # noqa: BLE001 (reported to the caller, not swallowed)
                first = first or exc
        flying.clear()
        return first

    def _settle(self, batch: list[dict[str, Any]], sending: Future[Any], result: RoundResult) -> None:
        """Record the server's answer to one batch (see push)."""
        ids = [op["op_id"] for op in batch]
        try:
            reply = sending.result()
        except OpsRejected as exc:
            self._isolation.answered(batch)
            self._set_aside(batch, exc.rejected, result)
            self._set_aside_suspects(result)
            return
        except ServerFailed as exc:
            with self.db.transaction() as session:
                outbox.record_failure(session, ids, str(exc))
            if self._isolation.failed(batch, exc):
                return  # split, or its one change suspected: the push goes on
            raise
        except PayloadTooLarge as exc:
            if len(batch) == 1:
                self._set_aside(batch, [Rejection(ids[0], "too_large", str(exc))], result)
            else:
                self._push_max_ops = max(1, len(batch) // 2)
            return
        except AuthRequired:
            raise
        except SyncError as exc:
            with self.db.transaction() as session:
                outbox.record_failure(session, ids, str(exc))
            raise
        acknowledged = set(reply.acknowledged) & set(ids)
        if not acknowledged:
            raise ServerFailed("the server acknowledged none of the changes sent")
        with self.db.transaction() as session:
            outbox.mark_synced(session, acknowledged)
        result.pushed += len(acknowledged)
        self._isolation.answered(batch)
        self._set_aside_suspects(result)

    def _set_aside_suspects(self, result: RoundResult) -> None:
        """The server took another change: the changes it failed on alone are set aside, with
        the changes held behind them (the later changes of their rows, and those that refer
        to a row the server has not got), so they come back together, in order."""
        ops, rejections, rows = self._isolation.proven()
        if ops:
            self._set_aside(ops, rejections, result)
        if rows:
            with self.db.transaction() as session:
                outbox.set_aside_rows(session, rows, f"{SERVER_ERROR}: waits for an earlier change that the server "
                                                     "fails on (of this row, or of a row it refers to)")

    def _set_aside(self, batch: list[dict[str, Any]], rejected: list[Rejection], result: RoundResult) -> None:
        sent = {op["op_id"]: op for op in batch}
        mine = [r for r in rejected if r.op_id in sent]
        if not mine:
            raise ServerFailed("the server rejected the batch without naming a change of it")
        with self.db.transaction() as session:
            outbox.mark_failed(session, mine, {r.op_id: sent[r.op_id]["hlc"] for r in mine})
        if any(r.code == clock_repair.CLOCK_AHEAD for r in mine):
            clock_repair.repair_if_date_fixed(self.db)  # run() reports those it did not send again
        for r in mine:
            op = sent[r.op_id]
            result.rejected.append(FailedOp(op_id=r.op_id, table=op["table"], row_id=op["row_id"],
                                            operation=op["operation"], reason=f"{r.code}: {r.message}"))

    # --- pull ------------------------------------------------------------------------------
    def pull(self, token: str, result: RoundResult, should_stop: Callable[[], bool], *,
             from_start: bool = False) -> tuple[int, Summary | None]:
        """Pull pages until the server has no more; the stored cursor never passes a held change.

        Returns the highest seq received (0 if none) and the server's summary carried by the
        last page (None when the round stopped before it).
        """
        with self._reading() as session:
            cursor: Any = state.INITIAL_CURSOR if from_start else (state.get(session, state.CURSOR)
                                                                   or state.INITIAL_CURSOR)
        held: list[dict[str, Any]] = []
        safe_cursor = cursor
        newest = 0
        summary: Summary | None = None
        # The next page is fetched while this one is applied: the wait for the server and the
        # local writes overlap. A prefetched page that is not applied is simply dropped.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-pull") as pool:
            # Our own attempts are not downloaded again, except by a pull from the start,
            # which repairs a copy that may have lost rows (pull.py on the server).
            fetch = partial(self.transport.pull, token, limit=self.config.pull_page, with_summary=True,
                            skip_device=None if from_start else self.db.device_id)
            after = cursor
            ahead: Future[PullPage] | None = pool.submit(fetch, after=after)
            while ahead is not None and not self._stopping(result, should_stop):
                page = ahead.result()
                summary = page.summary
                # A page may hold nothing for us (only our own attempts) and still have more
                # after it; one that does not move the cursor would loop for ever.
                more = page.has_more and int(page.next_cursor) > int(after)
                after = page.next_cursor
                ahead = pool.submit(fetch, after=after) if more and self.config.prefetch else None
                if page.changes:
                    newest = max(newest, max(int(c["seq"]) for c in page.changes))
                elif not held and str(page.next_cursor) == str(safe_cursor):
                    continue  # nothing new (the usual no-op round): no local write at all
                with self.db.transaction() as session:
                    with applying_remote(session):
                        applied = apply_changes(session, held + page.changes)
                        if applied.newest_stamp:
                            self.db.clock.receive(applied.newest_stamp)
                        state.add_stale_students(session, applied.changed_students)
                        held = applied.held
                        safe_cursor = _safe_cursor(safe_cursor, page.changes, page.next_cursor, held)
                        state.put(session, state.CURSOR, str(safe_cursor))
                result.pulled += applied.changed
                if more and ahead is None:
                    ahead = pool.submit(fetch, after=after)
        result.held = len(held)
        return newest, summary

    def _pull_with_counts(self, token: str, result: RoundResult, should_stop: Callable[[], bool], *,
                          from_start: bool = False) -> tuple[int, Summary | None]:
        """`pull`, and the server's counts: from its last page, or asked for apart from a server
        older than `with_summary` (None only when the round stopped)."""
        newest, summary = self.pull(token, result, should_stop, from_start=from_start)
        if summary is None and not result.stopped:
            summary = self.transport.summary(token)
        return newest, summary

    # --- check -----------------------------------------------------------------------------
    def check(self, token: str, result: RoundResult, should_stop: Callable[[], bool], *,
              summary: Summary, newest_pulled: int) -> None:
        """Compare per-table counts with `summary`; repair a shortfall by pulling from 0, once.

        The summary comes with the last page, in that page's snapshot, so every change it
        counts has been pulled; a change still held (its parent missing) makes the counts
        not comparable and the check waits for the next round.
        """
        if newest_pulled > int(summary.cursor or 0) or result.held:
            return
        with self._reading() as session:
            user_id = state.get(session, state.USER_ID)
            result.mismatches = compare_counts(session, summary.counts, user_id=user_id)
        if not any(local < server for local, server in result.mismatches.values()):
            return
        result.repaired = True
        newest, again = self._pull_with_counts(token, result, should_stop, from_start=True)
        if not result.stopped and again is not None and newest <= int(again.cursor or 0):
            summary = again
            with self._reading() as session:
                result.mismatches = compare_counts(session, summary.counts, user_id=user_id)

    # --- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _stopping(result: RoundResult, should_stop: Callable[[], bool]) -> bool:
        result.stopped = result.stopped or should_stop()
        return result.stopped

    def _require_token(self) -> str:
        token = self._token()
        if not token:
            raise AuthRequired("not logged in to a sync server", code="unauthorized")
        return token

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A read-only session (rolled back on exit: no commit, no clock write)."""
        with self.db.session() as session:
            yield session

    def _has_pending(self) -> bool:
        with self._reading() as session:
            return outbox.pending_count(session) > 0

    def _finish_reown(self, token: str, result: RoundResult, should_stop: Callable[[], bool]) -> None:
        """An offline account's first login: pull the account's rows, then move ours (reown.py)."""
        with self._reading() as session:
            moving = reown.pending(session)
            user_id = state.get(session, state.USER_ID)
        if not moving or not user_id:
            return
        self.pull(token, result, should_stop)
        if result.stopped:
            return
        self._recompute_stale()
        with self.db.transaction() as session:
            reown.complete(session, new_id=user_id, now=self._now(), recompute=self._recompute)

    def _recompute_stale(self) -> None:
        """Recompute the mastery of students whose attempts were pulled (crash-safe: the list is in the db).

        Every concept of such a student is rewritten, not only the pulled attempts' concepts:
        the model's state spans concepts (ability, evidence order), so an attempt made earlier
        on another laptop changes the replayed mastery of concepts practised later here.
        """
        with self._reading() as session:
            if not state.get(session, state.MASTERY_STALE):
                return
        with self.db.transaction() as session:
            for student_id in sorted(state.stale_students(session)):
                self._recompute(session, student_id=student_id, concept_ids=None, now=self._now())
            state.drop(session, state.MASTERY_STALE)


def _attempts_only(batch: list[dict[str, Any]]) -> bool:
    """Nothing but new attempts: rows that no other op of the queue depends on or changes."""
    return all(op["table"] in APPEND_ONLY and op["operation"] == "insert" for op in batch)


def _safe_cursor(previous: Any, changes: list[dict[str, Any]], next_cursor: Any,
                 held: list[dict[str, Any]]) -> Any:
    """The furthest cursor that does not skip a held change (cursors are change seqs)."""
    if not held:
        return next_cursor
    first_held = min(int(c["seq"]) for c in held)
    before = [int(c["seq"]) for c in changes if int(c["seq"]) < first_held]
    if before:
        return max(before)
    return previous if int(previous) < first_held else first_held - 1


def describe(result: RoundResult) -> str:
    """A one-line summary of a round for logs and the CLI."""
    parts = [f"pushed {result.pushed}", f"pulled {result.pulled}", f"{result.pending} pending"]
    if result.rejected:
        parts.append(f"{len(result.rejected)} rejected")
    if result.repaired:
        parts.append("re-pulled after a count mismatch")
    if result.held:
        parts.append(f"{result.held} waiting for missing rows")
    return ", ".join(parts)


