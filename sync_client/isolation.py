"""Finding the change a server bug fails on, so that it does not hold up the rest of the queue.

The server answers 500 only for a bug of its own (a database that is down or busy is 503,
and a change it refuses is a 422 naming it). Such a bug may be set off by one change of a
batch, and then every try of that batch fails the same way: retried as it was, the whole
queue would wait behind it for ever, and the student's work would never be backed up.

So a batch that gets a 500 is split: the next batches are half its size, until the change
that fails is alone. A change that fails alone is a suspect: it and every later change of
its row are skipped for the rest of the push (sent ahead of it, an update would be refused
for good), and they are set aside together (`server_error`, listed in Settings) once the
server has accepted, or refused by name, another change in this push: the server works,
the failure is that change's own. If a second change fails alone first, or nothing gets
through, the server as a whole is failing: everything stays in the queue and the push
raises, to be retried with backoff as before, after a handful of requests.

A change set aside so is tried again, alone, at the start of every push (the server may
have been fixed): `requeue` puts it back, first in the queue as it is the oldest.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import SyncOperation
from sync_client.errors import Rejection, ServerFailed
from sync_client.outbox import PENDING, refused_with

SERVER_ERROR = "server_error"
SERVER_BUG = 500  # the HTTP status of a failure of the server's own code
REFUSED = refused_with(SERVER_ERROR)


def requeue(db: LocalDatabase) -> list[str]:
    """Put the changes set aside for a server error back in the queue; returns their ids."""
    with db.session() as session:
        ids = list(session.scalars(select(SyncOperation.id).where(REFUSED)))
    if ids:
        with db.transaction() as session:
            session.execute(update(SyncOperation).where(SyncOperation.id.in_(ids)).where(REFUSED)
                            .values(status=PENDING).execution_options(synchronize_session=False))
    return ids


class Isolation:
    """The state of one push (engine.Synchronizer.push): how large a batch may be, the
    suspect found so far (the op as sent and the error it got), and whether the server has
    taken anything in this push."""

    def __init__(self, alone: list[str] | None = None) -> None:
        self._singles = len(alone or ())  # requeued changes come first: that many batches of one
        self._cap: int | None = None  # batch size while a failing change is looked for
        self._took = False  # the server accepted, or refused by name, a change of this push
        self.suspects: dict[str, tuple[dict[str, Any], ServerFailed]] = {}

    @property
    def held_rows(self) -> set[tuple[str, str]]:
        """Rows whose changes wait behind a suspect: sent after it, they would reach the server
        out of order (an update before its insert is refused for good)."""
        return {(op["table"], op["row_id"]) for op, _ in self.suspects.values()}

    def max_ops(self, usual: int) -> int:
        if self._singles > 0:
            return 1
        return usual if self._cap is None else min(usual, self._cap)

    def answered(self, batch: list[dict[str, Any]], *, taken: bool = True) -> None:
        """`batch` got an answer; `taken`: the server accepted it or refused changes by name."""
        self._singles -= 1
        self._took = self._took or taken

    def failed(self, batch: list[dict[str, Any]], error: ServerFailed) -> bool:
        """`batch` got `error`. True if it is a server bug that one of its changes may set
        off: the batch is split (or its one change suspected) and the push goes on. A second
        change failing alone before anything is taken means the server fails, not a change."""
        self.answered(batch, taken=False)
        if error.status != SERVER_BUG or (len(batch) == 1 and self.suspects):
            return False
        if len(batch) > 1:
            self._cap = max(1, len(batch) // 2)
        else:
            self.suspects[batch[0]["op_id"]] = (batch[0], error)
        return True

    def proven(self) -> tuple[list[dict[str, Any]], list[Rejection]]:
        """The suspects to set aside if the server has taken another change in this push (else
        nothing), as ops and rejections. Batches are full-sized again."""
        if not self._took or not self.suspects:
            return [], []
        found = list(self.suspects.values())
        self.suspects.clear()
        self._cap = None
        return [op for op, _ in found], [
            Rejection(op["op_id"], SERVER_ERROR, f"the server fails on this change ({error}) while it takes "
                      "the others; it is tried again at every sync") for op, error in found]

    def still_failing(self) -> ServerFailed | None:
        """The error to raise at the end of a push whose suspect nothing proved."""
        return next((error for _, error in self.suspects.values()), None)
