"""attempts lose their index on question_id, which no query uses

Nothing looks attempts up by question, on the desktop or on the server: every query starts
from a student (idx_attempts_student_timestamp) or an attempt's id, and questions are never
deleted (tombstoned), so no foreign-key check searches attempts by question either. Yet each
attempt inserted paid for the index: on the server, ~14% of PostgreSQL's time to insert a
push of 100 attempts (bench/server_load.py's interleaved measurement: 1.78 -> 1.53 ms).
Should a query by question come (say, a teacher's per-question statistics), create the index
again then, with the query that needs it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 04:45:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A plain DROP INDEX on both dialects: batch mode could copy the whole table on SQLite.
    op.drop_index('ix_question_attempts_question_id', table_name='question_attempts')


def downgrade() -> None:
    op.create_index('ix_question_attempts_question_id', 'question_attempts', ['question_id'], unique=False)
