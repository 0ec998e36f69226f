"""Shared pieces of the XRechnung national rules: the collector of findings and the checks the specification
defines by regular expression or arithmetic (Skonto lines, IBAN, telephone, e-mail, URL).

Rule ids, conditions and severities follow the XRechnung specification 3.0 and its published Schematron
(itplr-kosit/xrechnung-schematron); the code is this project's own.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from lxml import etree

from services.rechnungseingang.validation.paths import full_path
from services.rechnungseingang.validation.report import Finding, Severity

STEP = "val-sch.2"

# Facts of the specification (common.sch of the XRechnung Schematron).
SKONTO = re.compile(r"#(SKONTO)#TAGE=([0-9]+#PROZENT=[0-9]+\.[0-9]{2})(#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#$")
EMAIL = re.compile(
    r"^[a-zA-Z0-9!#$%&\"*+/=?^_`{|}~-]+(\.[a-zA-Z0-9!#$%&\"*+/=?^_`{|}~-]+)*"
    r"@([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$"
)
TELEPHONE = re.compile(r".*([0-9].*){3,}.*")
URL = re.compile(r"([a-zA-Z])([a-zA-Z0-9+.-])+:.*")
SUPPORTED_VAT_CODES = frozenset({"S", "Z", "E", "AE", "K", "G", "L", "M"})
SUPPORTED_TYPE_CODES = frozenset({"326", "380", "384", "389", "381", "875", "876", "877"})
DIGA_CODES = frozenset({"XR01", "XR02", "XR03"})
CVD_VEHICLE_CATEGORIES = frozenset({"M1", "M2", "M3", "N1", "N2", "N3"})
CVA_CODES = frozenset({"clean", "zero-emission", "other"})
EXTENSION_MIME_CODES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/xml",
    }
)


class Collector:
    """Collects findings of the national step with XPath and line of the context element."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def fail(self, rule_id: str, level: Severity, message: str, node: etree._Element) -> None:
        self.findings.append(Finding(rule_id, level, message, full_path(node), node.sourceline, STEP, level))

    def check(self, ok: object, rule_id: str, level: Severity, message: str, node: etree._Element) -> None:
        if not ok:
            self.fail(rule_id, level, message, node)


def norm(value: str | None) -> str:
    """XPath normalize-space()."""
    return " ".join((value or "").split())


def has_text(node: etree._Element | None) -> bool:
    return node is not None and bool(norm(node.text))


def decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal(norm(value)) if value is not None and norm(value) else None
    except InvalidOperation:
        return None


def round2(value: Decimal) -> Decimal:
    """XPath round(x * 100) div 100: half rounds up (towards positive infinity)."""
    from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP

    mode = ROUND_HALF_UP if value >= 0 else ROUND_HALF_DOWN
    return value.quantize(Decimal("0.01"), rounding=mode)


def skonto_ok(note: str | None) -> bool:
    """BR-DE-18: every line of the payment terms that starts with '#' is a well-formed Skonto line, and the
    text after the last Skonto line starts with a line break."""
    if note is None:
        return True
    lines = [line for line in re.split(r"\r?\n", note) if norm(line).startswith("#")]
    if not lines:
        return True
    tail = re.split(r"#.+#", note)[-1]
    return all(SKONTO.search(norm(line)) for line in lines) and re.match(r"^\s*\n", tail) is not None


def iban_ok(value: str | None) -> bool:
    """BR-DE-19/20: shape of an IBAN and ISO 7064 MOD 97-10 over the rearranged characters."""
    compact = re.sub(r"\s", "", value or "")
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{0,30}", compact):
        return False
    rearranged = compact[4:] + compact[:2].upper() + compact[2:4]
    digits = "".join(str(ord(c) - 55) if ord(c) > 64 else str(ord(c) - 48) for c in rearranged)
    return int(digits) % 97 == 1


def email_ok(value: str | None) -> bool:
    return EMAIL.search(norm(value)) is not None


def telephone_ok(value: str | None) -> bool:
    return TELEPHONE.search(norm(value)) is not None
