"""The Peppol BIS Billing 3.0 rules XRechnung merges into its UBL rule set: the whitelist src/xsl/rule-list.xml of
the XRechnung Schematron (R001, R005, R008, R010, R020, R040-R044, R046, R053-R055, R061, R101, R110, R111, R120,
R121, R130), with contexts and tests of Peppol's PEPPOL-EN16931-UBL.sch as src/xsl/peppol-into-xr.xsl adapts them
(R040 and R120 with a slack of 0.5 for HUF, R120 a warning; all others fatal)."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from services.rechnungseingang.validation.national.common import (
    CAC,
    CBC,
    UBL_NS,
    Collector,
    allowance_charge,
    empty_elements,
    line_net_amount,
    norm,
    number,
    slack_for,
)

NS = UBL_NS
# BT-94 (percentage), BT-93 (base amount), BT-92 (amount), charge indicator of an allowance/charge.
_CHARGE = tuple(f"{{{CBC}}}{name}" for name in ("MultiplierFactorNumeric", "BaseAmount", "Amount", "ChargeIndicator"))


def check(root: etree._Element, out: Collector) -> None:
    for element in empty_elements(root):
        out.fail("PEPPOL-EN16931-R008", element)
    credit = root.tag.endswith("}CreditNote")
    currency = root.findtext("cbc:DocumentCurrencyCode", namespaces=NS)
    slack = slack_for(currency)
    _totals(root, out)
    for code in root.iter(f"{{{CBC}}}TaxCurrencyCode"):
        parent = code.getparent()
        document = parent.findtext("cbc:DocumentCurrencyCode", namespaces=NS) if parent is not None else None
        out.check(norm(code.text) != norm(document), "PEPPOL-EN16931-R005", code)
    for party in root.iterfind(".//cac:AccountingCustomerParty/cac:Party", NS):
        out.check(party.find("cbc:EndpointID", NS) is not None, "PEPPOL-EN16931-R010", party)
    for party in root.iterfind(".//cac:AccountingSupplierParty/cac:Party", NS):
        out.check(party.find("cbc:EndpointID", NS) is not None, "PEPPOL-EN16931-R020", party)
    line_tag = "cac:CreditNoteLine" if credit else "cac:InvoiceLine"
    lines = root.findall(line_tag, NS)
    for charge in root.findall("cac:AllowanceCharge", NS) + [
        c for ln in lines for c in ln.findall("cac:AllowanceCharge", NS)
    ]:
        allowance_charge(out, charge, _CHARGE, "PEPPOL-EN16931-R043", slack)
    for means in root.iter(f"{{{CAC}}}PaymentMeans"):
        if norm(means.findtext("cbc:PaymentMeansCode", namespaces=NS)) in ("49", "59"):
            out.check(means.find("cac:PaymentMandate/cbc:ID", NS) is not None, "PEPPOL-EN16931-R061", means)
    start = root.findtext("cac:InvoicePeriod/cbc:StartDate", namespaces=NS)
    end = root.findtext("cac:InvoicePeriod/cbc:EndDate", namespaces=NS)
    for line in lines:
        # ISO dates (xs:date) compare correctly as strings.
        for node in line.iterfind("cac:InvoicePeriod/cbc:StartDate", NS) if start is not None else ():
            out.check(norm(node.text) >= norm(start), "PEPPOL-EN16931-R110", node)
        for node in line.iterfind("cac:InvoicePeriod/cbc:EndDate", NS) if end is not None else ():
            out.check(norm(node.text) <= norm(end), "PEPPOL-EN16931-R111", node)
    quantity_tag = "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity"
    for line in root.iter(f"{{{CAC}}}InvoiceLine", f"{{{CAC}}}CreditNoteLine"):
        _line(out, line, quantity_tag, slack)
    for charge in root.iterfind(".//cac:Price/cac:AllowanceCharge", NS):
        out.check(norm(charge.findtext("cbc:ChargeIndicator", namespaces=NS)) == "false", "PEPPOL-EN16931-R044", charge)
        gross = charge.find("cbc:BaseAmount", NS)
        net = charge.getparent().find("cbc:PriceAmount", NS)
        out.check(
            gross is None or number(net) == number(gross) - number(charge.find("cbc:Amount", NS)),
            "PEPPOL-EN16931-R046",
            charge,
        )
    for base in root.iterfind(".//cac:Price/cbc:BaseQuantity[@unitCode]", NS):
        line = base.getparent().getparent()
        quantity = line.find(quantity_tag, NS) if line is not None else None
        has_quantity = line is not None and any(
            line.find(t, NS) is not None for t in ("cbc:InvoicedQuantity", "cbc:CreditedQuantity")
        )
        out.check(
            not has_quantity or (quantity is not None and base.get("unitCode") == quantity.get("unitCode")),
            "PEPPOL-EN16931-R130",
            base,
        )


def _totals(root: etree._Element, out: Collector) -> None:
    """R001, R053, R054, R055 on the document element."""
    totals = root.findall("cac:TaxTotal", NS)
    with_subtotals = [t for t in totals if t.find("cac:TaxSubtotal", NS) is not None]
    tax_currency = root.find("cbc:TaxCurrencyCode", NS)

    def amounts(code: str | None) -> list[Decimal]:
        return [number(a) for a in root.iterfind("cac:TaxTotal/cbc:TaxAmount", NS) if a.get("currencyID") == norm(code)]

    sign_ok = True
    if tax_currency is not None:
        accounting = amounts(tax_currency.text)
        invoice = amounts(root.findtext("cbc:DocumentCurrencyCode", namespaces=NS))
        negative = any(a <= 0 for a in accounting) and any(a <= 0 for a in invoice)
        positive = any(a >= 0 for a in accounting) and any(a >= 0 for a in invoice)
        sign_ok = negative or positive
    out.check_all(
        root,
        {
            "PEPPOL-EN16931-R001": root.find("cbc:ProfileID", NS) is not None,
            "PEPPOL-EN16931-R053": len(with_subtotals) == 1,
            "PEPPOL-EN16931-R054": len(totals) - len(with_subtotals) == (1 if tax_currency is not None else 0),
            "PEPPOL-EN16931-R055": sign_ok,
        },
    )


def _line(out: Collector, line: etree._Element, quantity_tag: str, slack: Decimal) -> None:
    """R120, R121, R101 on an invoice or credit note line."""
    base_node = line.find("cac:Price/cbc:BaseQuantity", NS)
    charges = allowances = Decimal(0)
    for charge in line.iterfind("cac:AllowanceCharge", NS):
        indicator = norm(charge.findtext("cbc:ChargeIndicator", namespaces=NS))
        amount = sum((number(a) for a in charge.iterfind("cbc:Amount", NS)), Decimal(0))
        if indicator == "true":
            charges += amount
        elif indicator == "false":
            allowances += amount
    line_net_amount(
        out,
        line,
        net=number(line.find("cbc:LineExtensionAmount", NS)),
        quantity=number(line.find(quantity_tag, NS), Decimal(1)),
        price=number(line.find("cac:Price/cbc:PriceAmount", NS)),
        base=number(base_node) if base_node is not None else None,
        charges=charges,
        allowances=allowances,
        slack=slack,
    )
    references = line.findall("cac:DocumentReference", NS)
    out.check_all(
        line,
        {
            "PEPPOL-EN16931-R121": base_node is None or number(base_node) > 0,
            "PEPPOL-EN16931-R101": not references
            or any(r.findtext("cbc:DocumentTypeCode", namespaces=NS) == "130" for r in references),
        },
    )
