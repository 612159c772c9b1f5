"""Bring a database to the newest schema, from code (the app on start, the server, tests).

The script location comes from `desktop_app.resources`, never the working directory, so an
installed or frozen app finds its migrations wherever it is started from.
"""
from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from desktop_app.resources import migrations_path

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision of alembic/versions (a test holds it equal to Alembic's head). Knowing
# it without Alembic lets a start on a current database skip importing Alembic at all.
SCHEMA_HEAD = "0007"


def stored_revision(conn: sqlite3.Connection) -> str | None:
    """The schema revision recorded in a SQLite database; None for a new or foreign one."""
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()
    if not has_table:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def alembic_config(url: str | None = None) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` (one transaction on PostgreSQL)."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
