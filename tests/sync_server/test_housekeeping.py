"""Old op ids are forgotten at start; recent ones, and everything else, stay."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from desktop_app.db.ids import new_id
from sync_server.db import Database
from sync_server.housekeeping import SEEN_OPS_KEPT, prune_seen_ops


def test_op_ids_older_than_the_horizon_are_forgotten(db: Database) -> None:
    now = datetime(2027, 6, 1, 12, 0, tzinfo=timezone.utc)
    user = new_id()
    ages = {"ancient": 400, "just-too-old": SEEN_OPS_KEPT.days + 1, "recent": SEEN_OPS_KEPT.days - 1, "today": 0}
    with db.connection() as conn:
        for op, days in ages.items():
            conn.execute("INSERT INTO server_seen_ops (user_id, op_id, seen_at) VALUES (%s, %s, %s)",
                         (user, op, (now - timedelta(days=days)).replace(tzinfo=None)))
        conn.commit()
    assert prune_seen_ops(db, now=now) == 2
    with db.connection() as conn:
        left = {r[0] for r in conn.execute("SELECT op_id FROM server_seen_ops WHERE user_id = %s", (user,))}
    assert left == {"recent", "today"}
    assert prune_seen_ops(db, now=now) == 0
