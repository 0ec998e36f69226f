"""The BundID attributes as OIDC claims (OpenID Connect Core §5.1, §5.4): which scope releases which claim,
the subject identifier, ``amr`` values (RFC 8176), and the trust level of each released claim.

``sub`` is the identity's bPK2, the stable pseudonym BundID hands every relying party, so a service that
speaks both SAML and OIDC sees the same person under the same identifier (``subject_types_supported: public``).
"""

from typing import Any

from services.nutzerkonto.attributes import ADDRESS_PARTS, ATTRIBUTES, SELF_DECLARED
from services.nutzerkonto.models import Identity
from services.nutzerkonto.trust import SELF_DECLARED_TRUST, Level, Method, trust_name

# RFC 8176 method references: a password; a software key (ELSTER certificate file) with its PIN; the ID card
# (a hardware-secured key) with its PIN; a notified foreign eID, also a card-bound key.
AMR: dict[Method, list[str]] = {
    Method.BENUTZERNAME: ["pwd"],
    Method.ELSTER: ["swk", "pin"],
    Method.EID: ["hwk", "pin"],
    Method.EIDAS: ["hwk"],
}

# Claims about a company (Mein Unternehmenskonto); not in attributes.ATTRIBUTES because SAML does not name them.
_ORGANISATION_CLAIMS = (("organizationName", "organization_name", "profile"),
                        ("organizationPseudonym", "organization_pseudonym", "bundid"))



def _scope_claims() -> dict[str, list[str]]:
    """Scope → claims it releases, for discovery (``claims_supported``) and the docs."""
    by_scope: dict[str, list[str]] = {"openid": ["sub"]}
    for attribute in ATTRIBUTES:
        by_scope.setdefault(attribute.scope, []).append(attribute.claim or "address")
    for _, claim, scope in _ORGANISATION_CLAIMS:
        by_scope[scope].append(claim)
    by_scope["profile"].append("name")
    by_scope["email"].append("email_verified")
    by_scope["phone"].append("phone_number_verified")
    return {scope: list(dict.fromkeys(claims)) for scope, claims in by_scope.items()}


SCOPE_CLAIMS = _scope_claims()
SUPPORTED_CLAIMS = sorted({c for claims in SCOPE_CLAIMS.values() for c in claims}
                          | {"iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid",
                             "at_hash", "trust_levels"})


def subject(identity: Identity) -> str:
    return str(identity.attributes["bPK2"])


def requested_attribute_names(scopes: list[str]) -> list[str]:
    """The BundID attributes the granted scopes release: what the login page shows as requested."""
    return [a.name for a in ATTRIBUTES if a.scope in scopes]


def _trust(attribute: str, level: Level) -> str:
    return SELF_DECLARED_TRUST if attribute in SELF_DECLARED else trust_name(level)


def userinfo(identity: Identity, scopes: list[str], level: Level) -> dict[str, Any]:
    """Claims for the granted scopes, and ``trust_levels``: the akdb:TrustLevel of each released claim, as the
    SAML assertion carries it on each attribute (self-declared contact data is never better than UNTERGEORDNET)."""
    values = identity.attributes
    claims: dict[str, Any] = {"sub": subject(identity)}
    trust: dict[str, str] = {}
    address: dict[str, str] = {}
    for attribute in ATTRIBUTES:
        value = values.get(attribute.name)
        if attribute.scope not in scopes or value in (None, ""):
            continue
        if attribute.claim is None:  # composed into the OIDC address claim (Core §5.1.1)
            address[ADDRESS_PARTS[attribute.name]] = str(value)
            trust["address"] = _trust(attribute.name, level)
            continue
        claims[attribute.claim] = value
        trust[attribute.claim] = _trust(attribute.name, level)
    for name, claim, scope in _ORGANISATION_CLAIMS:
        if scope in scopes and values.get(name):
            claims[claim] = values[name]
            trust[claim] = trust_name(level)
    if address:
        street = address.get("street_address", "")
        town = " ".join(p for p in (address.get("postal_code"), address.get("locality")) if p)
        address["formatted"] = "\n".join(p for p in (street, town, address.get("country", "")) if p)
        claims["address"] = address
    if "profile" in scopes:
        name = " ".join(str(values[n]) for n in ("givenName", "surname") if values.get(n))
        claims["name"] = name or values.get("organizationName") or identity.display_name
    if "email" in claims:
        claims["email_verified"] = False  # typed in by the citizen; BundID does not verify it
    if "phone_number" in claims:
        claims["phone_number_verified"] = False
    if len(claims) > 1:
        claims["trust_levels"] = trust
    return claims
