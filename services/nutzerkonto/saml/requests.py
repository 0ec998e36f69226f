"""Reading AuthnRequests (SAML 2.0 Core §3.4.1) from the HTTP-Redirect and HTTP-POST bindings (SAML 2.0 Bindings
§3.4, §3.5), with BundID's ``akdb:AuthenticationRequest`` extension (Version 1 and 2) and the requested trust level
(``RequestedAuthnContext`` with ``STORK-QAA-Level-N`` or eIDAS LoA URIs).

Everything here is pure: bytes in, a typed request or a German :class:`SamlXmlError` out.
"""

import base64
import binascii
import datetime as dt
import zlib
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from lxml import etree

from services.nutzerkonto.saml import xml
from services.nutzerkonto.saml.xml import AKDB, CLASSIC_UI, SAML, SAMLP, SamlXmlError, child, children, q, text_of

# Encoded parameters larger than this are refused before any decoding (a real AuthnRequest is a few KiB).
MAX_PARAMETER_CHARS = 128 * 1024
# Bindings §3.4.3 caps RelayState at 80 bytes; SP libraries send return URLs that are longer, so we allow more.
MAX_RELAY_STATE_CHARS = 2048


@dataclass
class RedirectMessage:
    xml: bytes
    relay_state: str | None
    sig_alg: str | None
    signature: str | None
    signed_octets: bytes  # SAMLRequest=…[&RelayState=…]&SigAlg=… exactly as sent


@dataclass
class AuthnRequest:
    root: etree._Element
    id: str
    issue_instant: dt.datetime
    issuer: str
    destination: str | None
    acs_url: str | None
    acs_index: int | None
    protocol_binding: str | None
    name_id_format: str | None
    force_authn: bool
    is_passive: bool
    comparison: str  # exact | minimum | maximum | better (Core §3.3.2.2.1: exact when absent)
    class_refs: list[str]
    akdb_version: str | None = None
    # None when the request names no attributes (then the IdP releases its default set).
    requested_attributes: list[tuple[str, bool]] | None = None
    organization_display_name: str | None = None
    online_service_id: str | None = None
    authn_methods: list[str] = field(default_factory=list)  # Version 1 AllowedMethods / Version 2 AuthnMethods


def _b64(value: str, what: str) -> bytes:
    if len(value) > MAX_PARAMETER_CHARS:
        raise SamlXmlError(f"{what} ist zu groß.")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SamlXmlError(f"{what} ist kein gültiges Base64.") from exc


