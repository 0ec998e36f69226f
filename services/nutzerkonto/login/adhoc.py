"""Test persons typed in on the login page ("eigene Testperson eingeben"): name, birth date and address become an
identity with every login method and a test card made from the same data, so a developer can try any protocol and
level with the person their test case needs. They live until the next reset, like identities made by the controls.
"""

import datetime as dt
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from services.nutzerkonto import identities
from services.nutzerkonto.models import Identity
from services.nutzerkonto.trust import Method


@dataclass(frozen=True)
class FormField:
    name: str  # the form field's name, and its element id on the page
    label: str
    autocomplete: str  # WCAG 1.3.5: browsers and assistive tools may fill in the person's own data
    max_length: int
    missing: str  # the German error when it is empty


FIELDS: tuple[FormField, ...] = (
    FormField("new_given_name", "Vorname(n)", "given-name", 100, "Bitte geben Sie einen Vornamen ein."),
    FormField("new_surname", "Familienname", "family-name", 100, "Bitte geben Sie einen Familiennamen ein."),
    FormField("new_birthdate", "Geburtsdatum", "bday", 10, "Bitte geben Sie das Geburtsdatum ein."),
    FormField("new_street", "Straße und Hausnummer", "street-address", 200,
              "Bitte geben Sie Straße und Hausnummer ein."),
    FormField("new_postal_code", "Postleitzahl", "postal-code", 5, "Bitte geben Sie die Postleitzahl ein."),
    FormField("new_locality", "Wohnort", "address-level2", 100, "Bitte geben Sie den Wohnort ein."),
)
_BY_NAME = {f.name: f for f in FIELDS}
_EARLIEST_BIRTH = dt.date(1900, 1, 1)
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def _parse_date(text: str) -> dt.date | None:
    # type=date sends ISO dates; a browser without a date picker lets people type the German form.
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class NewPerson:
    given_name: str
    surname: str
    birthdate: dt.date
    street: str
    postal_code: str
    locality: str


def parse(form: Mapping[str, str], today: dt.date) -> tuple[dict[str, str], dict[str, str], NewPerson | None]:
    """The entered values (to show again), German errors by field name, and the person when all is valid."""
    values = {f.name: str(form.get(f.name, "")).strip() for f in FIELDS}
    errors: dict[str, str] = {}
    for f in FIELDS:
        if not values[f.name]:
            errors[f.name] = f.missing
        elif len(values[f.name]) > f.max_length:
            errors[f.name] = f"{f.label}: höchstens {f.max_length} Zeichen."
    born = _parse_date(values["new_birthdate"]) if values["new_birthdate"] else None
    if values["new_birthdate"] and "new_birthdate" not in errors:
        if born is None:
            errors["new_birthdate"] = "Bitte geben Sie das Geburtsdatum als TT.MM.JJJJ ein, zum Beispiel 12.08.1964."
        elif born > today:
            errors["new_birthdate"] = "Das Geburtsdatum darf nicht in der Zukunft liegen."
        elif born < _EARLIEST_BIRTH:
            errors["new_birthdate"] = "Bitte geben Sie ein Geburtsdatum ab dem 01.01.1900 ein."
    if values["new_postal_code"] and not re.fullmatch(r"\d{5}", values["new_postal_code"]):
        errors["new_postal_code"] = "Die Postleitzahl hat fünf Ziffern, zum Beispiel 56068."
    if errors or born is None:
        return values, errors, None
    return values, errors, NewPerson(values["new_given_name"], values["new_surname"], born, values["new_street"],
                                     values["new_postal_code"], values["new_locality"])


def label_of(field_name: str) -> str:
    return _BY_NAME[field_name].label


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.translate(_UMLAUTS)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-") or "testperson"


def build_identity(person: NewPerson, now: dt.datetime) -> Identity:
    """The identity for a typed-in person, not yet added to a session (the login may still be refused)."""
    # A random suffix: two developers may well type in the same name, and the id must stay unique.
    identity_id = f"{_slug(f'{person.given_name} {person.surname}')}-{secrets.token_hex(3)}"
    # The form asks for what a developer varies; the rest is what a German ID card holder has.
    attributes = {"givenName": person.given_name, "surname": person.surname,
                  "birthdate": person.birthdate.isoformat(), "nationality": "D", "postalAddress": person.street,
                  "postalCode": person.postal_code, "localityName": person.locality, "country": "DE"}
    card = identities.card_data(person.given_name.upper(), person.surname.upper(),
                                person.birthdate.strftime("%Y%m%d"), "", person.street.upper(), person.postal_code,
                                person.locality.upper())
    return Identity(
        id=identity_id, kind="person", display_name=f"{person.given_name} {person.surname}", username=identity_id,
        password=identities.TEST_PASSWORD, methods=[str(m) for m in Method],
        attributes=identities.with_pseudonyms(identity_id, attributes), card=card, seeded=False,
        created_at=now, updated_at=now,
    )
