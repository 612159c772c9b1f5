"""Finding the change a server bug fails on, so that it does not hold up the rest of the queue.

The server answers 500 only for a bug of its own (a database that is down or busy is 503,
and a change it refuses is a 422 naming it). Such a bug may be set off by one change of a
batch, and then every try of that batch fails the same way: retried as it was, the whole
queue would wait behind it for ever, and the student's work would never be backed up.

So a batch that gets a 500 is split: the next batches are half its size, until the change
that fails is alone. A change that fails alone is a suspect: it is skipped for the rest of
the push, and set aside (`server_error`, listed in Settings with the rest) as soon as the
server accepts, or refuses by name, another change; that answer shows that the server
works and that the failure is that change's own. If nothing else gets through, the server
as a whole is failing: the suspects stay in the queue and the push raises, to be retried
with backoff as before, so a broken server never sets the whole queue aside.

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
    """The state of one push (engine.Synchronizer.push): how large a batch may be, and the
    suspects found so far with the op as sent and the error each got."""

    def __init__(self, alone: list[str] | None = None) -> None:
        self._alone = set(alone or ())  # changes to try one at a time (requeued)
        self._cap: int | None = None  # batch size while a failing change is looked for
        self.suspects: dict[str, tuple[dict[str, Any], ServerFailed]] = {}

    def max_ops(self, usual: int) -> int:
        if self._alone:
            return 1
        return usual if self._cap is None else min(usual, self._cap)

    def sent(self, batch: list[dict[str, Any]]) -> None:
        """`batch` got an answer of any kind: its requeued changes have had their try alone."""
        self._alone.difference_update(op["op_id"] for op in batch)

    def failed(self, batch: list[dict[str, Any]], error: ServerFailed) -> bool:
        """`batch` got `error`. True if it is a server bug that one of its changes may set
        off: the batch is split (or its one change suspected) and the push goes on."""
        self.sent(batch)
        if error.status != SERVER_BUG:
            return False
        if len(batch) > 1:
            self._cap = max(1, len(batch) // 2)
        else:
            self.suspects[batch[0]["op_id"]] = (batch[0], error)
        return True

    def proven(self) -> tuple[list[dict[str, Any]], list[Rejection]]:
        """The server took another change: the suspects, as ops and rejections to set aside.
        Batches are full-sized again."""
        found = list(self.suspects.values())
        self.suspects.clear()
        if found:
            self._cap = None
        return [op for op, _ in found], [
            Rejection(op["op_id"], SERVER_ERROR, f"the server fails on this change ({error}) while it takes "
                      "the others; it is tried again at every sync") for op, error in found]

    def still_failing(self) -> ServerFailed | None:
        """The error to raise at the end of a push whose suspects nothing proved."""
        return next((error for _, error in self.suspects.values()), None)
