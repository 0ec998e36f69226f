"""areas, Leistungsbeschreibungen, organisation units, Zuständigkeiten, online services

Revision ID: bus_0001
Revises: kit_0002
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bus_0001"
down_revision: str | Sequence[str] | None = "kit_0002"
branch_labels: str | Sequence[str] | None = ("bus",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "areas",
        sa.Column("ars", sa.String(length=12), nullable=False),
        sa.Column("ags", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("zip_codes", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ars", name=op.f("pk_areas")),
    )
    op.create_index(op.f("ix_areas_ags"), "areas", ["ags"])
    op.create_table(
        "leistungen",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("leika_key", sa.String(length=14), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("ars", sa.JSON(), nullable=False),
        sa.Column("modules", sa.JSON(), nullable=False),
        sa.Column("fees", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("last_update", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leistungen")),
    )
    op.create_index(op.f("ix_leistungen_leika_key"), "leistungen", ["leika_key"])
    op.create_table(
        "organisation_units",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("location", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("last_update", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_units")),
    )
    op.create_table(
        "zustaendigkeiten",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("leistung_id", sa.String(length=64), nullable=False),
        sa.Column("organisation_unit_id", sa.String(length=64), nullable=False),
        sa.Column("ars", sa.String(length=12), nullable=False),
        sa.Column("role_code", sa.String(length=2), nullable=False),
        sa.Column("destination_signature", sa.Text(), nullable=True),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["leistung_id"], ["leistungen.id"],
                                name=op.f("fk_zustaendigkeiten_leistung_id_leistungen"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_unit_id"], ["organisation_units.id"],
                                name=op.f("fk_zustaendigkeiten_organisation_unit_id_organisation_units"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ars"], ["areas.ars"], name=op.f("fk_zustaendigkeiten_ars_areas"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zustaendigkeiten")),
    )
    op.create_index(op.f("ix_zustaendigkeiten_leistung_id"), "zustaendigkeiten", ["leistung_id"])
    op.create_index(op.f("ix_zustaendigkeiten_organisation_unit_id"), "zustaendigkeiten", ["organisation_unit_id"])
    op.create_index(op.f("ix_zustaendigkeiten_ars"), "zustaendigkeiten", ["ars"])
    op.create_table(
        "online_services",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("leistung_ids", sa.JSON(), nullable=False),
        sa.Column("ars", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("last_update", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_online_services")),
    )


def downgrade() -> None:
    for table in ("online_services", "zustaendigkeiten", "organisation_units", "leistungen", "areas"):
        op.drop_table(table)
