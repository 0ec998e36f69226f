"""The test identities: seeded citizens and a company, and the rules that keep their pseudonyms stable.

bPK2 and postkorb handle are derived from the identity's id, so they are the same on every machine, after every
reset and in every test run: the Postfach and online services may store them, as they store BundID's.
"""

import base64
import datetime as dt
import hashlib
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.nutzerkonto.models import Identity
from services.nutzerkonto.trust import Method

_POSTKORB_NAMESPACE = uuid.UUID("6f1c8f4e-2b7a-5e3d-9a41-0c2d6b8e7f10")
TEST_PASSWORD = "test"  # noqa: S105 - the published password of every seeded test identity


def bpk2_for(identity_id: str) -> str:
    """A stable bPK2-like pseudonym (base64 of 32 bytes, like the sector-specific identifiers it imitates)."""
    return base64.b64encode(hashlib.sha256(f"basisdienste:bpk2:{identity_id}".encode()).digest()).decode()


def postkorb_handle_for(identity_id: str) -> str:
    return str(uuid.uuid5(_POSTKORB_NAMESPACE, identity_id))


def card_data(given: str, family: str, born: str, place: str, street: str, zip_code: str, city: str, *,
              birth_name: str = "", nationality: str = "D", issuing_state: str = "D", document_type: str = "ID",
              doctoral_degree: str = "", artistic_name: str = "") -> dict[str, Any]:
    """Card data as the eID-Server returns it (BSI TR-03130 field names)."""
    return {
        "GivenNames": given, "FamilyNames": family, "BirthName": birth_name, "DateOfBirth": born,
        "PlaceOfBirth": place, "PlaceOfResidence": {"Street": street, "City": city, "ZipCode": zip_code,
                                                    "Country": "D"},
        "Nationality": nationality, "IssuingState": issuing_state, "DocumentType": document_type,
        "DoctoralDegree": doctoral_degree, "ArtisticName": artistic_name,
    }


# "country" is ISO 3166-1 alpha-2 as BundID sends it ("DE"); "nationality" is the card's ICAO code ("D").
SEED: tuple[dict[str, Any], ...] = (
    {   # The standard test card (PersoSim DefaultPersoTestPkiTemplate01).
        "id": "erika-mustermann", "kind": "person", "display_name": "Erika Mustermann", "username": "erika",
        "methods": [Method.EID, Method.ELSTER, Method.BENUTZERNAME],
        "attributes": {"givenName": "Erika", "surname": "Mustermann", "birthName": "Gabler",
                       "birthdate": "1964-08-12", "placeOfBirth": "Berlin", "gender": "2", "nationality": "D",
                       "postalAddress": "Heidestraße 17", "postalCode": "51147", "localityName": "Köln",
                       "country": "DE", "mail": "erika.mustermann@example.org", "telephoneNumber": "+49 221 4711"},
        "card": card_data("ERIKA", "MUSTERMANN", "19640812", "BERLIN", "HEIDESTRASSE 17", "51147", "KÖLN",
                          birth_name="GABLER"),
    },
    {   # A citizen of Koblenz, for the Land's own services (Bewohnerparkausweis, Hundesteuer).
        "id": "max-mustermann", "kind": "person", "display_name": "Max Mustermann", "username": "max",
        "methods": [Method.EID, Method.ELSTER, Method.BENUTZERNAME],
        "attributes": {"givenName": "Max", "surname": "Mustermann", "birthdate": "1985-02-17",
                       "placeOfBirth": "Koblenz", "gender": "1", "nationality": "D",
                       "postalAddress": "Clemensstraße 1", "postalCode": "56068", "localityName": "Koblenz",
                       "country": "DE", "mail": "max.mustermann@example.org"},
        "card": card_data("MAX", "MUSTERMANN", "19850217", "KOBLENZ", "CLEMENSSTRASSE 1", "56068", "KOBLENZ"),
    },
    {   # A minor: online services must not let her apply where the law asks for full age.
        "id": "lena-mustermann", "kind": "person", "display_name": "Lena Mustermann (minderjährig)",
        "username": "lena", "methods": [Method.EID, Method.BENUTZERNAME],
        "attributes": {"givenName": "Lena", "surname": "Mustermann", "birthdate": "2011-06-03",
                       "placeOfBirth": "Koblenz", "gender": "2", "nationality": "D",
                       "postalAddress": "Clemensstraße 1", "postalCode": "56068", "localityName": "Koblenz",
                       "country": "DE"},
        "card": card_data("LENA", "MUSTERMANN", "20110603", "KOBLENZ", "CLEMENSSTRASSE 1", "56068", "KOBLENZ"),
    },
    {   # A foreign EU citizen: only a notified eID from her own state (eIDAS), no German card, no ELSTER.
        "id": "elodie-martin", "kind": "person", "display_name": "Élodie Martin (FR, eIDAS)", "username": "elodie",
        "methods": [Method.EIDAS],
        "attributes": {"givenName": "Élodie", "surname": "Martin", "birthdate": "1990-11-23",
                       "placeOfBirth": "Lyon", "nationality": "FR", "eidasIssuingCountry": "FR",
                       "postalAddress": "Rue de la République 12", "postalCode": "69002", "localityName": "Lyon",
                       "country": "FR"},
        "card": None,
    },
    {   # A company (Mein Unternehmenskonto): logs in with an ELSTER organisation certificate.
        "id": "musterbau-gmbh", "kind": "organisation", "display_name": "Musterbau GmbH (Unternehmenskonto)",
        "username": "musterbau", "methods": [Method.ELSTER],
        "attributes": {"organizationName": "Musterbau GmbH", "postalAddress": "Rheinstraße 20",
                       "postalCode": "56068", "localityName": "Koblenz", "country": "DE",
                       "mail": "kontakt@musterbau.example"},
        "card": None,
    },
)


def with_pseudonyms(identity_id: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {**attributes, "bPK2": bpk2_for(identity_id), "legacyPostkorbHandle": postkorb_handle_for(identity_id)}


def organisation_pseudonym(identity_id: str) -> str:
    return bpk2_for(f"organisation:{identity_id}")


async def populate(session: AsyncSession, now: dt.datetime) -> None:
    """Insert the seeded identities that are missing (idempotent)."""
    existing = set((await session.scalars(select(Identity.id))).all())
    for entry in SEED:
        if entry["id"] in existing:
            continue
        attributes = with_pseudonyms(entry["id"], entry["attributes"])
        if entry["kind"] == "organisation":
            attributes["organizationPseudonym"] = organisation_pseudonym(entry["id"])
        session.add(Identity(
            id=entry["id"], kind=entry["kind"], display_name=entry["display_name"], username=entry["username"],
            password=TEST_PASSWORD, methods=[str(m) for m in entry["methods"]], attributes=attributes,
            card=entry["card"], seeded=True, created_at=now, updated_at=now,
        ))


async def list_identities(session: AsyncSession) -> list[Identity]:
    return list((await session.scalars(select(Identity).order_by(Identity.seeded.desc(), Identity.id))).all())


async def get_identity(session: AsyncSession, identity_id: str) -> Identity | None:
    return await session.get(Identity, identity_id)


def describe(identity: Identity) -> dict[str, Any]:
    """An identity as the seed listing and the controls show it (test credentials included on purpose)."""
    return {"id": identity.id, "kind": identity.kind, "display_name": identity.display_name,
            "username": identity.username, "password": identity.password, "methods": identity.methods,
            "attributes": identity.attributes, "card": identity.card, "seeded": identity.seeded}
