"""The Peppol BIS Billing 3.0 rules XRechnung merges into its UBL rule set (whitelist of the XRechnung Schematron:
R001, R005, R008, R010, R020, R041-R044, R053, R054, R061, R110, R111, R120, R121, R130). Conditions and flags
follow Peppol BIS Billing 3.0; R008 and R120 are warnings, the others fatal."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from services.rechnungseingang.validation.national.common import Collector, decimal, has_text, norm

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS = {"cac": CAC, "cbc": CBC}


def _empty_elements(root: etree._Element) -> list[etree._Element]:
    """Elements without child elements and without non-blank text (and, as Peppol counts it, without attributes
    is not required: an element with only attributes still counts as empty content)."""
    empty = []
    for element in root.iter(etree.Element):
        if len(element) == 0 and not (element.text or "").strip():
            empty.append(element)
        elif (
            len(element)
            and not any(isinstance(child.tag, str) for child in element)
            and not (element.text or "").strip()
        ):
            empty.append(element)
    return empty


def check(root: etree._Element, out: Collector) -> None:
    out.check(
        has_text(root.find("cbc:ProfileID", NS)),
        "PEPPOL-EN16931-R001",
        "error",
        "[PEPPOL-EN16931-R001] Business process MUST be provided.",
        root,
    )
    tax_currency = norm(root.findtext("cbc:TaxCurrencyCode", namespaces=NS))
    currency = norm(root.findtext("cbc:DocumentCurrencyCode", namespaces=NS))
    out.check(
        not tax_currency or tax_currency != currency,
        "PEPPOL-EN16931-R005",
        "error",
        "[PEPPOL-EN16931-R005] VAT accounting currency code MUST be different from invoice currency code when "
        "provided.",
        root,
    )
    for element in _empty_elements(root):
        out.fail(
            "PEPPOL-EN16931-R008", "warning", "[PEPPOL-EN16931-R008] Document MUST not contain empty elements.", element
        )
    out.check(
        root.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NS) is not None,
        "PEPPOL-EN16931-R010",
        "error",
        "[PEPPOL-EN16931-R010] Buyer electronic address MUST be provided",
        root,
    )
    out.check(
        root.find("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", NS) is not None,
        "PEPPOL-EN16931-R020",
        "error",
        "[PEPPOL-EN16931-R020] Seller electronic address MUST be provided",
        root,
    )
    for charge in root.iter(f"{{{CAC}}}AllowanceCharge"):
        base = charge.find("cbc:BaseAmount", NS)
        percent = charge.find("cbc:MultiplierFactorNumeric", NS)
        price_level = charge.getparent() is not None and charge.getparent().tag == f"{{{CAC}}}Price"
        if not price_level:
            out.check(
                percent is None or base is not None,
                "PEPPOL-EN16931-R041",
                "error",
                "[PEPPOL-EN16931-R041] Allowance/charge base amount MUST be provided when allowance/charge "
                "percentage is provided.",
                charge,
            )
            out.check(
                base is None or percent is not None,
                "PEPPOL-EN16931-R042",
                "error",
                "[PEPPOL-EN16931-R042] Allowance/charge percentage MUST be provided when allowance/charge base "
                "amount is provided.",
                charge,
            )
        indicator = norm(charge.findtext("cbc:ChargeIndicator", namespaces=NS))
        out.check(
            indicator in ("true", "false"),
            "PEPPOL-EN16931-R043",
            "error",
            "[PEPPOL-EN16931-R043] Allowance/charge ChargeIndicator value MUST equal 'true' or 'false'",
            charge,
        )
        if price_level:
            out.check(
                indicator == "false",
                "PEPPOL-EN16931-R044",
                "error",
                "[PEPPOL-EN16931-R044] Charge on price level is NOT allowed. Only value 'false' allowed.",
                charge,
            )
    totals = root.findall("cac:TaxTotal", NS)
    with_subtotals = [t for t in totals if t.find("cac:TaxSubtotal", NS) is not None]
    out.check(
        len(with_subtotals) <= 1,
        "PEPPOL-EN16931-R053",
        "error",
        "[PEPPOL-EN16931-R053] Only one tax total with tax subtotals MUST be provided.",
        root,
    )
    if tax_currency:
        without = [t for t in totals if t.find("cac:TaxSubtotal", NS) is None]
        out.check(
            len(without) == 1,
            "PEPPOL-EN16931-R054",
            "error",
            "[PEPPOL-EN16931-R054] Only one tax total without tax subtotals MUST be provided when tax currency "
            "code is provided.",
            root,
        )
    for means in root.iterfind("cac:PaymentMeans", NS):
        if norm(means.findtext("cbc:PaymentMeansCode", namespaces=NS)) in ("49", "59"):
            out.check(
                has_text(means.find("cac:PaymentMandate/cbc:ID", NS)),
                "PEPPOL-EN16931-R061",
                "error",
                "[PEPPOL-EN16931-R061] Mandate reference MUST be provided for direct debit.",
                means,
            )
    start = norm(root.findtext("cac:InvoicePeriod/cbc:StartDate", namespaces=NS))
    end = norm(root.findtext("cac:InvoicePeriod/cbc:EndDate", namespaces=NS))
    credit = root.tag.endswith("}CreditNote")
    quantity_tag = "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity"
    for line in root.iterfind("cac:CreditNoteLine" if credit else "cac:InvoiceLine", NS):
        line_start = norm(line.findtext("cac:InvoicePeriod/cbc:StartDate", namespaces=NS))
        line_end = norm(line.findtext("cac:InvoicePeriod/cbc:EndDate", namespaces=NS))
        # ISO dates compare correctly as strings.
        out.check(
            not (start and line_start) or line_start >= start,
            "PEPPOL-EN16931-R110",
            "error",
            "[PEPPOL-EN16931-R110] Start date of line period MUST be within invoice period.",
            line,
        )
        out.check(
            not (end and line_end) or line_end <= end,
            "PEPPOL-EN16931-R111",
            "error",
            "[PEPPOL-EN16931-R111] End date of line period MUST be within invoice period.",
            line,
        )
        _line_amount(out, line, quantity_tag)


def _line_amount(out: Collector, line: etree._Element, quantity_tag: str) -> None:
    quantity_node = line.find(quantity_tag, NS)
    quantity = decimal(quantity_node.text if quantity_node is not None else None) or Decimal(0)
    price = decimal(line.findtext("cac:Price/cbc:PriceAmount", namespaces=NS)) or Decimal(0)
    base_node = line.find("cac:Price/cbc:BaseQuantity", NS)
    base = decimal(base_node.text) if base_node is not None else None
    if base_node is not None:
        out.check(
            base is not None and base > 0,
            "PEPPOL-EN16931-R121",
            "error",
            "[PEPPOL-EN16931-R121] Base quantity MUST be a positive number above zero.",
            line,
        )
        unit = base_node.get("unitCode")
        out.check(
            unit is None or quantity_node is None or unit == quantity_node.get("unitCode"),
            "PEPPOL-EN16931-R130",
            "error",
            "[PEPPOL-EN16931-R130] Unit code of price base quantity MUST be same as invoiced quantity.",
            line,
        )
    divisor = base if base is not None and base > 0 else Decimal(1)
    charges = allowances = Decimal(0)
    for charge in line.iterfind("cac:AllowanceCharge", NS):
        amount = decimal(charge.findtext("cbc:Amount", namespaces=NS)) or Decimal(0)
        if norm(charge.findtext("cbc:ChargeIndicator", namespaces=NS)) == "true":
            charges += amount
        else:
            allowances += amount
    net = decimal(line.findtext("cbc:LineExtensionAmount", namespaces=NS)) or Decimal(0)
    expected = quantity * (price / divisor) + charges - allowances
    out.check(
        abs(net - expected) <= Decimal("0.02"),
        "PEPPOL-EN16931-R120",
        "warning",
        "[PEPPOL-EN16931-R120] Invoice line net amount MUST equal (Invoiced quantity * (Item net price/item "
        "price base quantity) + Sum of invoice line charge amount - sum of invoice line allowance amount",
        line,
    )
