"""What the sync worker tells the GUI: a plain value, no Qt, safe to pass between threads."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

OFFLINE = "offline"  # the server cannot be reached; retrying with backoff (`retry_in` seconds)
SYNCING = "syncing"  # a round is running
SYNCED = "synced"  # the last round completed and nothing is waiting
WAITING = "waiting"  # local changes are waiting for the next (debounced) round
ERROR = "error"  # the last round failed for another reason (`message`); retried later unless fatal
LOGIN_REQUIRED = "login_required"  # not signed in, or the token expired: ask once, then wait

KINDS = (OFFLINE, SYNCING, SYNCED, WAITING, ERROR, LOGIN_REQUIRED)


@dataclass(frozen=True)
class SyncStatus:
    kind: str
    pending: int = 0  # local changes the server has not acknowledged yet
    failed: int = 0  # changes the server refused for good (shown to the person)
    last_synced_at: datetime | None = None
    message: str = ""  # for the person, already translated
    retry_in: float | None = None  # OFFLINE/ERROR: seconds until the next automatic try

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown sync status kind {self.kind!r}")
