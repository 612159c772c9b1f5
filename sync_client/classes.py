"""Classes on the server: a teacher creates and reads them, a student joins one by code.

`ClassesClient` is the blocking client behind the Classes screen and Settings' "join a
class": it finds the server and the token the way the sync worker does (the database's
`sync_state` link, the token in the keyring via `TokenStore`) and calls the endpoints of
docs/sync-protocol.md ("Classes") through the sync transport. The class mastery table last
fetched is kept in `sync_state` (`CACHE_KEY`) with the time it was fetched, so the teacher's
screen shows it when the server cannot be reached.

Thread: every method blocks on the network or SQLite: call them from a worker thread,
never from the GUI thread. Raises `sync_client.errors` exceptions (`AuthRequired` when this
database is not signed in to a server, `RequestFailed` for 403/404 with the server's code).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from desktop_app.db.database import LocalDatabase
from sync_client import state
from sync_client.errors import AuthRequired, ServerUnreachable
from sync_client.state import TokenStore
from sync_client.transport import HttpTransport

CACHE_KEY = "classes_cache"  # {"fetched_at": iso, "classes": [...], "mastery": {class_id: {...}}}


@dataclass(frozen=True)
class Cached:
    """A copy of what the server said, and when it said it (None: never fetched)."""

    classes: list[dict[str, Any]]
    mastery: dict[str, dict[str, Any]]
    fetched_at: datetime | None


class ClassesClient:
    """Create, rename, delete, list, join and read the mastery of classes on this database's sync server."""

    def __init__(self, db: LocalDatabase, data_dir: Path, *,
                 transport_factory: Callable[[str], HttpTransport] = HttpTransport) -> None:
        self._db = db
        self._tokens = TokenStore(data_dir, db.device_id)
        self._transport_factory = transport_factory
        self._transport: HttpTransport | None = None
        self._url: str | None = None

    # --- endpoints ------------------------------------------------------------------------
    def create_class(self, name: str) -> dict[str, Any]:
        return self._request("POST", "/classes", json={"name": name})

    def list_classes(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/classes")["classes"])

    def rename_class(self, class_id: str, name: str) -> dict[str, Any]:
        return self._request("PATCH", f"/classes/{class_id}", json={"name": name})

    def delete_class(self, class_id: str) -> dict[str, Any]:
        """Delete the class; its students leave it (their work stays theirs)."""
        return self._request("DELETE", f"/classes/{class_id}")

    def class_mastery(self, class_id: str) -> dict[str, Any]:
        return self._request("GET", f"/classes/{class_id}/mastery")

    def join_class(self, join_code: str) -> dict[str, Any]:
        """Join by code; the profile's class_id arrives on the next pull (the server sets it)."""
        transport, token = self._connect()
        return transport.join_class(token, join_code.strip().upper())

    def refresh(self, *, now: datetime | None = None) -> Cached:
        """Every class of the teacher with its mastery, fetched now and kept as the cached copy."""
        classes = self.list_classes()
        mastery = {c["class_id"]: self.class_mastery(c["class_id"]) for c in classes}
        fetched = now or datetime.now(timezone.utc)
        with self._db.transaction() as session:
            state.put(session, CACHE_KEY, json.dumps({"fetched_at": fetched.isoformat(), "classes": classes,
                                                      "mastery": mastery}))
        return Cached(classes=classes, mastery=mastery, fetched_at=fetched)

    def cached(self) -> Cached:
        """The copy of the last `refresh` (empty if there was none)."""
        with self._db.transaction() as session:
            raw = state.get(session, CACHE_KEY)
        try:
            data = json.loads(raw) if raw else None
            return Cached(classes=list(data["classes"]), mastery=dict(data["mastery"]),
                          fetched_at=datetime.fromisoformat(data["fetched_at"]))
        except (TypeError, ValueError, KeyError):  # none yet, or unreadable: the next refresh replaces it
            return Cached(classes=[], mastery={}, fetched_at=None)

    @staticmethod
    def problem(exc: Exception) -> str:
        """What kind of failure `exc` is, for the GUI's words: "sign_in" (not signed in, or the
        sign-in expired), "offline" (no answer from the server), or "refused" (anything else)."""
        if isinstance(exc, AuthRequired):
            return "sign_in"
        if isinstance(exc, ServerUnreachable):
            return "offline"
        return "refused"

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    # --- plumbing -------------------------------------------------------------------------
    def _connect(self) -> tuple[HttpTransport, str]:
        with self._db.transaction() as session:
            url = state.get(session, state.SERVER_URL)
        token = self._tokens.get()
        if not url or not token:
            raise AuthRequired("sign in to a sync server first", code="not_signed_in")
        if self._transport is None or self._url != url:
            if self._transport is not None:
                self._transport.close()
            self._transport, self._url = self._transport_factory(url), url
        return self._transport, token

    def _request(self, method: str, path: str, *, json: Any = None) -> Any:
        transport, token = self._connect()
        # The transport's private _call: its error mapping and retry rules (GETs are
        # idempotent; creating a class is not) without widening the Transport protocol,
        # which the sync engine's fakes implement and which classes do not concern.
        return transport._call(method, path, token=token, idempotent=method == "GET", json=json)
