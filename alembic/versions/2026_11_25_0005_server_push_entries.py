"""server: one change-log entry for the new attempts of one push

The change log had one entry per attempt: a push of 100 answers wrote 100 entries (with
three index entries each) under the log's lock, and every pull walked them one by one, even
the pulls of the laptop that had sent them and skips them. Attempts never change, so the
new attempts of one push now share one entry that lists them (`row_ids`), with how many
(`row_count`, 1 for every other entry) and the device that recorded them (`device_id`, so
that device's pull skips the entry without reading the attempts). Existing entries stay as
they are: an entry without `row_ids` stands for its one row, as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 03:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('server_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('row_ids', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('row_count', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('device_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    # An entry that stands for several attempts keeps its first; the others get entries of
    # their own, at new seqs after every other (seqs are unique), so a device pulls them again.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("INSERT INTO server_changes (table_name, row_id, owner_id, seq) "
                   "SELECT c.table_name, x.id, c.owner_id, top.m + row_number() OVER (ORDER BY c.seq, x.n) "
                   "FROM (SELECT max(seq) AS m FROM server_changes) AS top, server_changes c, "
                   "unnest(string_to_array(c.row_ids, ',')) WITH ORDINALITY AS x(id, n) "
                   "WHERE c.row_ids IS NOT NULL AND x.id <> c.row_id")
    with op.batch_alter_table('server_changes', schema=None) as batch_op:
        batch_op.drop_column('device_id')
        batch_op.drop_column('row_count')
        batch_op.drop_column('row_ids')
