"""test PKI, authorities, templates, counters, Bescheide, batch jobs

Revision ID: bs_0001
Revises: kit_0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'bs_0001'
down_revision: str | Sequence[str] | None = 'kit_0002'
branch_labels: str | Sequence[str] | None = ('bescheid',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'pki_material',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('key_pem', sa.Text(), nullable=False),
        sa.Column('certificate_pem', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_pki_material')),
        info={'keep_on_reset': True},
    )
    op.create_table(
        'revocations',
        sa.Column('serial', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('serial', name=op.f('pk_revocations')),
    )
    op.create_table(
        'authorities',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('ars', sa.String(length=12), nullable=False),
        sa.Column('organization_identifier', sa.String(length=64), nullable=False),
        sa.Column('address', sa.JSON(), nullable=False),
        sa.Column('number_prefix', sa.String(length=16), nullable=False),
        sa.Column('pades_level', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_authorities')),
    )
    op.create_table(
        'templates',
        sa.Column('id', sa.String(length=100), nullable=False),
        sa.Column('authority_id', sa.String(length=64), nullable=False),
        sa.Column('service', sa.String(length=255), nullable=False),
        sa.Column('title', sa.String(length=255), nullable=False),
        sa.Column('greeting', sa.Text(), nullable=False),
        sa.Column('closing', sa.Text(), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('stork_qaa_level', sa.Integer(), nullable=False),
        sa.Column('bekanntgabe_rule', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'],
                                name=op.f('fk_templates_authority_id_authorities'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_templates')),
    )
    op.create_table(
        'counters',
        sa.Column('authority_id', sa.String(length=64), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('authority_id', 'year', name=op.f('pk_counters')),
    )
    op.create_table(
        'bescheide',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('authority_id', sa.String(length=64), nullable=False),
        sa.Column('template_id', sa.String(length=100), nullable=False),
        sa.Column('number', sa.String(length=64), nullable=False),
        sa.Column('aktenzeichen', sa.String(length=100), nullable=False),
        sa.Column('addressee_handle', sa.String(length=36), nullable=False),
        sa.Column('client_id', sa.String(length=200), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('pades_level', sa.String(length=8), nullable=False),
        sa.Column('seal_serial', sa.String(length=64), nullable=False),
        sa.Column('seal_warnings', sa.JSON(), nullable=False),
        sa.Column('batch_id', sa.String(length=36), nullable=True),
        sa.Column('delivery_status', sa.String(length=16), nullable=False),
        sa.Column('delivery_error', sa.Text(), nullable=True),
        sa.Column('message_id', sa.String(length=64), nullable=True),
        sa.Column('provided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('retrieved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('bekanntgabe', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'],
                                name=op.f('fk_bescheide_authority_id_authorities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bescheide')),
        sa.UniqueConstraint('authority_id', 'number', name=op.f('uq_bescheide_authority_id')),
    )
    op.create_index(op.f('ix_bescheide_authority_id'), 'bescheide', ['authority_id'], unique=False)
    op.create_index(op.f('ix_bescheide_addressee_handle'), 'bescheide', ['addressee_handle'], unique=False)
    op.create_index(op.f('ix_bescheide_batch_id'), 'bescheide', ['batch_id'], unique=False)
    op.create_table(
        'batch_jobs',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('client_id', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('results', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_jobs')),
    )


def downgrade() -> None:
    op.drop_table('batch_jobs')
    op.drop_index(op.f('ix_bescheide_batch_id'), table_name='bescheide')
    op.drop_index(op.f('ix_bescheide_addressee_handle'), table_name='bescheide')
    op.drop_index(op.f('ix_bescheide_authority_id'), table_name='bescheide')
    op.drop_table('bescheide')
    op.drop_table('counters')
    op.drop_table('templates')
    op.drop_table('authorities')
    op.drop_table('revocations')
    op.drop_table('pki_material')
