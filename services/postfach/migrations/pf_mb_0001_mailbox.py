"""Postfach mailbox (ZBP): mailboxes, messages with sealed envelopes and attachments, hash-chained event trail,
status updates, captured e-mails, the at-rest key, inbox page logins and sessions.

Revision ID: pf_mb_0001
Revises: kit_0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pf_mb_0001"
down_revision: str | Sequence[str] | None = "kit_0002"
branch_labels: str | Sequence[str] | None = ("postfach_mailbox",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mailbox_inbox_logins",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("return_to", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_mailbox_inbox_logins")),
    )
    op.create_table(
        "mailbox_inbox_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("postkorb_handle", sa.String(length=36), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_mailbox_inbox_sessions")),
    )
    op.create_table(
        "mailbox_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_keys")),
        info={"keep_on_reset": True},
    )
    op.create_table(
        "mailbox_mails",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("to", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_mails")),
    )
    op.create_index(op.f("ix_mailbox_mails_to"), "mailbox_mails", ["to"], unique=False)
    op.create_table(
        "mailbox_status_updates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("sender_client_id", sa.String(length=200), nullable=False),
        sa.Column("signer", sa.String(length=255), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_status_updates")),
    )
    op.create_index(
        op.f("ix_mailbox_status_updates_application_id"), "mailbox_status_updates", ["application_id"], unique=False
    )
    op.create_table(
        "mailboxes",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("identity_id", sa.String(length=100), nullable=True),
        sa.Column("ars", sa.String(length=12), nullable=True),
        sa.Column("notification_email", sa.String(length=320), nullable=True),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_mailboxes")),
    )
    op.create_table(
        "mailbox_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("mailbox_uuid", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("sender_client_id", sa.String(length=200), nullable=False),
        sa.Column("stork_qaa_level", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=True),
        sa.Column("in_reply_to", sa.String(length=36), nullable=True),
        sa.Column("sealed_envelope", sa.LargeBinary(), nullable=False),
        sa.Column("bekanntgabe_rule", sa.String(length=16), nullable=False),
        sa.Column("bekanntgabe_days", sa.Integer(), nullable=True),
        sa.Column("bekanntgabe_status", sa.String(length=16), nullable=False),
        sa.Column("provided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retrieved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trail_head", sa.String(length=64), nullable=False),
        sa.Column("trail_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mailbox_uuid"],
            ["mailboxes.uuid"],
            name=op.f("fk_mailbox_messages_mailbox_uuid_mailboxes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_messages")),
    )
    op.create_index("ix_mailbox_messages_application_id", "mailbox_messages", ["application_id"], unique=False)
    op.create_index(
        "ix_mailbox_messages_mailbox_uuid_provided_at",
        "mailbox_messages",
        ["mailbox_uuid", "provided_at"],
        unique=False,
    )
    op.create_table(
        "mailbox_readers",
        sa.Column("mailbox_uuid", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["mailbox_uuid"],
            ["mailboxes.uuid"],
            name=op.f("fk_mailbox_readers_mailbox_uuid_mailboxes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("mailbox_uuid", "client_id", name=op.f("pk_mailbox_readers")),
    )
    op.create_table(
        "mailbox_attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=255), nullable=False),
        sa.Column("content_length", sa.Integer(), nullable=False),
        sa.Column("sha512sum", sa.String(length=128), nullable=False),
        sa.Column("sealed_data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["mailbox_messages.id"],
            name=op.f("fk_mailbox_attachments_message_id_mailbox_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_attachments")),
    )
    op.create_index(op.f("ix_mailbox_attachments_message_id"), "mailbox_attachments", ["message_id"], unique=False)
    op.create_table(
        "mailbox_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["mailbox_messages.id"],
            name=op.f("fk_mailbox_events_message_id_mailbox_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_events")),
        sa.UniqueConstraint("message_id", "seq", name="uq_mailbox_events_message_id_seq"),
    )


def downgrade() -> None:
    op.drop_table("mailbox_events")
    op.drop_index(op.f("ix_mailbox_attachments_message_id"), table_name="mailbox_attachments")
    op.drop_table("mailbox_attachments")
    op.drop_table("mailbox_readers")
    op.drop_index("ix_mailbox_messages_mailbox_uuid_provided_at", table_name="mailbox_messages")
    op.drop_index("ix_mailbox_messages_application_id", table_name="mailbox_messages")
    op.drop_table("mailbox_messages")
    op.drop_table("mailboxes")
    op.drop_index(op.f("ix_mailbox_status_updates_application_id"), table_name="mailbox_status_updates")
    op.drop_table("mailbox_status_updates")
    op.drop_index(op.f("ix_mailbox_mails_to"), table_name="mailbox_mails")
    op.drop_table("mailbox_mails")
    op.drop_table("mailbox_keys")
    op.drop_table("mailbox_inbox_sessions")
    op.drop_table("mailbox_inbox_logins")
