"""The directory's tables, as PVOG holds what the Redaktionssysteme deliver (reference/bus.md): areas by ARS,
Leistungsbeschreibungen (one per Leistung and the area its Redaktion writes for), organisation units, the
Zuständigkeiten that join them (Leistung, Gebiet and Organisationseinheit with a role), and online services."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Area(Base):
    """A Gebiet: Bund, Land, Kreis, Gemeindeverband or Gemeinde, keyed by its ARS."""

    __tablename__ = "areas"

    ars: Mapped[str] = mapped_column(String(12), primary_key=True)
    ags: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))  # "Landkreis", "Verbandsgemeinde", "Ortsgemeinde", ...
    zip_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(Text)  # where the key and name come from (every identifier has a source)
    seeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]


class Leistung(Base):
    """A Leistungsbeschreibung (PVOG's ``lbId``): the texts one Redaktion writes for a LeiKa Leistung in its areas.
    ``modules`` are the LeiKa text modules as the v6 detail answers them (``code``, ``text``, ``links``,
    ``details``, ``placeholder``, ``date``); ``fees`` the structured ``modulKosten``."""

    __tablename__ = "leistungen"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    leika_key: Mapped[str] = mapped_column(String(14), index=True)
    name: Mapped[str] = mapped_column(String(500))
    ars: Mapped[list[str]] = mapped_column(JSON)  # the areas this description is written for
    modules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fees: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    valid_from: Mapped[dt.date | None]
    valid_until: Mapped[dt.date | None]
    source: Mapped[str] = mapped_column(Text)
    seeded: Mapped[bool] = mapped_column(default=False)
    last_update: Mapped[dt.datetime]


class OrganisationUnit(Base):
    """An Organisationseinheit (a Bürgeramt, a Straßenverkehrsbehörde) with its address and contact channels."""

    __tablename__ = "organisation_units"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    location: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # address and ``communications``
    source: Mapped[str] = mapped_column(Text)
    seeded: Mapped[bool] = mapped_column(default=False)
    last_update: Mapped[dt.datetime]


class Zustaendigkeit(Base):
    """Leistung, Gebiet and Organisationseinheit with a role (01 zuständige Stelle, 03 Ansprechpunkt); the
    FIT-Connect destination the Redaktion entered for it travels along as its ``destinationSignature``."""

    __tablename__ = "zustaendigkeiten"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    leistung_id: Mapped[str] = mapped_column(ForeignKey("leistungen.id", ondelete="CASCADE"), index=True)
    organisation_unit_id: Mapped[str] = mapped_column(ForeignKey("organisation_units.id", ondelete="CASCADE"),
                                                      index=True)
    ars: Mapped[str] = mapped_column(ForeignKey("areas.ars", ondelete="CASCADE"), index=True)
    role_code: Mapped[str] = mapped_column(String(2))
    destination_signature: Mapped[str | None] = mapped_column(Text)
    seeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]


class OnlineService(Base):
    """An Onlinedienst (PVOG ``.OD.``): where a Leistung is applied for online, in the areas it serves."""

    __tablename__ = "online_services"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{title, uri}]
    leistung_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    ars: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(Text)
    seeded: Mapped[bool] = mapped_column(default=False)
    last_update: Mapped[dt.datetime]
