"""server: rows per owner of the append-only tables (server_row_counts)

A pull's summary counted a student's attempts by walking their whole history, which grows
with every answer: a teacher's summary walked the histories of a whole class. The server now
keeps each owner's count in the transaction that inserts their attempts (sync_server/rows.py)
and sums those rows instead. The counts start from the attempts already stored.

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


def upgrade() -> None:
    op.create_table('server_row_counts',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('table_name', 'owner_id', name=op.f('pk_server_row_counts'))
    )
    # Only the server reads these counts; a desktop's own attempts need none.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("INSERT INTO server_row_counts (table_name, owner_id, row_count) "
                   "SELECT 'question_attempts', student_id, count(*) FROM question_attempts GROUP BY student_id")


def downgrade() -> None:
    op.drop_table('server_row_counts')
