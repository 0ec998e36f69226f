"""The seeded authorities and templates (Stadt Koblenz with Bewohnerparkausweis and Hundesteuer, Stadt Mainz with
Hundesteuer at B-LTA). Seeding replaces rows of the same id, so it is idempotent and a reset restores them."""

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.bescheid.models import Authority, Template
from services.bescheid.pki.store import AuthorityIdentity

AUTHORITIES: list[dict[str, Any]] = [
    {"id": "stadt-koblenz", "name": "Stadt Koblenz", "ars": "071110000000",
     "organization_identifier": "NTRDE-071110000000", "address": ["Willi-Hörter-Platz 1", "56068 Koblenz"],
     "number_prefix": "KO", "pades_level": "B-LT"},
    {"id": "stadt-mainz", "name": "Stadt Mainz", "ars": "073150000000",
     "organization_identifier": "NTRDE-073150000000", "address": ["Jockel-Fuchs-Platz 1", "55116 Mainz"],
     "number_prefix": "MZ", "pades_level": "B-LTA"},
]

_CLOSING = "Mit freundlichen Grüßen\nIm Auftrag\n{authority}"
TEMPLATES: list[dict[str, Any]] = [
    {"id": "stadt-koblenz/bewohnerparkausweis", "authority_id": "stadt-koblenz",
     "service": "Bewohnerparkausweis beantragen",
     "title": "Bescheid über die Erteilung eines Bewohnerparkausweises",
     "greeting": "Sehr geehrte Damen und Herren,\n\nauf Ihren Antrag ergeht folgender Bescheid:",
     "fields": {"kennzeichen": "Amtliches Kennzeichen", "zone": "Bewohnerparkzone",
                "gueltigVon": "Gültig von", "gueltigBis": "Gültig bis"},
     "stork_qaa_level": 3, "bekanntgabe_rule": "ozg9"},
    {"id": "stadt-koblenz/hundesteuer", "authority_id": "stadt-koblenz", "service": "Hundesteuer",
     "title": "Bescheid über die Festsetzung der Hundesteuer",
     "greeting": "Sehr geehrte Damen und Herren,\n\nfür das Halten von Hunden im Stadtgebiet wird nach der "
                 "Hundesteuersatzung der Stadt Koblenz folgende Steuer festgesetzt:",
     "fields": {"hund": "Hund", "steuermarke": "Steuermarke", "zeitraum": "Veranlagungszeitraum",
                "faelligkeit": "Fällig am"},
     "stork_qaa_level": 3, "bekanntgabe_rule": "ozg9"},
    {"id": "stadt-mainz/hundesteuer", "authority_id": "stadt-mainz", "service": "Hundesteuer",
     "title": "Bescheid über die Festsetzung der Hundesteuer",
     "greeting": "Sehr geehrte Damen und Herren,\n\nnach der Hundesteuersatzung der Stadt Mainz wird "
                 "folgende Steuer festgesetzt:",
     "fields": {"hund": "Hund", "steuermarke": "Steuermarke", "zeitraum": "Veranlagungszeitraum"},
     "stork_qaa_level": 3, "bekanntgabe_rule": "ozg9"},
]


def identities() -> list[AuthorityIdentity]:
    return [AuthorityIdentity(a["id"], a["name"], a["organization_identifier"]) for a in AUTHORITIES]


async def populate(session: AsyncSession, now: dt.datetime) -> None:
    names = {a["id"]: a["name"] for a in AUTHORITIES}
    for values in AUTHORITIES:
        await session.merge(Authority(**values, created_at=now))
    await session.flush()
    for values in TEMPLATES:
        closing = _CLOSING.format(authority=names[values["authority_id"]])
        await session.merge(Template(**values, closing=closing, created_at=now))
