"""What the login page shows, in German: the asking service, the trust level in words, the identities grouped as
BundID and Mein Unternehmenskonto group them, the methods with the level each reaches, and why a choice cannot
finish the login (step-up). No HTTP here; ``endpoints.py`` renders it.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from services.nutzerkonto import identities
from services.nutzerkonto.eid import fields as card_fields
from services.nutzerkonto.models import Identity, LoginRequest
from services.nutzerkonto.trust import METHOD_LABEL, METHOD_LEVEL, Level, Method, stork, trust_name

# The form value of the "enter a test person" choice; no identity id can start with an underscore.
NEW_IDENTITY = "_new"

# German labels of the BundID attributes a service may request (attributes.py names).
ATTRIBUTE_LABELS: dict[str, str] = {
    "givenName": "Vorname(n)", "surname": "Familienname", "birthdate": "Geburtsdatum", "birthName": "Geburtsname",
    "placeOfBirth": "Geburtsort", "personalTitle": "Doktorgrad", "gender": "Geschlecht",
    "nationality": "Staatsangehörigkeit", "postalAddress": "Straße und Hausnummer", "postalCode": "Postleitzahl",
    "localityName": "Ort", "country": "Land", "mail": "E-Mail-Adresse", "telephoneNumber": "Telefonnummer",
    "bPK2": "Pseudonym (bPK2)", "legacyPostkorbHandle": "Kennung Ihres Postfachs",
    "eidasIssuingCountry": "Ausstellerstaat der EU-eID", "organizationName": "Name des Unternehmens",
}


def level_text(level: int) -> str:
    """A trust level as citizens read it: "substantiell (STORK-QAA-Level-3)"."""
    return f"{trust_name(Level(level)).lower()} ({stork(Level(level))})"


def method_label(method: Method | str) -> str:
    return METHOD_LABEL[Method(method)]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " oder " + words[-1]


def offered_methods(login: LoginRequest) -> list[Method]:
    """The methods the asking service accepts: all, unless the protocol restricted them (the eID API takes only
    the Online-Ausweis; a SAML request may name ``AllowedMethods``)."""
    allowed = login.protocol_state.get("allowed_methods")
    return [m for m in METHOD_LABEL if allowed is None or str(m) in allowed]


def _reads_card(login: LoginRequest) -> bool:
    return login.protocol == "eid"


def usable_methods(login: LoginRequest, identity: Identity) -> list[Method]:
    """Methods this identity can finish this login with: offered, its own, and strong enough."""
    if _reads_card(login) and not identity.card:
        return []
    return [m for m in offered_methods(login)
            if str(m) in identity.methods and METHOD_LEVEL[m] >= login.min_level]


def explain_refusal(login: LoginRequest, identity: Identity, method: Method) -> str | None:
    """Why this identity and method cannot finish this login, with the way out; None when they can."""
    name = identity.display_name
    stronger = usable_methods(login, identity)
    way_out = (f" Bitte wählen Sie {_join([f'„{method_label(m)}“' for m in stronger])}." if stronger else
               f" {name} hat keine Anmeldemethode, die dafür reicht. Bitte wählen Sie eine andere Identität.")
    if method not in offered_methods(login):
        return f"Der Online-Dienst bietet die Anmeldung mit „{method_label(method)}“ nicht an." + way_out
    if str(method) not in identity.methods:
        own = _join([f"„{method_label(m)}“" for m in METHOD_LABEL if str(m) in identity.methods])
        return f"{name} kann sich nicht mit „{method_label(method)}“ anmelden, nur mit {own}." + way_out
    if METHOD_LEVEL[method] < login.min_level:
        return (f"Der Online-Dienst verlangt das Vertrauensniveau {level_text(login.min_level)}. "
                f"„{method_label(method)}“ erreicht nur {level_text(METHOD_LEVEL[method])}." + way_out)
    if _reads_card(login) and not identity.card:
        return (f"{name} hat keinen Testausweis, von dem der Dienst Daten lesen könnte. "
                "Bitte wählen Sie eine andere Identität.")
    return None


@dataclass
class MethodRow:
    value: str
    label: str
    level: str
    enough: bool
    offered: bool


@dataclass
class IdentityRow:
    id: str
    name: str
    hint: str
    seeded: bool
    card: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Group:
    key: str
    legend: str
    rows: list[IdentityRow]


def method_rows(login: LoginRequest) -> list[MethodRow]:
    offered = offered_methods(login)
    return [MethodRow(str(m), label, level_text(METHOD_LEVEL[m]), METHOD_LEVEL[m] >= login.min_level, m in offered)
            for m, label in METHOD_LABEL.items()]


def weakest(methods: list[Method]) -> Method:
    """The least demanding of several sufficient methods: what a citizen most likely has at hand."""
    return min(methods, key=lambda m: METHOD_LEVEL[m])


def default_method(login: LoginRequest) -> str | None:
    """The method preselected on a fresh page: the weakest one that is offered and reaches the level."""
    enough = [m for m in offered_methods(login) if METHOD_LEVEL[m] >= login.min_level]
    return str(weakest(enough)) if enough else None


def requested_card_fields(login: LoginRequest) -> list[str]:
    return card_fields.card_fields_for(login.requested_attributes)


def requested_labels(login: LoginRequest) -> list[tuple[str, bool]]:
    """The data the service asks for, as (German label, optional) pairs. Optional is only worth saying when the
    request tells required from optional data (SAML RequiredAttribute, eID REQUIRED/ALLOWED); OIDC scopes don't."""
    distinguishes = any(a.get("required") for a in login.requested_attributes)
    rows: list[tuple[str, bool]] = []
    for attribute in login.requested_attributes:
        name = str(attribute.get("name", ""))
        label = ATTRIBUTE_LABELS.get(name) or card_fields.LABELS.get(name) or name
        if name == "AgeVerification" and login.protocol_state.get("age_verification") is not None:
            label += f" (mindestens {login.protocol_state['age_verification']} Jahre)"
        rows.append((label, distinguishes and not attribute.get("required")))
    return rows


