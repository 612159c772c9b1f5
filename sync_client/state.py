"""The client's small key/value facts in `sync_state`, and the sync token in the keyring.

Keys: the server URL, the account (username, server user id, role), the pull cursor, the
time of the last complete round, concepts whose mastery awaits a recompute. The token is
*not* here: it lives in the OS keyring via `TokenStore` (never SQLite, never settings).
Functions take the caller's session and never commit.
"""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from desktop_app.credentials import SecretStore
from desktop_app.db.models import SyncState

SERVER_URL = "sync_server_url"
USERNAME = "sync_username"
USER_ID = "sync_user_id"
ROLE = "sync_role"
CURSOR = "sync_pull_cursor"
LAST_SYNCED = "sync_last_synced_at"
MASTERY_STALE = "sync_mastery_stale"  # [student ids] whose pulled attempts are not yet recomputed
FALLBACK_NOTICE = "sync_secret_fallback_noticed"

INITIAL_CURSOR = "0"
SECRETS_FILENAME = "secrets.json"


# Plain statements, not ORM loads and merges: a round reads and writes these a dozen times,
# and these keys are only ever touched through this module.
def get(session: Session, key: str) -> str | None:
    return session.scalar(select(SyncState.value).where(SyncState.key == key))


def put(session: Session, key: str, value: str) -> None:
    statement = sqlite_insert(SyncState).values(key=key, value=value)
    session.execute(statement.on_conflict_do_update(index_elements=[SyncState.key],
                                                    set_={"value": statement.excluded.value}))


def drop(session: Session, key: str) -> None:
    session.execute(delete(SyncState).where(SyncState.key == key))


def stale_students(session: Session) -> set[str]:
    """Students whose pulled attempts are not yet in their mastery (recomputed after the pull)."""
    raw = get(session, MASTERY_STALE)
    return set(json.loads(raw)) if raw else set()  # a list; older versions stored {student: [concepts]}


def add_stale_students(session: Session, students: set[str]) -> None:
    if students - (stale := stale_students(session)):
        put(session, MASTERY_STALE, json.dumps(sorted(stale | students)))


class TokenStore:
    """The bearer token of one local database, in the keyring (file fallback next to the db).

    The entry is named after the device id, so two data directories on one machine (two
    "laptops" in tests, or two people) never share a token. Thread-safe as keyring is.
    """

    def __init__(self, data_dir: Path, device_id: str) -> None:
        self._secrets = SecretStore(Path(data_dir) / SECRETS_FILENAME)
        self._name = f"sync-token/{device_id}"

    def get(self) -> str | None:
        return self._secrets.get(self._name)

    def set(self, token: str) -> None:
        self._secrets.set(self._name, token)

    def delete(self) -> None:
        self._secrets.delete(self._name)

    def fallback_in_use(self) -> bool:
        """True when there is no OS keyring and the token sits in an owner-only file."""
        return self._secrets.fallback_in_use()
