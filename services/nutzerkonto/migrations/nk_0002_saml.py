"""SAML service providers and seen AuthnRequest IDs

Revision ID: nk_0002
Revises: nk_0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'nk_0002'
down_revision: str | Sequence[str] | None = 'nk_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('saml_service_providers',
    sa.Column('entity_id', sa.String(length=1024), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('metadata_xml', sa.Text(), nullable=False),
    sa.Column('acs', sa.JSON(), nullable=False),
    sa.Column('signing_certificates', sa.JSON(), nullable=False),
    sa.Column('encryption_certificate', sa.Text(), nullable=True),
    sa.Column('encryption_method', sa.String(length=100), nullable=True),
    sa.Column('authn_requests_signed', sa.Boolean(), nullable=False),
    sa.Column('want_assertions_signed', sa.Boolean(), nullable=False),
    sa.Column('sign_response', sa.Boolean(), nullable=False),
    sa.Column('sign_assertion', sa.Boolean(), nullable=False),
    sa.Column('encrypt_assertion', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('entity_id', name=op.f('pk_saml_service_providers'))
    )
    op.create_table('saml_seen_requests',
    sa.Column('sp_entity_id', sa.String(length=1024), nullable=False),
    sa.Column('request_id', sa.String(length=256), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sp_entity_id', 'request_id', name=op.f('pk_saml_seen_requests'))
    )
    op.create_index('ix_saml_seen_requests_expires_at', 'saml_seen_requests', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_saml_seen_requests_expires_at', table_name='saml_seen_requests')
    op.drop_table('saml_seen_requests')
    op.drop_table('saml_service_providers')
