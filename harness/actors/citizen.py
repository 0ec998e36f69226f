"""A citizen (or a company's employee) logging in at the Nutzerkonto through its real login page, for a relying
party that speaks OpenID Connect (authorization code with PKCE) or SAML 2.0 (HTTP-Redirect request, HTTP-POST
answer), as a browser would: everything the actor knows comes from the pages and the published metadata.

The person is a seeded identity (``"erika-mustermann"``, see ``/_emulator/seed``) or one typed in on the page
(:class:`Person`); the trust level picks the login method the page offers for it (STORK-QAA-Level 1: user name and
password, 3: ELSTER, 4: Online-Ausweis).
"""

import base64
import datetime as dt
import hashlib
import re
import secrets
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
from lxml import etree

from harness.actors.browser import Browser, Page, PageError
from harness.actors.clock import suite_now

NUTZERKONTO = "/nutzerkonto"
SAML_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML_ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"
SAML_METADATA = "urn:oasis:names:tc:SAML:2.0:metadata"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
# The seeded public client of an online application form (``/_emulator/seed``: nutzerkonto clients).
ONLINE_FORM_CLIENT = "demo-onlineantrag"
ONLINE_FORM_CALLBACK = "http://localhost:5173/callback"


@dataclass(frozen=True)
class Person:
    """A test person typed in on the login page ("Eigene Testperson eingeben"); lives until the next reset."""

    given_name: str
    surname: str
    birthdate: dt.date
    street: str = "Heidestraße 17"
    postal_code: str = "56068"
    locality: str = "Koblenz"

    def fields(self) -> dict[str, str]:
        return {"new_given_name": self.given_name, "new_surname": self.surname,
                "new_birthdate": self.birthdate.strftime("%d.%m.%Y"), "new_street": self.street,
                "new_postal_code": self.postal_code, "new_locality": self.locality}


@dataclass
class Tokens:
    """What the relying party holds after the code exchange; ``id_claims`` are read, not verified (verify them
    with the JWKS if your test is about that)."""

    access_token: str
    id_token: str | None
    refresh_token: str | None
    expires_in: int
    scope: str
    id_claims: dict[str, Any] = field(default_factory=dict)

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def fill_login_page(page: Page, identity: "str | Person", level: int | None, method: str | None) -> dict[str, str]:
    """The login form's fields for this person at this level, chosen from what the page offers."""
    identities = page.choices("identity")
    if not identities:
        raise PageError(f"{page.url}: not a login page ({page.message()})")
    if isinstance(identity, Person):
        new = next((c for c in identities if "Eigene Testperson" in c.label), None)
        if new is None:
            raise PageError(f"{page.url}: the page offers no own test person")
        fields = {"identity": new.value, **identity.fields()}
    else:
        if identity not in {c.value for c in identities}:
            raise PageError(f"{page.url}: no identity {identity!r} on the page; offered: "
                            f"{', '.join(c.value for c in identities)}")
        fields = {"identity": identity}
    methods = [c for c in page.choices("method") if not c.disabled]
    if method is None:
        reaching = [(m, _level_of(m.hint)) for m in methods]
        wanted = [m for m, reached in reaching if level is None or reached == level]
        if not wanted:
            raise PageError(f"{page.url}: no login method reaches STORK-QAA-Level-{level}; offered: "
                            + ", ".join(f"{m.label} ({m.hint})" for m in methods))
        method = wanted[0].value
    return {**fields, "method": method, "action": "login"}


def _level_of(hint: str) -> int:
    found = re.search(r"STORK-QAA-Level-(\d)", hint)
    return int(found.group(1)) if found else 0


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def oidc_login(http: httpx.Client, *, identity: "str | Person" = "erika-mustermann", level: int | None = None,
               method: str | None = None, client_id: str = ONLINE_FORM_CLIENT,
               redirect_uri: str = ONLINE_FORM_CALLBACK, client_secret: str | None = None,
               scope: str = "openid profile", resource: str | list[str] | None = None,
               acr_values: str | None = None) -> Tokens:
    """Log in through the authorization code flow with PKCE (RFC 7636, S256), as a relying party and a browser
    would: discovery, the authorization request, the login page, the code at ``redirect_uri``, the token request
    (HTTP Basic with ``client_secret``, else a public client)."""
    discovery = http.get(f"{NUTZERKONTO}/.well-known/openid-configuration")
    discovery.raise_for_status()
    endpoints = discovery.json()
    verifier, challenge = _pkce()
    state = secrets.token_urlsafe(12)
    params: dict[str, Any] = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
                              "scope": scope, "state": state, "nonce": secrets.token_urlsafe(12),
                              "code_challenge": challenge, "code_challenge_method": "S256"}
    if resource:
        params["resource"] = resource
    if acr_values:
        params["acr_values"] = acr_values
    browser = Browser(http)
    page = browser.open(str(httpx.URL(endpoints["authorization_endpoint"], params=params)))
    if not page.url.startswith(redirect_uri):
        page = browser.submit(page, fill_login_page(page, identity, level, method))
    if not page.url.startswith(redirect_uri):
        raise PageError(f"the login did not return to {redirect_uri}: {page.status_code} {page.message()}")
    back = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    if "error" in back:
        raise PageError(f"the login ended with {back['error']}: {back.get('error_description', '')}")
    if back.get("state") != state:
        raise PageError("the state came back changed")
    data = {"grant_type": "authorization_code", "code": back["code"], "redirect_uri": redirect_uri,
            "code_verifier": verifier}
    auth = (client_id, client_secret) if client_secret else None
    if auth is None:
        data["client_id"] = client_id
    answer = http.post(endpoints["token_endpoint"], data=data, auth=auth)
    if answer.status_code != 200:
        raise PageError(f"token request refused: {answer.status_code} {answer.text[:300]}")
    body = answer.json()
    id_token = body.get("id_token")
    claims = jwt.decode(id_token, options={"verify_signature": False}) if id_token else {}
    return Tokens(body["access_token"], id_token, body.get("refresh_token"), int(body.get("expires_in", 0)),
                  body.get("scope", scope), claims)


