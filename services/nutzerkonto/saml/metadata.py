"""SAML 2.0 Metadata: the IdP's own ``EntityDescriptor`` (what service providers load, like BundID's at
``https://id.bund.de/idp``) and the reading of an SP's ``EntityDescriptor`` when it registers.
"""

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from services.nutzerkonto.attributes import (
    ASSERTION_PROVED_BY_OID,
    ATTRIBUTES,
    QAA_LEVEL_OID,
    VERSION_OID,
    friendly_name,
)
from services.nutzerkonto.keys import LoadedKey
from services.nutzerkonto.saml import xml
from services.nutzerkonto.saml.signatures import check_certificate
from services.nutzerkonto.saml.xml import DS, MD, MDUI, SAML, SAMLP, SamlXmlError, child, children, q

METADATA_MEDIA_TYPE = "application/samlmetadata+xml"
REDIRECT_SSO_PATH = "/idp/profile/SAML2/Redirect/SSO"
POST_SSO_PATH = "/idp/profile/SAML2/POST/SSO"

# Attributes every login returns besides the identity's own ones (FriendlyNames as the BundID simulator has them).
LOGIN_ATTRIBUTES = ((QAA_LEVEL_OID, "EID-CITIZEN-QAA-LEVEL"), (ASSERTION_PROVED_BY_OID, "AssertionProvedBy"),
                    (VERSION_OID, "Version"))


def idp_metadata(*, entity_id: str, base_url: str, keys: list[LoadedKey]) -> bytes:
    """The IdP's metadata: signing certificates (active first, then retired ones still trusted), both SSO
    bindings, transient NameIDs, and the attributes it can release."""
    root = etree.Element(q(MD, "EntityDescriptor"), nsmap={"md": MD, "ds": DS, "saml": SAML},
                         entityID=entity_id)
    idp = etree.SubElement(root, q(MD, "IDPSSODescriptor"), WantAuthnRequestsSigned="true",
                           protocolSupportEnumeration=SAMLP)
    for key in keys:
        descriptor = etree.SubElement(idp, q(MD, "KeyDescriptor"), use="signing")
        data = etree.SubElement(etree.SubElement(descriptor, q(DS, "KeyInfo")), q(DS, "X509Data"))
        etree.SubElement(data, q(DS, "X509Certificate")).text = key.certificate_base64
    etree.SubElement(idp, q(MD, "NameIDFormat")).text = xml.NAMEID_TRANSIENT
    for binding, path in ((xml.BINDING_POST, POST_SSO_PATH), (xml.BINDING_REDIRECT, REDIRECT_SSO_PATH)):
        etree.SubElement(idp, q(MD, "SingleSignOnService"), Binding=binding, Location=base_url + path)
    released = [(a.oid, friendly_name(a)) for a in ATTRIBUTES] + list(LOGIN_ATTRIBUTES)
    for oid, friendly in released:
        etree.SubElement(idp, q(SAML, "Attribute"), Name=oid, NameFormat=xml.ATTRNAME_URI, FriendlyName=friendly)
    organization = etree.SubElement(root, q(MD, "Organization"))
    for tag, text in (("OrganizationName", "Basisdienste"), ("OrganizationDisplayName", "Nutzerkonto (Testumgebung)"),
                      ("OrganizationURL", base_url)):
        etree.SubElement(organization, q(MD, tag), {xml.XML_LANG: "de"}).text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True)
class AssertionConsumerService:
    url: str
    binding: str
    index: int | None
    is_default: bool

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "binding": self.binding, "index": self.index, "is_default": self.is_default}


@dataclass
class SpMetadata:
    entity_id: str
    name: str
    acs: list[AssertionConsumerService]
    signing_certificates: list[str]
    encryption_certificate: str | None
    encryption_methods: list[str] = field(default_factory=list)
    authn_requests_signed: bool = False
    want_assertions_signed: bool = False


def _bool(value: str | None) -> bool:
    return (value or "").strip() in ("true", "1")


def _localised(elements: list[etree._Element]) -> str | None:
    """The German text among ``xml:lang`` variants, else English, else the first."""
    texts = {e.get(xml.XML_LANG, ""): (e.text or "").strip() for e in elements if (e.text or "").strip()}
    return texts.get("de") or texts.get("en") or next(iter(texts.values()), None)


def _certificates(descriptor: etree._Element) -> list[str]:
    key_info = child(descriptor, DS, "KeyInfo")
    found: list[str] = []
    for data in children(key_info, DS, "X509Data") if key_info is not None else []:
        found += [check_certificate(c.text or "") for c in children(data, DS, "X509Certificate")]
    return found


def parse_sp_metadata(data: bytes) -> SpMetadata:
    """Read an SP's ``md:EntityDescriptor``; :class:`SamlXmlError` (German) when it cannot serve as a BundID SP."""
    root = xml.parse(data)
    if root.tag != q(MD, "EntityDescriptor"):
        raise SamlXmlError("Erwartet wird genau ein md:EntityDescriptor (SAML 2.0 Metadata).")
    entity_id = (root.get("entityID") or "").strip()
    if not entity_id or len(entity_id) > 1024:
        raise SamlXmlError("Die entityID fehlt oder ist länger als 1024 Zeichen.")
    sp = child(root, MD, "SPSSODescriptor")
    if sp is None or SAMLP not in (sp.get("protocolSupportEnumeration") or "").split():
        raise SamlXmlError("Die Metadaten enthalten keinen SPSSODescriptor für SAML 2.0.")

    acs: list[AssertionConsumerService] = []
    for endpoint in children(sp, MD, "AssertionConsumerService"):
        index = endpoint.get("index")
        location = (endpoint.get("Location") or "").strip()
        if not location.startswith(("https://", "http://")):
            raise SamlXmlError("Jeder AssertionConsumerService braucht eine http(s)-Location.")
        if index is not None and not index.strip().isdigit():
            raise SamlXmlError("Der index eines AssertionConsumerService muss eine Zahl sein.")
        acs.append(AssertionConsumerService(location, endpoint.get("Binding") or "",
                                            int(index) if index is not None else None,
                                            _bool(endpoint.get("isDefault"))))
    if not any(a.binding == xml.BINDING_POST for a in acs):
        raise SamlXmlError("Es fehlt ein AssertionConsumerService mit HTTP-POST-Binding.")

    signing: list[str] = []
    encryption: list[str] = []
    methods: list[str] = []
    for descriptor in children(sp, MD, "KeyDescriptor"):
        use = descriptor.get("use")
        certificates = _certificates(descriptor)
        if use in (None, "signing"):
            signing += certificates
        if use in (None, "encryption"):
            encryption += certificates
            methods += [m.get("Algorithm") or "" for m in children(descriptor, MD, "EncryptionMethod")]

    ui = sp.find(f"{q(MD, 'Extensions')}/{q(MDUI, 'UIInfo')}")
    organization = child(root, MD, "Organization")
    name = ((_localised(children(ui, MDUI, "DisplayName")) if ui is not None else None)
            or (_localised(children(organization, MD, "OrganizationDisplayName"))
                if organization is not None else None)
            or entity_id)
    return SpMetadata(
        entity_id=entity_id, name=name[:300], acs=acs, signing_certificates=signing,
        encryption_certificate=encryption[0] if encryption else None, encryption_methods=methods,
        authn_requests_signed=_bool(sp.get("AuthnRequestsSigned")),
        want_assertions_signed=_bool(sp.get("WantAssertionsSigned")),
    )
