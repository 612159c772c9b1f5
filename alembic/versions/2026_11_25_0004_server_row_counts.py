"""server: rows per owner of the append-only tables (server_row_counts)

A pull's summary counted a student's attempts by walking their whole history, which grows
with every answer: a teacher's summary walked the histories of a whole class. On the server
(PostgreSQL), triggers on question_attempts now keep each student's count in the statement
that inserts, deletes or truncates attempts, whatever runs it (the push, an older server
still running during an upgrade, a hand-made fix), and the summary sums those rows. Attempts
are never updated (push refuses it), so their owner never changes.

The backfill and the triggers are made under a lock that stops concurrent inserts, so no
attempt slips between the two. A desktop (SQLite) gets the table and never uses it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 02:05:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_COUNT = """
CREATE FUNCTION count_attempts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO server_row_counts (table_name, owner_id, row_count)
    SELECT TG_TABLE_NAME, student_id, count(*) FROM inserted GROUP BY student_id
    ON CONFLICT (table_name, owner_id) DO UPDATE SET row_count = server_row_counts.row_count + EXCLUDED.row_count;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE server_row_counts c SET row_count = c.row_count - d.n
    FROM (SELECT student_id, count(*) AS n FROM deleted GROUP BY student_id) d
    WHERE c.table_name = TG_TABLE_NAME AND c.owner_id = d.student_id;
  ELSE  -- TRUNCATE
    DELETE FROM server_row_counts WHERE table_name = TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END $$
"""
# Transition tables allow one event per trigger: three triggers, one function.
_TRIGGERS = (("question_attempts_count_inserts", "INSERT", "REFERENCING NEW TABLE AS inserted"),
             ("question_attempts_count_deletes", "DELETE", "REFERENCING OLD TABLE AS deleted"),
             ("question_attempts_count_truncates", "TRUNCATE", ""))


def upgrade() -> None:
    op.create_table('server_row_counts',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('table_name', 'owner_id', name=op.f('pk_server_row_counts'))
    )
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("LOCK TABLE question_attempts IN SHARE ROW EXCLUSIVE MODE")
    op.execute("INSERT INTO server_row_counts (table_name, owner_id, row_count) "
               "SELECT 'question_attempts', student_id, count(*) FROM question_attempts GROUP BY student_id")
    op.execute(_COUNT)
    for name, event, referencing in _TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON question_attempts {referencing} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION count_attempts()")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name, _, _ in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON question_attempts")
        op.execute("DROP FUNCTION count_attempts()")
    op.drop_table('server_row_counts')