@dataclass
class SamlAnswer:
    """The IdP's answer as it reached the SP's ACS: the raw SAMLResponse (base64, as posted), the decoded XML, and
    the attributes read from it (unverified: check the signature with your SP library if the test is about it)."""

    acs_url: str
    saml_response: str
    relay_state: str | None
    xml: bytes
    status: str
    attributes: dict[str, list[str]]
    name_id: str | None


@dataclass
class ServiceProvider:
    """A SAML SP registered at the Nutzerkonto by uploading its metadata (as in BundID's self-service portal).
    It does not sign its requests (``AuthnRequestsSigned="false"``) and takes unencrypted assertions."""

    entity_id: str
    acs_url: str

    def metadata(self) -> bytes:
        return (f'<md:EntityDescriptor xmlns:md="{SAML_METADATA}" entityID="{self.entity_id}">'
                f'<md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" '
                f'protocolSupportEnumeration="{SAML_PROTOCOL}">'
                f'<md:AssertionConsumerService Binding="{BINDING_POST}" Location="{self.acs_url}" index="0" '
                f'isDefault="true"/></md:SPSSODescriptor></md:EntityDescriptor>').encode()

    def register(self, http: httpx.Client) -> "ServiceProvider":
        """Upload the metadata through the emulator control (an SP's one-time registration)."""
        answer = http.post("/_emulator/nutzerkonto/service-providers", content=self.metadata(),
                           headers={"Content-Type": "application/samlmetadata+xml"})
        if answer.status_code not in (200, 201):
            raise PageError(f"SP registration refused: {answer.status_code} {answer.text[:300]}")
        return self

    def authn_request(self, destination: str, level: int | None, now: dt.datetime) -> str:
        requested = ""
        if level is not None:
            requested = (f'<samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>'
                         f"STORK-QAA-Level-{level}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>")
        return (f'<samlp:AuthnRequest xmlns:samlp="{SAML_PROTOCOL}" xmlns:saml="{SAML_ASSERTION}" '
                f'ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{now:%Y-%m-%dT%H:%M:%SZ}" '
                f'Destination="{destination}" '
                f'ProtocolBinding="{BINDING_POST}" AssertionConsumerServiceURL="{self.acs_url}">'
                f"<saml:Issuer>{self.entity_id}</saml:Issuer>{requested}</samlp:AuthnRequest>")


def saml_login(http: httpx.Client, sp: ServiceProvider, *, identity: "str | Person" = "erika-mustermann",
               level: int | None = None, method: str | None = None, relay_state: str | None = None) -> SamlAnswer:
    """Log in through SAML 2.0 Web SSO: the IdP's metadata names its HTTP-Redirect endpoint, the AuthnRequest goes
    there DEFLATEd (Bindings §3.4.4.1), the login page is filled in, and the self-submitting form the IdP answers
    with is read as the browser would post it to the ACS."""
    metadata = http.get(f"{NUTZERKONTO}/saml/metadata")
    metadata.raise_for_status()
    root = etree.fromstring(metadata.content, etree.XMLParser(resolve_entities=False, no_network=True))
    [sso] = root.xpath("//md:IDPSSODescriptor/md:SingleSignOnService[@Binding=$b]/@Location",
                       namespaces={"md": SAML_METADATA}, b=BINDING_REDIRECT)
    request = sp.authn_request(sso, level, suite_now(http))
    deflated = zlib.compress(request.encode())[2:-4]  # raw DEFLATE: no zlib header, no checksum
    params = {"SAMLRequest": base64.b64encode(deflated).decode()}
    if relay_state:
        params["RelayState"] = relay_state
    browser = Browser(http)
    page = browser.open(str(httpx.URL(sso, params=params)))
    if page.choices("identity"):
        page = browser.submit(page, fill_login_page(page, identity, level, method))
    fields = page.hidden_fields()
    if "SAMLResponse" not in fields:
        raise PageError(f"no SAMLResponse for the ACS: {page.status_code} {page.message()}")
    xml = base64.b64decode(fields["SAMLResponse"])
    answer = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    ns = {"samlp": SAML_PROTOCOL, "saml": SAML_ASSERTION}
    attributes: dict[str, list[str]] = {}
    for attribute in answer.xpath("//saml:Assertion//saml:Attribute", namespaces=ns):
        values = [v.text or "" for v in attribute.xpath("saml:AttributeValue", namespaces=ns)]
        attributes[attribute.get("FriendlyName") or attribute.get("Name")] = values
    name_ids = answer.xpath("//saml:Assertion/saml:Subject/saml:NameID/text()", namespaces=ns)
    [status] = answer.xpath("/samlp:Response/samlp:Status/samlp:StatusCode/@Value", namespaces=ns)
    return SamlAnswer(page.form_action(), fields["SAMLResponse"], fields.get("RelayState"), xml, status,
                      attributes, name_ids[0] if name_ids else None)
