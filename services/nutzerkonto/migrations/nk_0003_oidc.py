"""OIDC clients, authorization codes, issued-token log, sessions, used client assertions

Revision ID: nk_0003
Revises: nk_0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'nk_0003'
down_revision: str | Sequence[str] | None = 'nk_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('oidc_clients',
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('client_name', sa.String(length=300), nullable=False),
    sa.Column('client_type', sa.String(length=16), nullable=False),
    sa.Column('client_secret', sa.String(length=200), nullable=True),
    sa.Column('token_endpoint_auth_method', sa.String(length=32), nullable=False),
    sa.Column('redirect_uris', sa.JSON(), nullable=False),
    sa.Column('post_logout_redirect_uris', sa.JSON(), nullable=False),
    sa.Column('grant_types', sa.JSON(), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('audiences', sa.JSON(), nullable=False),
    sa.Column('default_audience', sa.String(length=500), nullable=True),
    sa.Column('jwks', sa.JSON(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_oidc_clients'))
    )
    op.create_table('oidc_codes',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('redirect_uri', sa.Text(), nullable=False),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('nonce', sa.Text(), nullable=True),
    sa.Column('scope', sa.JSON(), nullable=False),
    sa.Column('acr_values', sa.JSON(), nullable=False),
    sa.Column('identity_id', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('audiences', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_oidc_codes'))
    )
    op.create_table('oidc_tokens',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('identity_id', sa.String(length=64), nullable=True),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('audiences', sa.JSON(), nullable=False),
    sa.Column('session_id', sa.String(length=64), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('family_id', sa.String(length=64), nullable=True),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=16), nullable=True),
    sa.Column('acr', sa.String(length=100), nullable=True),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_oidc_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_oidc_tokens_token_hash'))
    )
    op.create_index('ix_oidc_tokens_code_hash', 'oidc_tokens', ['code_hash'], unique=False)
    op.create_index('ix_oidc_tokens_family_id', 'oidc_tokens', ['family_id'], unique=False)
    op.create_index('ix_oidc_tokens_session_id', 'oidc_tokens', ['session_id'], unique=False)
    op.create_table('oidc_sessions',
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('identity_id', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_oidc_sessions'))
    )
    op.create_table('oidc_used_assertions',
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('jti', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('client_id', 'jti', name=op.f('pk_oidc_used_assertions'))
    )


def downgrade() -> None:
    op.drop_table('oidc_used_assertions')
    op.drop_table('oidc_sessions')
    op.drop_index('ix_oidc_tokens_session_id', table_name='oidc_tokens')
    op.drop_index('ix_oidc_tokens_family_id', table_name='oidc_tokens')
    op.drop_index('ix_oidc_tokens_code_hash', table_name='oidc_tokens')
    op.drop_table('oidc_tokens')
    op.drop_table('oidc_codes')
    op.drop_table('oidc_clients')
