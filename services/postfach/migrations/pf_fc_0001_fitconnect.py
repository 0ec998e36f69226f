"""FIT-Connect: OAuth clients and tokens, destinations and keys, submissions, attachments, events, replies.

Revision ID: pf_fc_0001
Revises: kit_0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'pf_fc_0001'
down_revision: str | Sequence[str] | None = 'kit_0002'
branch_labels: str | Sequence[str] | None = ('postfach_fitconnect',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('fc_access_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_fc_access_tokens'))
    )
    op.create_index('ix_fc_access_tokens_expires_at', 'fc_access_tokens', ['expires_at'], unique=False)
    op.create_table('fc_attachments',
    sa.Column('submission_id', sa.String(length=36), nullable=False),
    sa.Column('attachment_id', sa.String(length=36), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('submission_id', 'attachment_id', name=op.f('pk_fc_attachments'))
    )
    op.create_table('fc_clients',
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('client_secret', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('destinations', sa.JSON(), nullable=False),
    sa.Column('seeded', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_fc_clients'))
    )
    op.create_table('fc_destinations',
    sa.Column('destination_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('key_bits', sa.Integer(), nullable=False),
    sa.Column('ars', sa.String(length=12), nullable=True),
    sa.Column('public_services', sa.JSON(), nullable=False),
    sa.Column('contact_information', sa.JSON(), nullable=False),
    sa.Column('metadata_versions', sa.JSON(), nullable=False),
    sa.Column('reply_channels', sa.JSON(), nullable=False),
    sa.Column('callback_url', sa.Text(), nullable=True),
    sa.Column('callback_secret', sa.String(length=200), nullable=True),
    sa.Column('forced_outcome', sa.String(length=16), nullable=True),
    sa.Column('seeded', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('destination_id', name=op.f('pk_fc_destinations'))
    )
    op.create_index(op.f('ix_fc_destinations_ars'), 'fc_destinations', ['ars'], unique=False)
    op.create_table('fc_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('submission_id', sa.String(length=36), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('issuer', sa.Text(), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fc_events')),
    sa.UniqueConstraint('jti', name=op.f('uq_fc_events_jti'))
    )
    op.create_index(op.f('ix_fc_events_case_id'), 'fc_events', ['case_id'], unique=False)
    op.create_table('fc_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=8), nullable=False),
    sa.Column('bits', sa.Integer(), nullable=False),
    sa.Column('private_key_pem', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_fc_keys')),
    info={'keep_on_reset': True}
    )
    op.create_index('ix_fc_keys_owner', 'fc_keys', ['owner'], unique=False)
    op.create_table('fc_replies',
    sa.Column('reply_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('submission_id', sa.String(length=36), nullable=False),
    sa.Column('destination_id', sa.String(length=36), nullable=False),
    sa.Column('sender_client_id', sa.String(length=64), nullable=False),
    sa.Column('announced_attachments', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('encrypted_metadata', sa.Text(), nullable=True),
    sa.Column('encrypted_data', sa.Text(), nullable=True),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('reply_id', name=op.f('pk_fc_replies'))
    )
    op.create_index(op.f('ix_fc_replies_case_id'), 'fc_replies', ['case_id'], unique=False)
    op.create_index(op.f('ix_fc_replies_sender_client_id'), 'fc_replies', ['sender_client_id'], unique=False)
    op.create_table('fc_submissions',
    sa.Column('submission_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('destination_id', sa.String(length=36), nullable=False),
    sa.Column('sender_client_id', sa.String(length=64), nullable=False),
    sa.Column('api_version', sa.String(length=4), nullable=False),
    sa.Column('public_service', sa.JSON(), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('announced_attachments', sa.JSON(), nullable=False),
    sa.Column('bidirectional', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('encrypted_metadata', sa.Text(), nullable=True),
    sa.Column('encrypted_data', sa.Text(), nullable=True),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('forwarded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contact_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_fc_submissions'))
    )
    op.create_index(op.f('ix_fc_submissions_case_id'), 'fc_submissions', ['case_id'], unique=False)
    op.create_index('ix_fc_submissions_destination_status', 'fc_submissions', ['destination_id', 'status'],
                    unique=False)
    op.create_index(op.f('ix_fc_submissions_sender_client_id'), 'fc_submissions', ['sender_client_id'], unique=False)
    op.create_index('ix_fc_submissions_status_submitted_at', 'fc_submissions', ['status', 'submitted_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_fc_submissions_status_submitted_at', table_name='fc_submissions')
    op.drop_index(op.f('ix_fc_submissions_sender_client_id'), table_name='fc_submissions')
    op.drop_index('ix_fc_submissions_destination_status', table_name='fc_submissions')
    op.drop_index(op.f('ix_fc_submissions_case_id'), table_name='fc_submissions')
    op.drop_table('fc_submissions')
    op.drop_index(op.f('ix_fc_replies_sender_client_id'), table_name='fc_replies')
    op.drop_index(op.f('ix_fc_replies_case_id'), table_name='fc_replies')
    op.drop_table('fc_replies')
    op.drop_index('ix_fc_keys_owner', table_name='fc_keys')
    op.drop_table('fc_keys')
    op.drop_index(op.f('ix_fc_events_case_id'), table_name='fc_events')
    op.drop_table('fc_events')
    op.drop_index(op.f('ix_fc_destinations_ars'), table_name='fc_destinations')
    op.drop_table('fc_destinations')
    op.drop_table('fc_clients')
    op.drop_table('fc_attachments')
    op.drop_index('ix_fc_access_tokens_expires_at', table_name='fc_access_tokens')
    op.drop_table('fc_access_tokens')
