"""server: the derived profile and plan ids of every account (server_derived_ids)

A profile's and a plan's row ids are derived from the user id (desktop_app.db.ids.
singleton_id), so every device and the server agree on them. Anyone who knows a user id can
compute them too: a student could create their own plan under another student's derived id,
and that student's own plan pushes were refused from then on (the row belongs to someone
else). A uuid5 cannot be traced back to its user, so push looks a new row's id up in this
table; registration fills it for new accounts, and this migration for the accounts there
are, under a lock that holds back registrations meanwhile. A desktop (SQLite) gets the
table and never uses it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from desktop_app.db.ids import singleton_id


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The tables with one row per user at this revision (sync_server.derived_ids.SINGLETONS then).
_SINGLETONS = ('student_profiles', 'study_plans')
_CHUNK = 10_000


def upgrade() -> None:
    table = op.create_table('server_derived_ids',
    sa.Column('row_id', sa.String(length=36), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_server_derived_ids_user_id_users')),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_server_derived_ids'))
    )
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    op.execute("LOCK TABLE users IN SHARE MODE")
    user_ids = [r[0] for r in bind.execute(sa.text("SELECT id FROM users ORDER BY id"))]
    for start in range(0, len(user_ids), _CHUNK):
        op.bulk_insert(table, [{'row_id': singleton_id(name, uid), 'table_name': name, 'user_id': uid}
                               for uid in user_ids[start:start + _CHUNK] for name in _SINGLETONS])


def downgrade() -> None:
    op.drop_table('server_derived_ids')
