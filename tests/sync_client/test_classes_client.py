"""ClassesClient without a server: not signed in, and the cached copy (none, kept, unreadable)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from desktop_app.services.setup import initialise
from sync_client import state
from sync_client.classes import CACHE_KEY, ClassesClient
from sync_client.errors import AuthRequired, RequestFailed, ServerUnreachable


def test_not_signed_in_and_the_cached_copy(tmp_path: Path) -> None:
    db, _ = initialise(tmp_path)
    try:
        client = ClassesClient(db, tmp_path)
        with pytest.raises(AuthRequired):
            client.list_classes()
        assert client.cached().fetched_at is None
        when = datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc)
        with db.transaction() as s:
            state.put(s, CACHE_KEY, '{"fetched_at": "%s", "classes": [{"class_id": "c"}], "mastery": {}}'
                      % when.isoformat())
        assert client.cached().classes == [{"class_id": "c"}] and client.cached().fetched_at == when
        with db.transaction() as s:
            state.put(s, CACHE_KEY, "{not json")
        assert client.cached().classes == [] and client.cached().fetched_at is None
        assert [ClassesClient.problem(e) for e in (AuthRequired("x"), ServerUnreachable("x"),
                                                  RequestFailed("x", status=403, code="forbidden"))] == \
            ["sign_in", "offline", "refused"]
    finally:
        db.close()
