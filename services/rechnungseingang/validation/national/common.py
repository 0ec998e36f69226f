"""Shared pieces of the national step: the collector that turns a failed assertion into a finding (flag and text from
the one table in ``rules.py``), the facts the XRechnung Schematron declares in its common.sch (regular expressions,
code lists, identifiers), and the rule logic that is the same in UBL and CII once each syntax has read its elements.

Rule ids, conditions and severities follow the published XRechnung Schematron (itplr-kosit/xrechnung-schematron);
the code is this project's own.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from lxml import etree

from services.rechnungseingang.validation.national.rules import LEVEL, RULES, SKONTO_REGEX
from services.rechnungseingang.validation.paths import full_path
from services.rechnungseingang.validation.report import Finding

STEP = "val-sch.2"

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
UBL_NS = {"cac": CAC, "cbc": CBC}
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
CII_NS = {"ram": RAM, "rsm": RSM, "udt": UDT}

# common.sch: identifiers and regular expressions.
XR_CIUS_ID = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
XR_EXTENSION_ID = f"{XR_CIUS_ID}#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0"
XR_CVD_ID = f"{XR_CIUS_ID}#compliant#urn:xeinkauf.de:kosit:xrechnung:cvd_0.9"
XR_IDS = (XR_CIUS_ID, XR_EXTENSION_ID, XR_CVD_ID)
SKONTO = re.compile(SKONTO_REGEX)
EMAIL = re.compile(r"^[^@\s]+@([^@.\s]+\.)+[^@.\s]+$")
TELEPHONE = re.compile(r".*([0-9].*){3,}.*")
URL = re.compile(r"^([a-zA-Z])([a-zA-Z0-9+.-])+:.*")
SUPPORTED_VAT_CODES = frozenset({"S", "Z", "E", "AE", "K", "G", "L", "M"})
SUPPORTED_TYPE_CODES = frozenset({"326", "380", "384", "389", "381", "875", "876", "877"})
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


def _codes(*codes: str) -> str:
    return " " + " ".join(codes) + " "


def _numbered(*spans: tuple[int, int]) -> list[str]:
    return [f"{n:04d}" for first, last in spans for n in range(first, last + 1)]


# common.sch code lists, written as the Schematron writes them: blank-separated with a blank at each end. The
# extension lists are DIGA-CODES concatenated with the list, which leaves a double blank between them.
DIGA_CODES = _codes("XR01", "XR02", "XR03")
ISO_6523_ICD_EXT_CODES = DIGA_CODES + _codes(*_numbered((2, 91), (93, 102), (104, 180), (183, 244))).rstrip()
CEF_EAS_EXT_CODES = DIGA_CODES + _codes(
    *"0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 0170 0177 0183 0184 0188 0190 "
    "0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203 0204 0205 0208 0209 0210 0211 0212 0213 0215 0216 "
    "0217 0218 0219 0220 0221 0225 0230 0235 0240 0244 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 "
    "9927 9928 9929 9930 9931 9932 9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 9946 9947 9948 "
    "9949 9950 9951 9952 9953 9957 9959 AN AQ AS AU EM".split()
)
UNTDID_7143_CVD_CODES = _codes("CVD") + _codes(
    *"AA AB AC AD AE AF AG AH AI AJ AK AL AM AN AO AP AQ AR AS AT AU AV AW AX AY AZ BA BB BC BD BE BF BG BH BI BJ BK "
    "BL BM BN BO BP BQ BR BS BT BU BV BW BX BY BZ CC CG CL CR CV DR DW EC EF EMD EN FS GB GN GMN GS HS IB IN IS IT IZ "
    "MA MF MN MP NB ON PD PL PO PPI PV QS RC RN RU RY SA SG SK SN SRS SRT SRU SRV SRW SRX SRY SRZ SS SSA SSB SSC SSD "
    "SSE SSF SSG SSH SSI SSJ SSK SSL SSM SSN SSO SSP SSQ SSR SSS SST SSU SSV SSW SSX SSY SSZ ST STA STB STC STD STE "
    "STF STG STH STI STJ STK STL STM STN STO STP STQ STR STS STT STU STV STW STX STY STZ SUA SUB SUC SUD SUE SUF SUG "
    "SUH SUI SUJ SUK SUL SUM TG TSN TSO TSP TSQ TSR TSS TST TSU UA UP VN VP VS VX ZZZ".split()
)


def in_code_list(codes: str, value: str | None) -> bool:
    """The Schematron's test ``not(contains(normalize-space(v), ' ')) and contains(LIST, concat(' ', v, ' '))``."""
    value = norm(value)
    return " " not in value and f" {value} " in codes


