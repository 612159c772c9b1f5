"""Bring a database to the newest schema, from code (the app on start, the server, tests).

The script location comes from `desktop_app.resources`, never the working directory, so an
installed or frozen app finds its migrations wherever it is started from.
"""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from desktop_app.resources import migrations_path


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` (one transaction on PostgreSQL)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
