"""Postfach mailbox: the inbox session keeps the access token's jti only (the column held it already; the name now
says so).

Revision ID: pf_mb_0003
Revises: pf_mb_0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pf_mb_0003"
down_revision: str | Sequence[str] | None = "pf_mb_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mailbox_inbox_sessions") as batch:
        batch.alter_column("access_token", new_column_name="token_jti", existing_type=sa.Text(),
                           type_=sa.String(length=64), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("mailbox_inbox_sessions") as batch:
        batch.alter_column("token_jti", new_column_name="access_token", existing_type=sa.String(length=64),
                           type_=sa.Text(), existing_nullable=False)