def _inflate(data: bytes) -> bytes:
    """Raw DEFLATE (RFC 1951) as the Redirect binding uses it, with a cap against decompression bombs."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, xml.MAX_XML_BYTES + 1)
    except zlib.error as exc:
        raise SamlXmlError("SAMLRequest ist nicht DEFLATE-komprimiert (HTTP-Redirect-Binding).") from exc
    if len(out) > xml.MAX_XML_BYTES or inflater.unconsumed_tail:
        raise SamlXmlError("Die entpackte Nachricht ist zu groß.")
    if not inflater.eof:
        raise SamlXmlError("SAMLRequest ist unvollständig komprimiert.")
    return out


def decode_redirect(query: bytes) -> RedirectMessage:
    """Split the raw query string without re-encoding anything: the signature covers the octets as sent."""
    raw: dict[str, str] = {}
    try:
        text = query.decode("ascii")
    except UnicodeDecodeError as exc:
        raise SamlXmlError("Die Anfrage-URL enthält ungültige Zeichen.") from exc
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if name in raw:
            raise SamlXmlError(f"Der Parameter {name} kommt mehrfach vor.")
        raw[name] = value
    if "SAMLRequest" not in raw:
        raise SamlXmlError("Der Parameter SAMLRequest fehlt.")
    relay_state = unquote_plus(raw["RelayState"]) if "RelayState" in raw else None
    _check_relay_state(relay_state)
    octets = "SAMLRequest=" + raw["SAMLRequest"]
    if "RelayState" in raw:
        octets += "&RelayState=" + raw["RelayState"]
    octets += "&SigAlg=" + raw.get("SigAlg", "")
    return RedirectMessage(
        xml=_inflate(_b64(unquote_plus(raw["SAMLRequest"]), "SAMLRequest")), relay_state=relay_state,
        sig_alg=unquote_plus(raw["SigAlg"]) if "SigAlg" in raw else None,
        signature=unquote_plus(raw["Signature"]) if "Signature" in raw else None, signed_octets=octets.encode(),
    )


def decode_post(saml_request: str | None, relay_state: str | None) -> bytes:
    if not saml_request:
        raise SamlXmlError("Der Parameter SAMLRequest fehlt.")
    _check_relay_state(relay_state)
    return _b64(saml_request, "SAMLRequest")


def _check_relay_state(relay_state: str | None) -> None:
    if relay_state is not None and len(relay_state) > MAX_RELAY_STATE_CHARS:
        raise SamlXmlError(f"RelayState ist zu lang (höchstens {MAX_RELAY_STATE_CHARS} Zeichen).")


def _bool(value: str | None) -> bool:
    return (value or "").strip() in ("true", "1")


def _int(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    if not value.strip().isdigit():
        raise SamlXmlError(f"{what} muss eine Zahl sein.")
    return int(value)


def read_authn_request(root: etree._Element) -> AuthnRequest:
    """The fields of a ``samlp:AuthnRequest``; the message's structure only, nothing checked against an SP."""
    if root.tag != q(SAMLP, "AuthnRequest"):
        raise SamlXmlError("Die Nachricht ist kein samlp:AuthnRequest (SAML 2.0 Protocol).")
    if root.get("Version") != "2.0":
        raise SamlXmlError("Nur SAML-Version 2.0 wird unterstützt.")
    request_id = (root.get("ID") or "").strip()
    if not request_id or len(request_id) > 256:
        raise SamlXmlError("Die ID der Anfrage fehlt oder ist zu lang.")
    issuer = text_of(child(root, SAML, "Issuer"))
    if not issuer:
        raise SamlXmlError("Der Issuer (entityID des Dienstes) fehlt.")

    class_refs: list[str] = []
    comparison = "exact"
    context = child(root, SAMLP, "RequestedAuthnContext")
    if context is not None:
        comparison = context.get("Comparison") or "exact"
        if comparison not in ("exact", "minimum", "maximum", "better"):
            raise SamlXmlError("RequestedAuthnContext hat einen ungültigen Comparison-Wert.")
        class_refs = [text_of(r) or "" for r in children(context, SAML, "AuthnContextClassRef")]

    policy = child(root, SAMLP, "NameIDPolicy")
    request = AuthnRequest(
        root=root, id=request_id, issue_instant=xml.parse_instant(root.get("IssueInstant"), "IssueInstant"),
        issuer=issuer, destination=root.get("Destination"),
        acs_url=root.get("AssertionConsumerServiceURL"),
        acs_index=_int(root.get("AssertionConsumerServiceIndex"), "AssertionConsumerServiceIndex"),
        protocol_binding=root.get("ProtocolBinding"),
        name_id_format=policy.get("Format") if policy is not None else None,
        force_authn=_bool(root.get("ForceAuthn")), is_passive=_bool(root.get("IsPassive")),
        comparison=comparison, class_refs=class_refs,
    )
    _read_akdb_extension(root, request)
    return request


def _read_akdb_extension(root: etree._Element, request: AuthnRequest) -> None:
    extensions = child(root, SAMLP, "Extensions")
    extension = child(extensions, AKDB, "AuthenticationRequest") if extensions is not None else None
    if extension is None:
        return
    request.akdb_version = extension.get("Version")
    if request.akdb_version not in ("1", "2"):
        raise SamlXmlError("akdb:AuthenticationRequest braucht Version=\"1\" oder \"2\".")
    wanted = child(extension, AKDB, "RequestedAttributes")
    if wanted is not None:
        request.requested_attributes = [
            ((a.get("Name") or "").strip(), _bool(a.get("RequiredAttribute")))
            for a in children(wanted, AKDB, "RequestedAttribute")
        ]
    # Version 1: <AllowedMethods><AuthnMethod>eID</AuthnMethod>…; Version 2: <AuthnMethods><eID><Enabled>true…
    allowed = child(extension, AKDB, "AllowedMethods")
    if allowed is not None:
        request.authn_methods = [text_of(m) or "" for m in children(allowed, AKDB, "AuthnMethod")]
    methods = child(extension, AKDB, "AuthnMethods")
    if methods is not None:
        request.authn_methods = [etree.QName(m).localname for m in methods
                                 if _bool(text_of(child(m, AKDB, "Enabled")))]
    display = child(extension, AKDB, "DisplayInformation")
    version = child(display, CLASSIC_UI, "Version") if display is not None else None
    if version is not None:
        request.organization_display_name = text_of(child(version, CLASSIC_UI, "OrganizationDisplayName")) or None
        request.online_service_id = text_of(child(version, CLASSIC_UI, "OnlineServiceId")) or None
