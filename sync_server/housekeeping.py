"""Housekeeping of the server's own tables, run at start (`adaptive-learning-server`).

server_seen_ops grows by one row per accepted op other than attempts. Forgetting an old op
id is safe: the op it names was applied long ago, and applying it again changes nothing
(every field keeps the greater stamp, merge.py), so the table is only a fast path for
replays. Ids older than SEEN_OPS_KEPT are dropped; that is longer than a laptop stays
offline in practice, so a replayed batch is nearly always still recognised.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from desktop_app.db.base import naive_utc
from sync_server.db import Database

SEEN_OPS_KEPT = timedelta(days=180)


def prune_seen_ops(db: Database, *, now: datetime | None = None, kept: timedelta = SEEN_OPS_KEPT) -> int:
    """Delete op ids seen before `now - kept`; returns how many went."""
    cutoff = naive_utc(now or datetime.now(timezone.utc)) - kept
    return db.run(lambda conn: conn.execute("DELETE FROM server_seen_ops WHERE seen_at < %s", (cutoff,)).rowcount)
