"""The server's mark that the syllabus changed, for the caches built on it.

`desktop_app.services.learner` keeps the syllabus and the mastery model it builds from it
(a class's mastery report needs them) until `sync_state.content_version` changes. On a
laptop the outbox hook renews that mark on every write of content; the server writes
content with its own statements (a teacher's push, the sample bank at start), so it renews
the mark itself, in the same transaction. Without it a server process would report class
mastery on the syllabus it first read until it restarts.
"""
from __future__ import annotations

import psycopg

from desktop_app.db.outbox import CONTENT_TABLES, CONTENT_VERSION_KEY

__all__ = ["CONTENT_TABLES", "renew"]


def renew(conn: psycopg.Connection) -> None:
    conn.execute("INSERT INTO sync_state (key, value) VALUES (%s, gen_random_uuid()::text) "
                 "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", (CONTENT_VERSION_KEY,))
