"""Finding the change a server bug fails on, so that it does not hold up the rest of the queue.

The server answers 500 only for a bug of its own (a database that is down or busy is 503,
and a change it refuses is a 422 naming it). Such a bug may be set off by one change of a
batch, and then every try of that batch fails the same way: retried as it was, the whole
queue would wait behind it for ever, and the student's work would never be backed up.

So a batch that gets a 500 is split: the next batches are half its size, until the change
that fails is alone. A change that fails alone is a suspect: it and every later change of
its row are skipped for the rest of the push (sent ahead of it, an update would be refused
for good). So are the changes that refer to a row whose insert is held so (a concept of a
new topic, a question of that concept, an answer to that question: the server would refuse
them for good as `unknown_reference`, as the row they name never arrived), and then the
changes that refer to those, and so on. They are all set aside together (`server_error`,
listed in Settings) once the server has accepted, or refused by name, another change in
this push: the server works, the failure is that change's own. Up to `MAX_UNPROVEN`
changes may fail alone before another gets through (two changes that set off the same bug
can sit side by side in the queue); if one more fails alone first, or nothing gets through,
the server as a whole is failing: everything stays in the queue and the push raises, to be
retried with backoff as before, after a handful of requests.

A change set aside so is tried again, alone, at the start of every push (the server may
have been fixed): `requeue` puts it back, first in the queue as it is the oldest, and the
changes held with it after it, in the order they were made.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import SYNCED_MODELS, SyncOperation
from desktop_app.db.serialize import references
from sync_client.errors import Rejection, ServerFailed
from sync_client.outbox import PENDING, refused_with

SERVER_ERROR = "server_error"
SERVER_BUG = 500  # the HTTP status of a failure of the server's own code
REFUSED = refused_with(SERVER_ERROR)
MAX_UNPROVEN = 3  # changes failing alone before the server is taken to fail as a whole


def requeue(db: LocalDatabase) -> list[str]:
    """Put the changes set aside for a server error back in the queue; returns their ids."""
    with db.session() as session:
        ids = list(session.scalars(select(SyncOperation.id).where(REFUSED)))
    if ids:
        with db.transaction() as session:
            session.execute(update(SyncOperation).where(SyncOperation.id.in_(ids)).where(REFUSED)
                            .values(status=PENDING).execution_options(synchronize_session=False))
    return ids


Row = tuple[str, str]  # (table, row id)


class Isolation:
    """The state of one push (engine.Synchronizer.push): how large a batch may be, the
    suspect found so far (the op as sent and the error it got), the rows held back behind
    suspects, and whether the server has taken anything in this push."""

    def __init__(self, alone: list[str] | None = None) -> None:
        self._singles = len(alone or ())  # requeued changes come first: that many batches of one
        self._requeued = set(alone or ())  # set aside by an earlier push: their failure was proven then
        self._cap: int | None = None  # batch size while a failing change is looked for
        self._took = False  # the server accepted, or refused by name, a change of this push
        self.suspects: dict[str, tuple[dict[str, Any], ServerFailed]] = {}
        # Rows whose changes wait behind a suspect (hold_back); next_batch skips them. Kept
        # for the whole push, also once the suspects are set aside: a change of these rows
        # made, or reached in the queue, later in the push waits as well.
        self.held_rows: set[Row] = set()
        self._unsent: set[Row] = set()  # held rows whose insert is held: the server has not got them
        self._to_set_aside: set[Row] = set()  # held rows not set aside yet

    def max_ops(self, usual: int) -> int:
        if self._singles > 0:
            return 1
        return usual if self._cap is None else min(usual, self._cap)

    def hold_back(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`batch` without the changes that must wait behind a suspect, whose rows are held
        from now on: a change of a held row (sent ahead of the suspect, it would reach the
        server out of order), or one that refers to a row the server has not got because its
        insert is held (the server would refuse it for good as `unknown_reference`). A held
        insert makes its row one the server has not got: its own dependants wait too."""
        if not self._unsent:
            return batch  # the usual push: nothing to look at
        sendable = []
        for op in batch:
            fields = op["payload"]
            if ((op["table"], op["row_id"]) in self.held_rows
                    or any((table, fields.get(field)) in self._unsent
                           for field, table in references(SYNCED_MODELS[op["table"]]).items())):
                self._hold(op)
            else:
                sendable.append(op)
        return sendable

    def _hold(self, op: dict[str, Any]) -> None:
        row = (op["table"], op["row_id"])
        self.held_rows.add(row)
        self._to_set_aside.add(row)
        if op["operation"] == "insert":
            self._unsent.add(row)

    def answered(self, batch: list[dict[str, Any]], *, taken: bool = True) -> None:
        """`batch` got an answer; `taken`: the server accepted it or refused changes by name."""
        self._singles -= 1
        self._took = self._took or taken

    def failed(self, batch: list[dict[str, Any]], error: ServerFailed) -> bool:
        """`batch` got `error`. True if it is a server bug that one of its changes may set
        off: the batch is split (or its one change suspected, and its row held) and the push
        goes on. One change more than `MAX_UNPROVEN` failing alone before anything is taken
        means the server fails, not a change (those set aside by an earlier push do not count:
        their failure was proven then)."""
        self.answered(batch, taken=False)
        unproven = self.suspects.keys() - self._requeued
        if error.status != SERVER_BUG or (len(batch) == 1 and len(unproven) >= MAX_UNPROVEN):
            return False
        if len(batch) > 1:
            self._cap = max(1, len(batch) // 2)
        else:
            self.suspects[batch[0]["op_id"]] = (batch[0], error)
            self._hold(batch[0])
        return True

    def proven(self) -> tuple[list[dict[str, Any]], list[Rejection], set[Row]]:
        """What to set aside if the server has taken another change in this push (else
        nothing): the suspects, as ops and rejections, and the held rows not yet set aside
        (their pending changes). Batches are full-sized again once the suspects are.

        A change set aside by an earlier push that fails alone again needs no new proof: it
        goes back where it was, even when nothing else is pending. Else a round with nothing
        new to send would end in the 500 and report the sync as failed (with backoff) while
        the server takes everything but that change."""
        if not (self._took or (self.suspects and self.suspects.keys() <= self._requeued)):
            return [], [], set()
        rows, self._to_set_aside = self._to_set_aside, set()
        found = list(self.suspects.values())
        if found:
            self.suspects.clear()
            self._cap = None
        return [op for op, _ in found], [
            Rejection(op["op_id"], SERVER_ERROR, f"the server fails on this change ({error}) while it takes "
                      "the others; it is tried again at every sync") for op, error in found], rows

    def still_failing(self) -> ServerFailed | None:
        """The error to raise at the end of a push whose suspect nothing proved."""
        return next((error for _, error in self.suspects.values()), None)
