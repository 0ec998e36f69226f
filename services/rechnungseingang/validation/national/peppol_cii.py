"""The Peppol BIS Billing 3.0 rules XRechnung merges into its CII rule set.

Source: the XRechnung Schematron (itplr-kosit/xrechnung-schematron v2.5.0) builds its CII rules from Peppol's
PEPPOL-EN16931-CII.sch (rules/sch/ of OpenPEPPOL/peppol-bis-invoice-3) with src/xsl/peppol-into-xr.xsl, keeping the
rules of the whitelist src/xsl/rule-list.xml. Flags are Peppol's (all fatal) except R120, which the transformation
sets to warning. The transformation also

- adds R008 for CII (context ``//*[not(name() = 'ram:ApplicableHeaderTradeDelivery') and not(*) and
  not(normalize-space())]``, fatal) and R044/R046 on ram:GrossPriceProductTradePrice (fatal);
- replaces the tests of R053 (at most one ram:TaxTotalAmount in the invoice currency) and R055 (only when the
  invoice-currency VAT total is present), and the texts of R053, R054 and R101;
- numbers R043, which stands twice in Peppol's CII pattern, as R043-1 (ram:SpecifiedTradeAllowanceCharge) and
  R043-2 (ram:AppliedTradeAllowanceCharge);
- gives R040 and R120 a slack of 0.5 for HUF, and R120 the gross base quantity when the net one is absent or 0.

R120 entered the CII rule set with v2.5.0 (v2.0.0-v2.4.0 left it out for CII).
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from services.rechnungseingang.validation.national.common import (
    CII_NS,
    RAM,
    RSM,
    UDT,
    Collector,
    allowance_charge,
    decimal,
    empty_elements,
    line_net_amount,
    norm,
    number,
    slack_for,
)

NS = CII_NS
_CHARGE = (
    f"{{{RAM}}}CalculationPercent",
    f"{{{RAM}}}BasisAmount",
    f"{{{RAM}}}ActualAmount",
    f"{{{RAM}}}ChargeIndicator/{{{UDT}}}Indicator",
)
SETTLEMENT = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"


def _all(node: etree._Element, path: str) -> list[etree._Element]:
    return node.xpath(path, namespaces=NS)


def _indicator(node: etree._Element) -> str:
    return norm(node.findtext("ram:ChargeIndicator/udt:Indicator", namespaces=NS))


def check(root: etree._Element, out: Collector) -> None:
    for element in empty_elements(root, keep="ram:ApplicableHeaderTradeDelivery"):
        out.fail("PEPPOL-EN16931-R008", element)
    # Global lets of the Peppol CII Schematron: the elements themselves (compared by their string value).
    currency = [node.text or "" for node in _all(root, f"{SETTLEMENT}/ram:InvoiceCurrencyCode")]
    tax_currency = [node.text or "" for node in _all(root, f"{SETTLEMENT}/ram:TaxCurrencyCode")]
    slack = slack_for(currency[0] if currency else None)
    for context in root.iter(f"{{{RSM}}}ExchangedDocumentContext"):
        found = context.find("ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", NS) is not None
        out.check(found, "PEPPOL-EN16931-R001", context)
    for settlement in root.iter(f"{{{RAM}}}ApplicableHeaderTradeSettlement"):
        _settlement(out, settlement, currency, tax_currency)
    for party, rule in ((f"{{{RAM}}}BuyerTradeParty", "R010"), (f"{{{RAM}}}SellerTradeParty", "R020")):
        for node in root.iter(party):
            out.check(
                node.find("ram:URIUniversalCommunication/ram:URIID", NS) is not None, f"PEPPOL-EN16931-{rule}", node
            )
    for charge in root.iter(f"{{{RAM}}}SpecifiedTradeAllowanceCharge"):
        allowance_charge(out, charge, _CHARGE, "PEPPOL-EN16931-R043-1", slack)
    for charge in root.iter(f"{{{RAM}}}AppliedTradeAllowanceCharge"):
        out.check(_indicator(charge) in ("true", "false"), "PEPPOL-EN16931-R043-2", charge)
    for means in root.iter(f"{{{RAM}}}SpecifiedTradeSettlementPaymentMeans"):
        if norm(means.findtext("ram:TypeCode", namespaces=NS)) in ("49", "59"):
            mandate = means.getparent().find("ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID", NS)
            out.check(mandate is not None, "PEPPOL-EN16931-R061", means)
    _line_periods(root, out)
    for line in root.iter(f"{{{RAM}}}IncludedSupplyChainTradeLineItem"):
        _line(out, line, slack)
    for price in root.iter(f"{{{RAM}}}NetPriceProductTradePrice", f"{{{RAM}}}GrossPriceProductTradePrice"):
        base = price.find("ram:BasisQuantity", NS)
        out.check(base is None or number(base) > 0, "PEPPOL-EN16931-R121", price)
        for quantity in price.iterfind("ram:BasisQuantity[@unitCode]", NS):
            billed = _all(quantity, "../../../ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode")
            out.check(quantity.get("unitCode") in billed, "PEPPOL-EN16931-R130", quantity)
    gross_prices = (
        "rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeAgreement"
        "/ram:GrossPriceProductTradePrice"
    )
    for gross in _all(root, f"//{gross_prices}"):
        _gross_price(out, gross)


def _settlement(out: Collector, settlement, currency: list[str], tax_currency: list[str]) -> None:
    """R005, R053, R054, R055 on ram:ApplicableHeaderTradeSettlement."""
    totals = settlement.findall("ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount", NS)

    def amounts(codes: list[str]) -> list[Decimal]:
        return [number(t) for t in totals if t.get("currencyID") in codes]

    in_currency = [t for t in totals if t.get("currencyID") is not None and t.get("currencyID") in currency]
    other = [t for t in totals if t.get("currencyID") is not None and any(t.get("currencyID") != c for c in currency)]
    own_tax_currency = settlement.find("ram:TaxCurrencyCode", NS)
    own_currency = settlement.findtext("ram:InvoiceCurrencyCode", namespaces=NS)
    sign_ok = True
    if tax_currency and in_currency:
        accounting, invoice = amounts(tax_currency), amounts(currency)
        negative = any(a < 0 for a in accounting) and any(a < 0 for a in invoice)
        positive = any(a >= 0 for a in accounting) and any(a >= 0 for a in invoice)
        sign_ok = negative or positive
    out.check_all(
        settlement,
        {
            "PEPPOL-EN16931-R005": own_tax_currency is None or norm(own_tax_currency.text) != norm(own_currency),
            "PEPPOL-EN16931-R053": len(in_currency) <= 1,
            "PEPPOL-EN16931-R054": len(other) == (1 if own_tax_currency is not None else 0),
            "PEPPOL-EN16931-R055": sign_ok,
        },
    )


def _line_periods(root: etree._Element, out: Collector) -> None:
    """R110/R111: a line period within the invoice period (dates as CCYYMMDD strings, compared as strings)."""
    line_period = "ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod"
    for tx in root.iter(f"{{{RSM}}}SupplyChainTradeTransaction"):
        for edge, rule, later in (("StartDateTime", "R110", True), ("EndDateTime", "R111", False)):
            header = _all(tx, f"ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod/ram:{edge}")
            if not header:
                continue
            bounds = [d.text or "" for h in header for d in h.iterfind("udt:DateTimeString", NS)]
            for node in _all(tx, f"{line_period}/ram:{edge}"):
                dates = [d.text or "" for d in node.iterfind("udt:DateTimeString", NS)]
                ok = any((d >= b) if later else (d <= b) for d in dates for b in bounds)
                out.check(ok, f"PEPPOL-EN16931-{rule}", node)


def _line(out: Collector, line: etree._Element, slack: Decimal) -> None:
    """R120 and R101 on ram:IncludedSupplyChainTradeLineItem."""
    agreement = "ram:SpecifiedLineTradeAgreement"
    base = None
    for price in ("ram:NetPriceProductTradePrice", "ram:GrossPriceProductTradePrice"):
        node = line.find(f"{agreement}/{price}/ram:BasisQuantity", NS)
        if node is not None and number(node) != 0:
            base = number(node)
            break
    charges = allowances = Decimal(0)
    for charge in line.iterfind("ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge", NS):
        amount = sum((number(a) for a in charge.iterfind("ram:ActualAmount", NS)), Decimal(0))
        if _indicator(charge) == "true":
            charges += amount
        elif _indicator(charge) == "false":
            allowances += amount
    line_net_amount(
        out,
        line,
        net=number(
            line.find(
                "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
                NS,
            )
        ),
        quantity=number(line.find("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", NS), Decimal(1)),
        price=number(line.find(f"{agreement}/ram:NetPriceProductTradePrice/ram:ChargeAmount", NS)),
        base=base,
        charges=charges,
        allowances=allowances,
        slack=slack,
    )
    references = line.findall("ram:SpecifiedLineTradeSettlement/ram:AdditionalReferencedDocument", NS)
    out.check(
        not references or any(r.findtext("ram:TypeCode", namespaces=NS) == "130" for r in references),
        "PEPPOL-EN16931-R101",
        line,
    )


def _gross_price(out: Collector, gross: etree._Element) -> None:
    """R044 and R046 on the gross price of a line (the rules peppol-into-xr.xsl adds for CII)."""
    charges = gross.findall("ram:AppliedTradeAllowanceCharge", NS)
    with_amount = any(c.find("ram:ActualAmount", NS) is not None for c in charges)
    indicators = [i.text for c in charges for i in c.iterfind("ram:ChargeIndicator/udt:Indicator", NS)]
    out.check(not with_amount or "false" in indicators, "PEPPOL-EN16931-R044", gross)
    amount = gross.find("ram:ChargeAmount", NS)
    if amount is None:
        return
    discount = next((a for c in charges for a in c.findall("ram:ActualAmount", NS)[:1]), None)
    net = gross.getparent().find("ram:NetPriceProductTradePrice/ram:ChargeAmount", NS)
    ok = net is not None and decimal(net.text) == number(amount) - number(discount)
    out.check(ok, "PEPPOL-EN16931-R046", gross)