class Collector:
    """Collects the findings of the national step; flag and text come from the rule table."""

    def __init__(self, syntax: str) -> None:
        self.syntax = syntax  # "ubl" | "cii": which wording of a text that differs between the two
        self.findings: list[Finding] = []

    def fail(self, rule_id: str, node: etree._Element, value: str = "") -> None:
        rule = RULES[rule_id]
        level = LEVEL[rule.flag]
        message = rule.message(self.syntax, name=xpath_name(node), value=value)
        self.findings.append(Finding(rule_id, level, message, full_path(node), node.sourceline, STEP, level))

    def check(self, ok: object, rule_id: str, node: etree._Element, value: str = "") -> None:
        if not ok:
            self.fail(rule_id, node, value)

    def check_all(self, node: etree._Element, outcomes: dict[str, object]) -> None:
        """Several assertions of one Schematron rule (one context node): rule id → test result."""
        for rule_id, ok in outcomes.items():
            self.check(ok, rule_id, node)


def xpath_name(node: etree._Element) -> str:
    """XPath name(): the element's name as the document spells it (prefix:local)."""
    local = etree.QName(node).localname
    return f"{node.prefix}:{local}" if node.prefix else local


def norm(value: str | None) -> str:
    """XPath normalize-space()."""
    return " ".join((value or "").split())


def string_value(node: etree._Element) -> str:
    """XPath string(): the text of the element and all its descendants (comments excluded)."""
    return str(node.xpath("string()"))


def has_text(node: etree._Element | None) -> bool:
    return node is not None and bool(norm(node.text))


def decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal(norm(value)) if value is not None and norm(value) else None
    except InvalidOperation:
        return None


def round2(value: Decimal) -> Decimal:
    """XPath round(x * 100) div 100: half rounds up (towards positive infinity)."""
    mode = ROUND_HALF_UP if value >= 0 else ROUND_HALF_DOWN
    return value.quantize(Decimal("0.01"), rounding=mode)


def slack_ok(expected: Decimal, value: Decimal, slack: Decimal) -> bool:
    """Peppol's u:slack(exp, val, slack)."""
    return expected + slack >= value and expected - slack <= value


def skonto_ok(note: str | None) -> bool:
    """BR-DE-18: every line of the payment terms that starts with '#' is a well-formed Skonto line, and the text
    after the last Skonto line starts with a line break."""
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


def filenames_unique(references: list[etree._Element], attachments: str) -> bool:
    """BR-DE-22: no document reference repeats a filename of a preceding sibling reference."""
    seen: dict[etree._Element, set[str]] = {}
    for reference in references:
        names = {name for b in reference.iterfind(attachments) if (name := b.get("filename")) is not None}
        parent = reference.getparent()
        earlier = seen.setdefault(parent, set())
        if names & earlier:
            return False
        earlier |= names
    return True


def payment_means(out: Collector, node: etree._Element, code: str, groups: tuple, ibans: tuple) -> None:
    """BR-DE-19/20 and BR-DE-23..25 for one payment means. ``groups``: whether BG-17 (credit transfer), BG-18
    (card), BG-19 (direct debit) and what BR-DE-25-b forbids beside a direct debit are present, as each syntax's
    Schematron reads them; ``ibans``: the payee's and the payer's account identifier."""
    transfer, card, debit, debit_excluded = groups
    if code in ("30", "58"):
        if code == "58":
            out.check(iban_ok(ibans[0]), "BR-DE-19", node)
        out.check(transfer, "BR-DE-23-a", node)
        out.check(not card and not debit, "BR-DE-23-b", node)
    elif code in ("48", "54", "55"):
        out.check(card, "BR-DE-24-a", node)
        out.check(not transfer and not debit, "BR-DE-24-b", node)
    elif code == "59":
        out.check(iban_ok(ibans[1]), "BR-DE-20", node)
        out.check(debit, "BR-DE-25-a", node)
        out.check(not debit_excluded, "BR-DE-25-b", node)


