"""Scenario selection as the KoSIT XRechnung configuration does it: by syntax and CustomizationID / guideline ID.

Each scenario carries the customLevels of the KoSIT configuration (release 3.0.2 configuration): levels the
XRechnung specification gives to CEN rules for documents of its profile. The previous XRechnung version (2.3) is
accepted as the RLP platform does ("current and previous version"); it is checked with the current rule set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.rechnungseingang.validation.report import Severity

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDITNOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
RSM = CII
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"

CEN = "urn:cen.eu:en16931:2017"
XRECHNUNG = {
    "3.0": "urn:xeinkauf.de:kosit:xrechnung_3.0",
    "2.3": "urn:xeinkauf.de:kosit:xrechnung_2.3",
}
EXTENSION = {
    "3.0": "urn:xeinkauf.de:kosit:extension:xrechnung_3.0",
    "2.3": "urn:xeinkauf.de:kosit:extension:xrechnung_2.3",
}
CVD = "urn:xeinkauf.de:kosit:xrechnung:cvd_0.9"

SYNTAX_OF_ROOT = {
    f"{{{UBL_INVOICE}}}Invoice": "ubl-invoice",
    f"{{{UBL_CREDITNOTE}}}CreditNote": "ubl-creditnote",
    f"{{{CII}}}CrossIndustryInvoice": "cii",
}

_STANDARD_LEVELS: dict[str, Severity] = {"BR-CL-21": "warning", "BR-CL-23": "warning"}
_CII_LEVELS: dict[str, Severity] = {
    "CII-SR-452": "error",
    "CII-SR-453": "error",
    "CII-SR-454": "error",
    "CII-SR-465": "error",
    "CII-SR-466": "error",
    "CII-SR-475": "information",
    "CII-SR-476": "information",
}
_EXTENSION_LEVELS: dict[str, Severity] = {
    "BR-CL-10": "information",
    "BR-CL-11": "information",
    "BR-CL-21": "information",
    "BR-CL-23": "warning",
    "BR-CL-24": "information",
    "BR-CL-25": "information",
    "BR-CL-26": "information",
}


_GUIDELINE = f"{{{RSM}}}ExchangedDocumentContext/{{{RAM}}}GuidelineSpecifiedDocumentContextParameter/{{{RAM}}}ID"


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    name: str
    syntax: str  # ubl-invoice | ubl-creditnote | cii
    profile: str  # standard | extension | cvd
    version: str
    custom_levels: dict[str, Severity] = field(default_factory=dict)


def _levels(syntax: str, profile: str) -> dict[str, Severity]:
    if profile == "extension":
        levels = dict(_EXTENSION_LEVELS)
        if syntax == "ubl-invoice":
            levels.update({"BR-CO-16": "information", "UBL-CR-470": "information", "UBL-CR-646": "information"})
    else:
        levels = dict(_STANDARD_LEVELS)
        if profile == "cvd":
            levels["BR-CL-13"] = "information"
        if syntax == "ubl-invoice" or (syntax == "ubl-creditnote" and profile == "cvd"):
            levels["UBL-CR-646"] = "error"
    if syntax == "cii":
        levels.update(_CII_LEVELS)
    return levels


_LABEL = {"ubl-invoice": "UBL Invoice", "ubl-creditnote": "UBL CreditNote", "cii": "CII"}


def _scenario(syntax: str, profile: str, version: str) -> Scenario:
    kind = {"standard": "", "extension": " Extension", "cvd": " CVD"}[profile]
    return Scenario(
        id=f"xrechnung-{version}-{profile}-{syntax}",
        name=f"EN16931 XRechnung{kind} ({_LABEL[syntax]})",
        syntax=syntax,
        profile=profile,
        version=version,
        custom_levels=_levels(syntax, profile),
    )


def _specification_ids() -> dict[str, tuple[str, str]]:
    """Every accepted specification identifier → (profile, version). Both spellings of the extension and CVD ids
    (with and without the XRechnung CIUS in the chain) occur in practice; the testsuite uses the chained one."""
    ids: dict[str, tuple[str, str]] = {}
    for version, cius in XRECHNUNG.items():
        ids[f"{CEN}#compliant#{cius}"] = ("standard", version)
        ext = EXTENSION[version]
        ids[f"{CEN}#conformant#{ext}"] = ("extension", version)
        ids[f"{CEN}#compliant#{cius}#conformant#{ext}"] = ("extension", version)
    ids[f"{CEN}#compliant#{CVD}"] = ("cvd", "3.0")
    ids[f"{CEN}#compliant#{XRECHNUNG['3.0']}#compliant#{CVD}"] = ("cvd", "3.0")
    return ids


SPECIFICATION_IDS = _specification_ids()


def customization_id(root) -> str | None:
    syntax = SYNTAX_OF_ROOT.get(root.tag)
    if syntax is None:
        return None
    if syntax == "cii":
        node = root.find(
            f"{{{RSM}}}ExchangedDocumentContext/{{{RAM}}}GuidelineSpecifiedDocumentContextParameter/{{{RAM}}}ID"
        )
    else:
        node = root.find(f"{{{CBC}}}CustomizationID")
    return node.text if node is not None and node.text is not None else None


def select(root) -> tuple[str | None, Scenario | None]:
    """(syntax, scenario) for a parsed document; scenario None when no XRechnung scenario matches. KoSIT compares
    the identifier exactly (no trimming), so do we."""
    syntax = SYNTAX_OF_ROOT.get(root.tag)
    if syntax is None:
        return None, None
    spec = SPECIFICATION_IDS.get(customization_id(root) or "")
    if spec is None:
        return syntax, None
    profile, version = spec
    if syntax == "ubl-creditnote" and profile == "extension":
        return syntax, None  # the KoSIT configuration has no extension scenario for credit notes
    return syntax, _scenario(syntax, profile, version)
