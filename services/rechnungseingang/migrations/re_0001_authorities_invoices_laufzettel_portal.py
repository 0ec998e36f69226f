"""authorities, invoices, laufzettel, portal

Revision ID: re_0001
Revises: kit_0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "re_0001"
down_revision: str | Sequence[str] | None = "kit_0002"
branch_labels: str | Sequence[str] | None = ("rechnungseingang",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "authorities",
        sa.Column("ars", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=True),
        sa.Column("erp_webhook_url", sa.Text(), nullable=True),
        sa.Column("erp_webhook_secret", sa.String(length=200), nullable=True),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ars", name=op.f("pk_authorities")),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("supplier_sub", sa.String(length=200), nullable=True),
        sa.Column("supplier_name", sa.String(length=300), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("sender_address", sa.String(length=320), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source_format", sa.String(length=8), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("document_hash", sa.String(length=128), nullable=True),
        sa.Column("syntax", sa.String(length=16), nullable=True),
        sa.Column("scenario", sa.String(length=300), nullable=True),
        sa.Column("leitweg_id", sa.String(length=300), nullable=True),
        sa.Column("ars", sa.String(length=12), nullable=True),
        sa.Column("invoice_number", sa.String(length=300), nullable=True),
        sa.Column("seller_key", sa.String(length=300), nullable=True),
        sa.Column("seller_name", sa.String(length=300), nullable=True),
        sa.Column("issue_date", sa.String(length=32), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=True),
        sa.Column("payable", sa.String(length=40), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("report_varl", sa.LargeBinary(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("duplicate_of", sa.String(length=36), nullable=True),
        sa.Column("postfach_message_id", sa.String(length=100), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_ars"), ["ars"], unique=False)
        batch_op.create_index("ix_invoices_seller_key_invoice_number", ["seller_key", "invoice_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_supplier_sub"), ["supplier_sub"], unique=False)

    op.create_table(
        "mail_senders",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("supplier_sub", sa.String(length=200), nullable=True),
        sa.Column("supplier_identity", sa.String(length=64), nullable=True),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_mail_senders")),
    )
    op.create_table(
        "portal_logins",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_portal_logins")),
    )
    op.create_table(
        "portal_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("sub", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_portal_sessions")),
    )
    op.create_table(
        "invoice_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_events_invoice_id_invoices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_events")),
    )
    with op.batch_alter_table("invoice_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_events_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "leitweg_ids",
        sa.Column("leitweg_id", sa.String(length=46), nullable=False),
        sa.Column("ars", sa.String(length=12), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=True),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ars"], ["authorities.ars"], name=op.f("fk_leitweg_ids_ars_authorities"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("leitweg_id", name=op.f("pk_leitweg_ids")),
    )
    with op.batch_alter_table("leitweg_ids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leitweg_ids_ars"), ["ars"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leitweg_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leitweg_ids_ars"))

    op.drop_table("leitweg_ids")
    with op.batch_alter_table("invoice_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_events_invoice_id"))

    op.drop_table("invoice_events")
    op.drop_table("portal_sessions")
    op.drop_table("portal_logins")
    op.drop_table("mail_senders")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_supplier_sub"))
        batch_op.drop_index("ix_invoices_seller_key_invoice_number")
        batch_op.drop_index(batch_op.f("ix_invoices_ars"))

    op.drop_table("invoices")
    op.drop_table("authorities")
