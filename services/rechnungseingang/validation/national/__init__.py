"""XRechnung national rules (BR-DE-*, BR-DEX-*, BR-DE-CVD-*, the merged Peppol rules), implemented in Python over
the lxml tree the validator already holds — no second Saxon pass, no re-parse (see benchmarks/rechnungseingang).

Which rules exist, their flags and texts: ``rules.py`` (one table for both syntaxes). The extension and CVD rules
apply, as in the Schematron, only when the specification identifier is exactly the XRechnung 3.0 extension or CVD
identifier.
"""

from __future__ import annotations

from lxml import etree

from services.rechnungseingang.validation.national import cii, peppol, peppol_cii, ubl
from services.rechnungseingang.validation.national.common import Collector
from services.rechnungseingang.validation.report import Finding
from services.rechnungseingang.validation.scenarios import Scenario


def check(root: etree._Element, scenario: Scenario) -> list[Finding]:
    if scenario.syntax == "cii":
        out = Collector("cii")
        cii.check(root, out)
        peppol_cii.check(root, out)
    else:
        out = Collector("ubl")
        ubl.check(root, out)
        peppol.check(root, out)
    return out.findings
