"""The data fields of the German ID card as an eID-Server delivers them (BSI TR-03130 ``getResult``), read from
a test card: personal data, the restricted ID (pseudonym), age and place verification.

Field names and result shapes follow TR-03130 (``PersonalData`` with ``GeneralDateType`` and ``GeneralPlaceType``
values); the card dicts are the ones ``identities.py`` seeds. Labels are the German ones AusweisApp shows.
"""

import datetime as dt
import hashlib
from typing import Any

# TR-03130 operation name → the German label AusweisApp shows when it asks the citizen to release it.
LABELS: dict[str, str] = {
    "DocumentType": "Dokumentart",
    "IssuingState": "Ausstellender Staat",
    "GivenNames": "Vorname(n)",
    "FamilyNames": "Familienname",
    "ArtisticName": "Ordens- oder Künstlername",
    "AcademicTitle": "Doktorgrad",
    "DateOfBirth": "Geburtsdatum",
    "PlaceOfBirth": "Geburtsort",
    "Nationality": "Staatsangehörigkeit",
    "BirthName": "Geburtsname",
    "PlaceOfResidence": "Anschrift",
    "CommunityID": "Gemeindeschlüssel",
    "RestrictedID": "Pseudonym",
    "AgeVerification": "Altersbestätigung",
    "PlaceVerification": "Wohnortbestätigung",
}
PERSONAL_DATA = tuple(name for name in LABELS if name not in ("AgeVerification", "PlaceVerification"))
OPERATIONS = tuple(LABELS)

# The seeded cards keep the doctoral degree under the name the card's data group has; TR-03130 says AcademicTitle.
_CARD_KEY = {"AcademicTitle": "DoctoralDegree"}

# BundID attribute names (attributes.py) that the Online-Ausweis supplies, and the card field each comes from.
FROM_BUNDID: dict[str, str] = {
    "givenName": "GivenNames", "surname": "FamilyNames", "birthName": "BirthName", "birthdate": "DateOfBirth",
    "placeOfBirth": "PlaceOfBirth", "nationality": "Nationality", "personalTitle": "AcademicTitle",
    "postalAddress": "PlaceOfResidence", "postalCode": "PlaceOfResidence", "localityName": "PlaceOfResidence",
    "country": "PlaceOfResidence", "bPK2": "RestrictedID",
}

# Amtliche Gemeindeschlüssel of the places the test cards live in. The card stores the CommunityID as
# "0276" (Germany) followed by the AGS; that layout is an inference from TR-03127, good enough for prefix checks.
_AGS = {"KÖLN": "05315000", "KOELN": "05315000", "KOBLENZ": "07111000", "MAINZ": "07315000", "TRIER": "07211000",
        "LUDWIGSHAFEN AM RHEIN": "07314000", "KAISERSLAUTERN": "07312000", "BERLIN": "11000000"}


def _card_value(card: dict[str, Any], name: str) -> Any:
    return card.get(_CARD_KEY.get(name, name))


def community_id(card: dict[str, Any]) -> str | None:
    """The card's CommunityID: given on the card, or derived from the place of residence when we know it."""
    if card.get("CommunityID"):
        return str(card["CommunityID"])
    residence = card.get("PlaceOfResidence") or {}
    ags = _AGS.get(str(residence.get("City", "")).upper())
    return f"0276{ags}" if ags else None


def birth_date(card: dict[str, Any]) -> dt.date | None:
    value = str(card.get("DateOfBirth") or "")
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None


def age_on(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def restricted_id(identity_id: str, service: str) -> str:
    """The pseudonym: the same for one card at one service, unrelated across services (like the sector ID)."""
    return hashlib.sha256(f"basisdienste:restricted-id:{identity_id}:{service}".encode()).hexdigest().upper()


def _general_value(name: str, value: Any) -> Any:
    """Card values in the shape TR-03130 gives them in ``PersonalData``."""
    if name == "DateOfBirth":
        text = str(value)
        return {"DateString": text, "DateValue": f"{text[:4]}-{text[4:6]}-{text[6:8]}"}
    if name == "PlaceOfBirth":
        return {"FreetextPlace": value}
    if name == "PlaceOfResidence":
        return {"StructuredPlace": {key: value[key] for key in ("Street", "City", "ZipCode", "Country")
                                    if value.get(key)}}
    return value


def personal_data(card: dict[str, Any], requested: list[str], *, identity_id: str,
                  service: str) -> dict[str, Any]:
    """The requested personal data of a card; fields the card leaves empty are absent, as from a real chip."""
    data: dict[str, Any] = {}
    for name in requested:
        if name not in PERSONAL_DATA:
            continue
        if name == "RestrictedID":
            data[name] = {"ID": restricted_id(identity_id, service)}
        elif name == "CommunityID":
            if (found := community_id(card)) is not None:
                data[name] = found
        elif value := _card_value(card, name):
            data[name] = _general_value(name, value)
    return data


def fulfils_age(card: dict[str, Any], age: int, today: dt.date) -> bool:
    born = birth_date(card)
    return born is not None and age_on(born, today) >= age


def fulfils_place(card: dict[str, Any], wanted: str) -> bool:
    """Place verification: the card's CommunityID starts with the requested one (Land, Kreis or Gemeinde)."""
    found = community_id(card)
    return found is not None and found.startswith(wanted)


def _display(name: str, value: Any) -> str:
    if name == "DateOfBirth":
        text = str(value)
        return f"{text[6:8]}.{text[4:6]}.{text[:4]}" if len(text) == 8 else text
    if name == "PlaceOfResidence":
        return ", ".join(p for p in (value.get("Street"), f"{value.get('ZipCode', '')} {value.get('City', '')}".strip(),
                                     value.get("Country")) if p)
    return str(value)


def preview(card: dict[str, Any], requested: list[str], *, today: dt.date, age: int | None = None,
            place: str | None = None) -> list[tuple[str, str]]:
    """(label, value) rows of what the card would release, in German, for the login page."""
    rows: list[tuple[str, str]] = []
    for name in dict.fromkeys(requested):
        label = LABELS.get(name, name)
        if name == "RestrictedID":
            rows.append((label, "ein Kennzeichen nur für diesen Dienst"))
        elif name == "AgeVerification" and age is not None:
            answer = "ja" if fulfils_age(card, age, today) else "nein"
            rows.append((label, f"mindestens {age} Jahre alt: {answer}"))
        elif name == "PlaceVerification" and place is not None:
            rows.append((label, f"wohnhaft im Gebiet {place}: {'ja' if fulfils_place(card, place) else 'nein'}"))
        elif name == "CommunityID":
            rows.append((label, community_id(card) or "nicht auf dem Ausweis"))
        elif name in PERSONAL_DATA:
            value = _card_value(card, name)
            rows.append((label, _display(name, value) if value else "nicht auf dem Ausweis"))
    return rows


def card_fields_for(requested_attributes: list[dict[str, Any]]) -> list[str]:
    """The card fields a login asks for: TR-03130 names as given, BundID attribute names translated; an empty
    request (the protocol's default set) shows the personal data a BundID login reads."""
    names = [str(a.get("name", "")) for a in requested_attributes]
    if not names:
        return ["GivenNames", "FamilyNames", "BirthName", "DateOfBirth", "PlaceOfBirth", "PlaceOfResidence",
                "Nationality"]
    fields = [n if n in LABELS else FROM_BUNDID.get(n, "") for n in names]
    return [f for f in dict.fromkeys(fields) if f]
