"""Reads an uploaded invoice the safe way before anything else touches it: no DOCTYPE of any kind (so no external
entities, no external DTD, no entity expansion), no network, and the embedded attachments of XRechnung
(UBL ``cac:AdditionalDocumentReference/cac:Attachment``, CII ``ram:AdditionalReferencedDocument``) decoded for the
attachment rules and the virus scan.
"""

import base64
import binascii
from dataclasses import dataclass, field

from lxml import etree

UBL_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
UBL_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CII_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
CII_ROOT = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_NS = {"cbc": UBL_CBC, "cac": UBL_CAC, "ram": CII_RAM}
_BINARY_PATHS = (
    "//cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject",
    "//ram:AdditionalReferencedDocument/ram:AttachmentBinaryObject",
)


class RefusedDocument(Exception):
    """The upload is not something the intake reads at all (hostile or not XML); answered 400, nothing stored."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass
class EmbeddedAttachment:
    filename: str | None
    mime_code: str | None
    content: bytes
    # False when the element's text is not base64: the content is then the raw text.
    decoded: bool = True


@dataclass
class InvoiceDocument:
    root_name: str
    attachments: list[EmbeddedAttachment] = field(default_factory=list)


def _parser() -> etree.XMLParser:
    # huge_tree: base64 attachments pass libxml2's 10 MB text-node cap; the byte cap at the HTTP layer bounds them.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=True, remove_comments=False)


def _has_doctype(xml: bytes) -> bool:
    # Checked on the bytes too: a DOCTYPE whose entities would blow up must be refused before libxml2 expands.
    head = xml[: 64 * 1024].lower()
    return b"<!doctype" in head or b"<\x00!\x00d\x00o\x00c\x00t\x00y\x00p\x00e" in head


def parse(xml: bytes) -> InvoiceDocument:
    """The root and embedded attachments of an XML invoice, or :class:`RefusedDocument`."""
    if _has_doctype(xml):
        raise RefusedDocument("doctype-forbidden", "Die XML-Datei enthält eine DOCTYPE-Deklaration. "
                              "DTDs und Entitäten sind in E-Rechnungen nicht erlaubt.")
    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as exc:
        raise RefusedDocument("not-well-formed", f"Die Datei ist kein wohlgeformtes XML: {exc}") from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise RefusedDocument("doctype-forbidden", "Die XML-Datei enthält eine DOCTYPE-Deklaration. "
                              "DTDs und Entitäten sind in E-Rechnungen nicht erlaubt.")
    attachments = []
    for path in _BINARY_PATHS:
        for element in root.xpath(path, namespaces=_NS):
            text = "".join(element.itertext())
            try:
                content, decoded = base64.b64decode("".join(text.split()), validate=True), True
            except (binascii.Error, ValueError):
                content, decoded = text.encode(), False
            attachments.append(EmbeddedAttachment(element.get("filename"), element.get("mimeCode"), content,
                                                  decoded))
    return InvoiceDocument(root_name=etree.QName(root).localname, attachments=attachments)
