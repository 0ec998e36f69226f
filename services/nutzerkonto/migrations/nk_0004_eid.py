"""eID sessions

Revision ID: nk_0004
Revises: nk_0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'nk_0004'
down_revision: str | Sequence[str] | None = 'nk_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('eid_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('login_id', sa.String(length=64), nullable=False),
    sa.Column('operations', sa.JSON(), nullable=False),
    sa.Column('age_verification', sa.Integer(), nullable=True),
    sa.Column('place_verification', sa.String(length=16), nullable=True),
    sa.Column('refresh_address', sa.String(length=2000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['login_id'], ['login_requests.id'],
                            name=op.f('fk_eid_sessions_login_id_login_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eid_sessions')),
    sa.UniqueConstraint('login_id', name=op.f('uq_eid_sessions_login_id'))
    )


def downgrade() -> None:
    op.drop_table('eid_sessions')
