"""The metadata every table of the postfach service belongs to; the mailbox and FIT-Connect parts keep their
own models (services/postfach/mailbox/models.py, services/postfach/fitconnect/models.py) on it."""

from sqlalchemy.orm import DeclarativeBase

from kit.db import TYPE_ANNOTATION_MAP, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP
