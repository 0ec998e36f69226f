"""Hostile XML is refused before any processing: every DOCTYPE (XXE, external DTD, billion laughs, harmless
looking ones) raises UnsafeXml, whatever the encoding or the comments in front of it."""

from __future__ import annotations

import pytest

from services.rechnungseingang.validation import UnsafeXml
from tests.rechnungseingang.validation.conftest import corpus_file

INVOICE = corpus_file("01.01a-INVOICE_ubl.xml")
BODY = INVOICE.split(b"?>", 1)[1]  # without the XML declaration

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&secret;</ID></Invoice>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice SYSTEM "http://127.0.0.1:18599/evil.dtd">
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol9;</lolz>"""

PLAIN_DOCTYPE = b'<?xml version="1.0"?>\n<!-- looks harmless -->\n<!DOCTYPE Invoice>' + BODY
PARAMETER_ENTITY = b"""<!DOCTYPE x [<!ENTITY % remote SYSTEM "file:///etc/hostname"> %remote;]><x/>"""


@pytest.mark.parametrize(
    "document",
    [XXE, EXTERNAL_DTD, LAUGHS, PLAIN_DOCTYPE, PARAMETER_ENTITY, b"\xef\xbb\xbf" + XXE, XXE.decode().encode("utf-16")],
    ids=["xxe", "external-dtd", "billion-laughs", "plain-doctype", "parameter-entity", "bom", "utf-16"],
)
def test_doctype_of_any_kind_is_refused(validator, document: bytes) -> None:
    with pytest.raises(UnsafeXml):
        validator.validate(document)


def test_unsafe_xml_is_a_value_error() -> None:
    assert issubclass(UnsafeXml, ValueError)


def test_undeclared_entity_is_malformed_not_resolved(validator) -> None:
    report = validator.validate(INVOICE.replace(b"<cbc:ID>", b"<cbc:ID>&secret;", 1))
    assert not report.accepted and report.findings[0].rule_id == "val-xml"
