"""Alembic environment for the one migration history of desktop (SQLite) and server (PostgreSQL).

`render_as_batch=True` lets ALTERs work on SQLite and is harmless on PostgreSQL.
When called from code (desktop_app.db.migrate) a connection is passed in and logging is
left alone: `fileConfig` would silence the application's existing loggers.
"""
from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool

from desktop_app.db.base import Base
from desktop_app.db.session import make_engine
import desktop_app.db.models  # noqa: F401  (registers every table on Base.metadata)

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("ADAPTIVE_LEARNING_DB_URL") \
        or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("No database URL: pass -x url=... or set ADAPTIVE_LEARNING_DB_URL")
    return url


# Foreign keys the models declare but the server's PostgreSQL does not enforce (revision 0003
# says why); the desktop's SQLite keeps them, and `alembic check` compares them there.
SERVER_UNCHECKED_FKS = frozenset({"fk_question_attempts_question_id_questions", "fk_question_attempts_student_id_users"})


def _include(dialect: str):  # type: ignore[no-untyped-def]
    def include(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
        return not (dialect == "postgresql" and type_ == "foreign_key_constraint" and name in SERVER_UNCHECKED_FKS)
    return include


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True, include_object=_include(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
elif context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    engine = make_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure(conn)
