"""Building SAML Responses (SAML 2.0 Core §3.3.3, §2.3 to 2.7) in the BundID profile: a transient NameID, bearer
subject confirmation (Profiles §4.1.4.2), conditions with the SP as audience, the reached STORK level as
AuthnContextClassRef, and each attribute by OID with FriendlyName and ``akdb:TrustLevel``.

Status codes and messages on failure are BundID's (BundID simulator ``Status.java``).
"""

import base64
import datetime as dt
import secrets
from dataclasses import dataclass

from lxml import etree

from services.nutzerkonto.saml.xml import AKDB, ATTRNAME_URI, NAMEID_TRANSIENT, SAML, SAMLP, XS, XSI, instant, q

SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
REQUESTER = "urn:oasis:names:tc:SAML:2.0:status:Requester"
RESPONDER = "urn:oasis:names:tc:SAML:2.0:status:Responder"
AUTHN_FAILED = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
NO_AUTHN_CONTEXT = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"
INVALID_NAMEID_POLICY = "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
NO_PASSIVE = "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
CANCELLED_MESSAGE = "Authentication was canceled by the user."
ERROR_MESSAGE = "An error has occurred."
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

# How long the SP may take to consume an assertion (SubjectConfirmationData and Conditions NotOnOrAfter).
ASSERTION_LIFETIME = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Answer:
    """A SAML status: top-level code, optional second-level code, optional message."""

    status: str
    sub_status: str | None = None
    message: str | None = None


CANCELLED = Answer(REQUESTER, AUTHN_FAILED, CANCELLED_MESSAGE)
FAILED = Answer(REQUESTER, NO_AUTHN_CONTEXT, ERROR_MESSAGE)


@dataclass(frozen=True)
class Released:
    """One attribute as it goes into the AttributeStatement."""

    oid: str
    friendly_name: str
    value: str
    trust: str  # akdb:TrustLevel


def new_id() -> str:
    """A SAML ID: an xs:ID (NCName, so not starting with a digit) with 160 random bits (Core §1.3.4)."""
    return "_" + secrets.token_hex(20)


def _issuer(parent: etree._Element, entity_id: str) -> etree._Element:
    issuer = etree.SubElement(parent, q(SAML, "Issuer"))
    issuer.text = entity_id
    return issuer


def response(*, idp_entity_id: str, destination: str, in_response_to: str, now: dt.datetime,
             answer: Answer) -> etree._Element:
    """A ``samlp:Response`` with its Issuer and Status; the caller appends an Assertion on success."""
    root = etree.Element(q(SAMLP, "Response"), nsmap={"samlp": SAMLP, "saml": SAML}, ID=new_id(), Version="2.0",
                         IssueInstant=instant(now), Destination=destination, InResponseTo=in_response_to)
    _issuer(root, idp_entity_id)
    status = etree.SubElement(root, q(SAMLP, "Status"))
    code = etree.SubElement(status, q(SAMLP, "StatusCode"), Value=answer.status)
    if answer.sub_status:
        etree.SubElement(code, q(SAMLP, "StatusCode"), Value=answer.sub_status)
    if answer.message:
        etree.SubElement(status, q(SAMLP, "StatusMessage")).text = answer.message
    return root


def assertion(*, idp_entity_id: str, sp_entity_id: str, acs_url: str, in_response_to: str, now: dt.datetime,
              authn_instant: dt.datetime, class_ref: str, attributes: list[Released]) -> etree._Element:
    """A bearer ``saml:Assertion`` for one SP and one request. It declares every namespace it uses itself, so
    that it stays well-formed when it is encrypted apart from its Response."""
    expires = instant(now + ASSERTION_LIFETIME)
    root = etree.Element(q(SAML, "Assertion"), nsmap={"saml": SAML, "xs": XS, "xsi": XSI, "akdb": AKDB},
                         ID=new_id(), Version="2.0", IssueInstant=instant(now))
    _issuer(root, idp_entity_id)

    subject = etree.SubElement(root, q(SAML, "Subject"))
    name_id = etree.SubElement(subject, q(SAML, "NameID"), Format=NAMEID_TRANSIENT, NameQualifier=idp_entity_id,
                               SPNameQualifier=sp_entity_id)
    name_id.text = new_id()  # transient: a new pseudonym per assertion, never linkable across logins
    confirmation = etree.SubElement(subject, q(SAML, "SubjectConfirmation"), Method=BEARER)
    etree.SubElement(confirmation, q(SAML, "SubjectConfirmationData"), NotOnOrAfter=expires, Recipient=acs_url,
                     InResponseTo=in_response_to)

    conditions = etree.SubElement(root, q(SAML, "Conditions"), NotBefore=instant(now), NotOnOrAfter=expires)
    audience = etree.SubElement(etree.SubElement(conditions, q(SAML, "AudienceRestriction")), q(SAML, "Audience"))
    audience.text = sp_entity_id

    statement = etree.SubElement(root, q(SAML, "AuthnStatement"), AuthnInstant=instant(authn_instant),
                                 SessionIndex=new_id())
    context = etree.SubElement(statement, q(SAML, "AuthnContext"))
    etree.SubElement(context, q(SAML, "AuthnContextClassRef")).text = class_ref

    if attributes:
        attribute_statement = etree.SubElement(root, q(SAML, "AttributeStatement"))
        for released in attributes:
            element = etree.SubElement(attribute_statement, q(SAML, "Attribute"), Name=released.oid,
                                       NameFormat=ATTRNAME_URI, FriendlyName=released.friendly_name)
            element.set(q(AKDB, "TrustLevel"), released.trust)
            value = etree.SubElement(element, q(SAML, "AttributeValue"))
            value.set(q(XSI, "type"), "xs:string")
            value.text = released.value
    return root


def encode(root: etree._Element) -> str:
    """The SAMLResponse form value of the HTTP-POST binding: base64 of the UTF-8 document."""
    return base64.b64encode(etree.tostring(root, xml_declaration=True, encoding="UTF-8")).decode()