def seller_contact(out: Collector, contact: etree._Element, point: bool, phone, mail) -> None:
    """BR-DE-5..7, BR-DE-27, BR-DE-28 on the seller contact (phone, mail: the elements or None)."""
    out.check_all(
        contact,
        {
            "BR-DE-5": point,
            "BR-DE-6": has_text(phone),
            "BR-DE-7": has_text(mail),
            "BR-DE-27": TELEPHONE.search(norm(phone.text if phone is not None else None)),
            "BR-DE-28": EMAIL.search(norm(mail.text if mail is not None else None)),
        },
    )


def cvd_item(out: Collector, item: etree._Element, codes: list[etree._Element], cva: list[etree._Element]) -> None:
    """BR-DE-CVD-06-a/b for one item: codes are its classification codes with listID 'CVD', cva its 'cva'
    attributes."""
    out.check(not codes or len(cva) == 1, "BR-DE-CVD-06-a", item)
    out.check(not cva or len(codes) == 1, "BR-DE-CVD-06-b", item)


def cvd_code(out: Collector, code: etree._Element) -> None:
    out.check(in_code_list(UNTDID_7143_CVD_CODES, code.get("listID")), "BR-TMP-CVD-01", code)
    out.check(norm(code.get("listID")) != "CVD" or norm(code.text) in CVD_VEHICLE_CATEGORIES, "BR-DE-CVD-04", code)


def scheme_ids(out: Collector, nodes, rule_id: str, codes: str, also=None) -> None:
    """BR-DEX-04..08: the schemeID of each node is in the extension code list (or ``also(node)`` allows it)."""
    for node in nodes:
        out.check(in_code_list(codes, node.get("schemeID")) or (also is not None and also(node)), rule_id, node)


def mime_codes(out: Collector, binaries) -> None:
    """BR-DEX-01."""
    for binary in binaries:
        mime = binary.get("mimeCode")
        out.check(mime in EXTENSION_MIME_CODES, "BR-DEX-01", binary, value=mime or "")


def empty_elements(root: etree._Element, keep: str | None = None) -> list[etree._Element]:
    """PEPPOL-EN16931-R008's context ``//*[not(*) and not(normalize-space())]``; ``keep``: an element name (as
    name() spells it) the rule leaves out."""
    found = []
    for element in root.iter(etree.Element):
        if len(element) and any(isinstance(child.tag, str) for child in element):
            continue
        # Without child elements the string value is the text around any comments or processing instructions.
        if norm(element.text) or any(norm(child.tail) for child in element):
            continue
        if keep is not None and xpath_name(element) == keep:
            continue
        found.append(element)
    return found


def number(node: etree._Element | None, default: Decimal = Decimal(0)) -> Decimal:
    """The decimal value of an element; ``default`` when it is absent (or, after a failed schema step, not a number)."""
    value = decimal(node.text) if node is not None else None
    return default if value is None else value


def allowance_charge(out: Collector, node: etree._Element, paths: tuple[str, ...], r043: str, slack) -> None:
    """PEPPOL-EN16931-R040..R043 on a document or line allowance/charge; ``paths``: percentage, base amount, amount
    and charge indicator in the syntax. The Peppol pattern takes the R041 and R042 contexts first, so a node that
    fails one of them is not checked for R040/R043."""
    percent, base, amount = (node.find(path) for path in paths[:3])
    if percent is not None and base is None:
        out.fail("PEPPOL-EN16931-R041", node)
        return
    if percent is None and base is not None:
        out.fail("PEPPOL-EN16931-R042", node)
        return
    if percent is not None and base is not None:
        expected = number(base) * number(percent) / 100
        out.check(slack_ok(number(amount), expected, slack), "PEPPOL-EN16931-R040", node)
    out.check(norm(node.findtext(paths[3])) in ("true", "false"), r043, node)


def line_net_amount(out: Collector, line, net, quantity, price, base, charges, allowances, slack) -> None:
    """PEPPOL-EN16931-R120 (lets of the Peppol rule: absent amounts 0, absent quantity 1, base quantity 1 when
    absent or zero; charge and allowance sums rounded to 2 places)."""
    divisor = base if base is not None and base != 0 else Decimal(1)
    expected = quantity * (price / divisor) + round2(charges) - round2(allowances)
    out.check(slack_ok(net, expected, slack), "PEPPOL-EN16931-R120", line)


def slack_for(currency: str | None) -> Decimal:
    """$slackValue of peppol-into-xr.xsl: 0.5 for HUF (no minor unit), else 0.02."""
    return Decimal("0.5") if currency == "HUF" else Decimal("0.02")
