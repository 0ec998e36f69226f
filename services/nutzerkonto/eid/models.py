"""The eID API's table: one eID session per card read an online service asked for (BSI TR-03130 ``useID``),
holding the result until the service fetches it (``getResult``) once."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from services.nutzerkonto.models import Base


class EidSession(Base):
    __tablename__ = "eid_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # unguessable; the service's handle
    client_id: Mapped[str] = mapped_column(String(200))  # the OAuth client that created it; only it may fetch
    # The login page the citizen completes; the session goes when the login does (reset, cleanup).
    login_id: Mapped[str] = mapped_column(ForeignKey("login_requests.id", ondelete="CASCADE"), unique=True)
    # TR-03130 UseOperations: operation name -> "REQUIRED" | "ALLOWED".
    operations: Mapped[dict[str, str]] = mapped_column(JSON)
    age_verification: Mapped[int | None]  # AgeVerificationRequest/Age
    place_verification: Mapped[str | None] = mapped_column(String(16))  # PlaceVerificationRequest/CommunityID
    refresh_address: Mapped[str] = mapped_column(String(2000))  # where the browser returns (TR-03124 name)
    status: Mapped[str] = mapped_column(String(16))  # "pending" | "succeeded" | "cancelled" | "failed" | "fetched"
    # The getResult answer; emptied once fetched, as an eID-Server deletes personal data after delivery.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    fetched_at: Mapped[dt.datetime | None]
