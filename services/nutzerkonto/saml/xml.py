"""Hardened XML parsing for everything SAML that arrives from outside (AuthnRequests, SP metadata), and the
namespaces of SAML 2.0 Core, Metadata, XML-DSig, XML-Enc and BundID's AKDB extension.

The parser refuses any DOCTYPE (no DTDs, hence no entities: no XXE, no billion laughs), never touches the network,
keeps libxml2's limits on (``huge_tree`` off) and drops comments, so that a comment inside a signed text node
cannot truncate what we read (the 2018 SAML comment-injection class of bugs).
"""

import datetime as dt
import re

from lxml import etree

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
AKDB = "https://www.akdb.de/request/2018/09"
CLASSIC_UI = "https://www.akdb.de/request/2018/09/classic-ui/v1"
MDUI = "urn:oasis:names:tc:SAML:metadata:ui"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
ATTRNAME_URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"

# Large enough for any AuthnRequest or SP metadata with a few certificates; small enough to parse in microseconds.
MAX_XML_BYTES = 256 * 1024

_DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)


class SamlXmlError(ValueError):
    """The XML is not acceptable; the message is German, for the error page."""


def q(namespace: str, name: str) -> str:
    """An lxml qualified name: ``{namespace}name``."""
    return f"{{{namespace}}}{name}"


def _parser() -> etree.XMLParser:
    # A parser per call: lxml parsers are not safe to share between threads.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False)


def parse(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """The root element of ``data``, or :class:`SamlXmlError` for anything that is not plain, small XML."""
    if len(data) > max_bytes:
        raise SamlXmlError(f"Die Nachricht ist zu groß (höchstens {max_bytes // 1024} KiB).")
    # Refused before parsing too: a DOCTYPE in another encoding would still be caught by the docinfo check below.
    if _DOCTYPE.search(data):
        raise SamlXmlError("Die Nachricht enthält eine DOCTYPE-Deklaration; das ist nicht erlaubt.")
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise SamlXmlError("Die Nachricht ist kein wohlgeformtes XML.") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise SamlXmlError("Die Nachricht enthält eine DOCTYPE-Deklaration; das ist nicht erlaubt.")
    for node in root.iter():
        if not isinstance(node.tag, str):  # an unexpanded entity reference survived: refuse, never guess
            raise SamlXmlError("Die Nachricht enthält Entitäten; das ist nicht erlaubt.")
    return root


def text_of(element: etree._Element | None) -> str | None:
    """The whole text content of a simple element, stripped; refuses mixed content (child elements)."""
    if element is None:
        return None
    if len(element):
        raise SamlXmlError(f"Das Element {etree.QName(element).localname} darf keine Unterelemente haben.")
    return (element.text or "").strip()


def child(parent: etree._Element, namespace: str, name: str) -> etree._Element | None:
    return parent.find(q(namespace, name))


def children(parent: etree._Element, namespace: str, name: str) -> list[etree._Element]:
    return parent.findall(q(namespace, name))


def parse_instant(value: str | None, what: str) -> dt.datetime:
    """An ``xs:dateTime`` as SAML uses it (UTC, ``Z`` or an offset), timezone-aware."""
    if not value:
        raise SamlXmlError(f"{what} fehlt.")
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise SamlXmlError(f"{what} ist kein gültiger Zeitpunkt.") from exc
    if parsed.tzinfo is None:  # SAML Core 1.3.3: times are UTC even without a designator
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def instant(value: dt.datetime) -> str:
    """A SAML time: UTC with ``Z``, millisecond precision (what most SP libraries parse)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
