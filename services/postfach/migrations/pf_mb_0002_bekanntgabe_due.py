"""Postfach mailbox: when each message's Bekanntgabe next changes, for the sweeper that records it by the clock.

Revision ID: pf_mb_0002
Revises: pf_mb_0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pf_mb_0002"
down_revision: str | Sequence[str] | None = "pf_mb_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("mailbox_messages", sa.Column("bekanntgabe_due_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_mailbox_messages_bekanntgabe_status_due_at", "mailbox_messages",
                    ["bekanntgabe_status", "bekanntgabe_due_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_mailbox_messages_bekanntgabe_status_due_at", table_name="mailbox_messages")
    op.drop_column("mailbox_messages", "bekanntgabe_due_at")
