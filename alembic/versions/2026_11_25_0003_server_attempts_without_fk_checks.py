"""server: attempts refer to questions and users without per-row foreign-key checks

PostgreSQL only; SQLite (the desktop) keeps its foreign keys and is not touched.

Why: on the server, nearly every write is a new question attempt, and its two foreign keys
were checked row by row, each check taking a KEY SHARE lock on the referenced row. Every
student answers the same few hundred questions, so concurrent pushes locked the same
question rows and PostgreSQL had to create a multixact for nearly every check: the checks
were about 17% of PostgreSQL's CPU under load (perf, bench/server_load.py), more than the
insert itself.

What keeps the references sound instead:
- Push checks, in the pushing transaction, that every referenced question exists and that
  the student is the caller (push_checks.Batch.visible_references and authorise), before
  anything is written. It already did; the foreign key only repeated it.
- Nothing can disappear afterwards: synced rows are tombstoned (`deleted`), never deleted,
  and this migration makes PostgreSQL refuse a DELETE or TRUNCATE of questions and users,
  the two tables attempts refer to. (Push's cache of ids known to exist relies on the same
  rule.)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 00:20:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The attempt foreign keys this revision drops on PostgreSQL (alembic/env.py leaves them out of
# `alembic check` there): (name, column, referenced table).
DROPPED = (('fk_question_attempts_question_id_questions', 'question_id', 'questions'),
           ('fk_question_attempts_student_id_users', 'student_id', 'users'))
GUARDED = ('questions', 'users')

_GUARD = """
CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'rows of % are never deleted on the sync server: set deleted = true instead', TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$
"""


def _postgresql() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def upgrade() -> None:
    if not _postgresql():
        return
    for name, _, _ in DROPPED:
        op.drop_constraint(name, 'question_attempts', type_='foreignkey')
    op.execute(_GUARD)
    for table in GUARDED:
        op.execute(f'CREATE TRIGGER {table}_never_deleted BEFORE DELETE OR TRUNCATE ON "{table}" '
                   'FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete()')


def downgrade() -> None:
    if not _postgresql():
        return
    for table in GUARDED:
        op.execute(f'DROP TRIGGER {table}_never_deleted ON "{table}"')
    op.execute('DROP FUNCTION refuse_delete()')
    for name, column, target in DROPPED:
        op.create_foreign_key(name, 'question_attempts', target, [column], ['id'])
