"""payments, originators, refunds, audit, paypal, kasse

Revision ID: bp_0001
Revises: kit_0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'bp_0001'
down_revision: str | Sequence[str] | None = 'kit_0002'
branch_labels: str | Sequence[str] | None = ('bezahlplattform',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('payment_id', sa.String(length=44), nullable=True),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_payment_id'), ['payment_id'], unique=False)

    op.create_table('bank_statements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('endpoint_id', sa.String(length=64), nullable=False),
    sa.Column('statement_id', sa.String(length=35), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_statements')),
    sa.UniqueConstraint('endpoint_id', 'statement_id', name='uq_bank_statements_statement')
    )
    op.create_table('kassenzeichen_counters',
    sa.Column('prefix', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', 'year', name=op.f('pk_kassenzeichen_counters'))
    )
    op.create_table('method_controls',
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('available', sa.Boolean(), nullable=False),
    sa.Column('progression', sa.String(length=16), nullable=False),
    sa.Column('after_seconds', sa.Integer(), nullable=True),
    sa.Column('after_reads', sa.Integer(), nullable=True),
    sa.Column('forced_outcomes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('method', name=op.f('pk_method_controls'))
    )
    op.create_table('originators',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('basic_username', sa.String(length=100), nullable=False),
    sa.Column('basic_password', sa.String(length=200), nullable=False),
    sa.Column('oauth_clients', sa.JSON(), nullable=False),
    sa.Column('webhook_url', sa.Text(), nullable=True),
    sa.Column('webhook_secret', sa.String(length=100), nullable=False),
    sa.Column('seeded', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_originators')),
    sa.UniqueConstraint('basic_username', name=op.f('uq_originators_basic_username'))
    )
    op.create_table('payments',
    sa.Column('id', sa.String(length=44), nullable=False),
    sa.Column('originator_id', sa.String(length=64), nullable=False),
    sa.Column('endpoint_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_detail', sa.String(length=250), nullable=True),
    sa.Column('payment_method', sa.String(length=16), nullable=True),
    sa.Column('payment_method_detail', sa.String(length=100), nullable=True),
    sa.Column('adapter', sa.String(length=32), nullable=True),
    sa.Column('gros_amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('purpose', sa.String(length=27), nullable=False),
    sa.Column('kassenzeichen', sa.String(length=36), nullable=False),
    sa.Column('redirect_url', sa.Text(), nullable=False),
    sa.Column('payment_request', sa.JSON(), nullable=False),
    sa.Column('bookings', sa.JSON(), nullable=False),
    sa.Column('captured_cents', sa.Integer(), nullable=False),
    sa.Column('refunded_cents', sa.Integer(), nullable=False),
    sa.Column('pending_status', sa.String(length=16), nullable=True),
    sa.Column('pending_detail', sa.String(length=250), nullable=True),
    sa.Column('pending_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pending_after_reads', sa.Integer(), nullable=True),
    sa.Column('reads', sa.Integer(), nullable=False),
    sa.Column('checkout_state', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('originator_id', 'endpoint_id', 'request_id', name='uq_payments_request')
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_endpoint_status', ['endpoint_id', 'status'], unique=False)
        batch_op.create_index('ix_payments_kassenzeichen', ['kassenzeichen'], unique=False)

    op.create_table('paypal_orders',
    sa.Column('id', sa.String(length=20), nullable=False),
    sa.Column('client', sa.String(length=100), nullable=False),
    sa.Column('request_id', sa.String(length=108), nullable=True),
    sa.Column('capture_request_id', sa.String(length=108), nullable=True),
    sa.Column('intent', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('purchase_units', sa.JSON(), nullable=False),
    sa.Column('return_url', sa.Text(), nullable=True),
    sa.Column('cancel_url', sa.Text(), nullable=True),
    sa.Column('payment_id', sa.String(length=44), nullable=True),
    sa.Column('payer_id', sa.String(length=20), nullable=True),
    sa.Column('capture_id', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paypal_orders')),
    sa.UniqueConstraint('client', 'request_id', name='uq_paypal_orders_request')
    )
    op.create_table('sepa_mandates',
    sa.Column('reference', sa.String(length=35), nullable=False),
    sa.Column('payment_id', sa.String(length=44), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('account_holder', sa.String(length=70), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('reference', name=op.f('pk_sepa_mandates'))
    )
    with op.batch_alter_table('sepa_mandates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sepa_mandates_payment_id'), ['payment_id'], unique=False)

    op.create_table('webhook_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempts'))
    )
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_attempts_message_id'), ['message_id'], unique=False)

    op.create_table('endpoints',
    sa.Column('originator_id', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('service_name', sa.String(length=200), nullable=False),
    sa.Column('kassenzeichen_prefix', sa.String(length=8), nullable=False),
    sa.Column('booking_defaults', sa.JSON(), nullable=False),
    sa.Column('required_booking_keys', sa.JSON(), nullable=False),
    sa.Column('methods', sa.JSON(), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('bic', sa.String(length=11), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['originator_id'], ['originators.id'],
                            name=op.f('fk_endpoints_originator_id_originators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('originator_id', 'id', name=op.f('pk_endpoints'))
    )
    op.create_table('refunds',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('payment_id', sa.String(length=44), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=250), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id_payments'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_payment_id'), ['payment_id'], unique=False)

    # The audit log is append-only: the database itself refuses to change a row.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events "
                   "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")
    else:
        op.execute("CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$")
        op.execute("CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()")


def downgrade() -> None:
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_payment_id'))

    op.drop_table('refunds')
    op.drop_table('endpoints')
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_attempts_message_id'))

    op.drop_table('webhook_attempts')
    with op.batch_alter_table('sepa_mandates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sepa_mandates_payment_id'))

    op.drop_table('sepa_mandates')
    op.drop_table('paypal_orders')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_kassenzeichen')
        batch_op.drop_index('ix_payments_endpoint_status')

    op.drop_table('payments')
    op.drop_table('originators')
    op.drop_table('method_controls')
    op.drop_table('kassenzeichen_counters')
    op.drop_table('bank_statements')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_payment_id'))

    op.drop_table('audit_events')
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
