"""The BundID attributes: their OIDs and FriendlyNames in SAML, and their names as OIDC claims.

OIDs from the BundID simulator's field definitions; claim names are the standard OIDC ones where they exist
(OpenID Connect Core §5.1), otherwise the attribute's BundID name in snake case.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Attribute:
    name: str  # our key in Identity.attributes, and the SAML FriendlyName unless ``friendly`` says otherwise
    oid: str
    claim: str | None  # OIDC claim name; None when the attribute is composed into another claim (address)
    scope: str  # OIDC scope that releases it
    friendly: str | None = None  # the SAML FriendlyName where BundID spells it differently from ``name``


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("givenName", "urn:oid:2.5.4.42", "given_name", "profile"),
    Attribute("surname", "urn:oid:2.5.4.4", "family_name", "profile"),
    Attribute("birthdate", "urn:oid:1.2.40.0.10.2.1.1.55", "birthdate", "profile"),
    Attribute("birthName", "urn:oid:1.2.40.0.10.2.1.1.225566", "birth_name", "profile"),
    Attribute("placeOfBirth", "urn:oid:1.3.6.1.5.5.7.9.2", "place_of_birth", "profile"),
    Attribute("personalTitle", "urn:oid:0.9.2342.19200300.100.1.40", "personal_title", "profile"),
    Attribute("gender", "urn:oid:1.3.6.1.4.1.33592.1.3.5", "gender", "profile"),
    Attribute("nationality", "urn:oid:1.2.40.0.10.2.1.1.225577", "nationality", "profile"),
    Attribute("postalAddress", "urn:oid:2.5.4.16", None, "address"),
    Attribute("postalCode", "urn:oid:2.5.4.17", None, "address"),
    Attribute("localityName", "urn:oid:2.5.4.7", None, "address"),
    Attribute("country", "urn:oid:1.2.40.0.10.2.1.1.225599", None, "address", friendly="Country"),
    Attribute("mail", "urn:oid:0.9.2342.19200300.100.1.3", "email", "email"),
    Attribute("telephoneNumber", "urn:oid:2.5.4.20", "phone_number", "phone"),
    Attribute("bPK2", "urn:oid:1.3.6.1.4.1.25484.494450.3", "bpk2", "bundid"),
    Attribute("legacyPostkorbHandle", "urn:oid:2.5.4.18", "postkorb_handle", "bundid"),
    Attribute("eidasIssuingCountry", "urn:oid:1.3.6.1.4.1.25484.494450.10.1", "eidas_issuing_country", "bundid",
              friendly="eIDAS-Issuing-Country"),
)

# Attributes that describe the login itself, computed per login rather than stored with the identity.
QAA_LEVEL_OID = "urn:oid:1.2.40.0.10.2.1.1.261.94"  # EID-CITIZEN-QAA-LEVEL
ASSERTION_PROVED_BY_OID = "urn:oid:1.3.6.1.4.1.25484.494450.2"  # AssertionProvedBy: the login method
VERSION_OID = "urn:oid:1.3.6.1.4.1.25484.494450.1"

# Contact data the citizen typed in themselves: never better than self-declared, whatever the login.
SELF_DECLARED = frozenset({"mail", "telephoneNumber"})

# Attributes whose akdb:TrustLevel does not follow the login's level (BundID simulator field_definitions.yml):
# they win over SELF_DECLARED. All others carry the trust name of the level the login reached.
FIXED_TRUST = {"mail": "NORMAL", "personalTitle": "NORMAL", "gender": "UNTERGEORDNET",
               "telephoneNumber": "UNTERGEORDNET", "bPK2": "NORMAL"}
# The login attributes (QAA level, AssertionProvedBy, Version) carry this one.
LOGIN_ATTRIBUTE_TRUST = "NORMAL"

BY_NAME = {a.name: a for a in ATTRIBUTES}
BY_OID = {a.oid: a for a in ATTRIBUTES}
ADDRESS_PARTS = {"postalAddress": "street_address", "postalCode": "postal_code", "localityName": "locality",
                 "country": "country"}


def friendly_name(attribute: Attribute) -> str:
    return attribute.friendly or attribute.name