def _identity_row(login: LoginRequest, identity: Identity, today: dt.date) -> IdentityRow:
    own = [method_label(m) for m in METHOD_LABEL if str(m) in identity.methods]
    hint = "Anmeldemethoden: " + ", ".join(own) if own else "Keine Anmeldemethode"
    if not usable_methods(login, identity):
        hint += "; keine reicht für diesen Online-Dienst"
    card: list[tuple[str, str]] = []
    if identity.card and str(Method.EID) in identity.methods and Method.EID in offered_methods(login):
        card = card_fields.preview(identity.card, requested_card_fields(login), today=today,
                                   age=login.protocol_state.get("age_verification"),
                                   place=login.protocol_state.get("place_verification"))
    return IdentityRow(identity.id, identity.display_name, hint, identity.seeded, card)


def ordered(people: list[Identity]) -> list[Identity]:
    """Seeded identities in the seed's order (Erika Mustermann first, as BundID's test card), then typed-in ones."""
    rank = {entry["id"]: index for index, entry in enumerate(identities.SEED)}
    return sorted(people, key=lambda i: (rank.get(i.id, len(rank)), i.created_at, i.id))


def default_identity(login: LoginRequest, people: list[Identity]) -> str | None:
    """Preselected on a fresh page: the first identity in page order that can finish this login."""
    shown = [i for kind in ("person", "organisation") for i in ordered(people) if i.kind == kind]
    return next((i.id for i in shown if usable_methods(login, i)), shown[0].id if shown else None)


def identity_groups(login: LoginRequest, people: list[Identity], today: dt.date) -> list[Group]:
    persons = [_identity_row(login, i, today) for i in ordered(people) if i.kind == "person"]
    companies = [_identity_row(login, i, today) for i in ordered(people) if i.kind == "organisation"]
    groups = [Group("buerger", "Bürgerinnen und Bürger", persons),
              Group("unternehmen", "Unternehmen (Mein Unternehmenskonto)", companies)]
    return [g for g in groups if g.rows]


def page_context(login: LoginRequest, people: list[Identity], *, today: dt.date) -> dict[str, Any]:
    return {
        "login": login,
        "required_level": level_text(login.min_level),
        "groups": identity_groups(login, people, today),
        "methods": method_rows(login),
        "requested": requested_labels(login),
        "reads_card": _reads_card(login),
        "new_identity": NEW_IDENTITY,
    }
