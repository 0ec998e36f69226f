"""The kit's own tables (outbox, idempotency keys). They live in every service's database, migrated by the
kit's Alembic branch, so a service's business change and its notification commit in one transaction."""

from sqlalchemy.orm import DeclarativeBase

from kit.db import TYPE_ANNOTATION_MAP, new_metadata


class KitBase(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP
