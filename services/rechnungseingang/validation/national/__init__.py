"""XRechnung national rules (BR-DE-*, BR-DEX-*, BR-DE-CVD-*, the merged Peppol rules), implemented in Python over
the lxml tree the validator already holds — no second Saxon pass, no re-parse (see benchmarks/rechnungseingang)."""

from __future__ import annotations

from lxml import etree

from services.rechnungseingang.validation.national import cii, peppol, ubl
from services.rechnungseingang.validation.national.common import Collector
from services.rechnungseingang.validation.report import Finding
from services.rechnungseingang.validation.scenarios import CEN, CVD, EXTENSION, XRECHNUNG, Scenario, customization_id

# BR-DE-21 names the identifiers of the current version only; a document of the previous version is still taken
# (scenario), with this warning.
_CURRENT_IDS = frozenset(
    {
        f"{CEN}#compliant#{XRECHNUNG['3.0']}",
        f"{CEN}#compliant#{XRECHNUNG['3.0']}#conformant#{EXTENSION['3.0']}",
        f"{CEN}#conformant#{EXTENSION['3.0']}",
        f"{CEN}#compliant#{XRECHNUNG['3.0']}#compliant#{CVD}",
        f"{CEN}#compliant#{CVD}",
    }
)


def check(root: etree._Element, scenario: Scenario) -> list[Finding]:
    out = Collector()
    out.check(
        customization_id(root) in _CURRENT_IDS,
        "BR-DE-21",
        "warning",
        '[BR-DE-21] Das Element "Specification identifier" (BT-24) soll syntaktisch der Kennung des Standards '
        "XRechnung entsprechen.",
        root,
    )
    if scenario.syntax == "cii":
        cii.check(root, scenario.profile, out)
    else:
        ubl.check(root, scenario.profile, out)
        peppol.check(root, out)
    return out.findings
