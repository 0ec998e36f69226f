"""XRechnung national rules for CII (UN/CEFACT CrossIndustryInvoice): BR-DE-*, BR-TMP-2, BR-TMP-3, BR-DE-TMP-32, the
extension rules and the CVD rules (contexts and tests of src/validation/schematron/cii/XRechnung-CII-validation.sch).

The CII Schematron has no BR-DEX-02, -03 or -09..-14 (sub invoice lines and third-party payments exist in the UBL
binding only); it has BR-DEX-15 instead, a warning on any ram:ParentLineID.
"""

from __future__ import annotations

from lxml import etree

from services.rechnungseingang.validation.national.common import (
    CEF_EAS_EXT_CODES,
    CII_NS,
    CVA_CODES,
    ISO_6523_ICD_EXT_CODES,
    RAM,
    SUPPORTED_TYPE_CODES,
    SUPPORTED_VAT_CODES,
    URL,
    XR_CVD_ID,
    XR_EXTENSION_ID,
    XR_IDS,
    Collector,
    cvd_code,
    cvd_item,
    filenames_unique,
    has_text,
    mime_codes,
    norm,
    payment_means,
    scheme_ids,
    seller_contact,
    skonto_ok,
    string_value,
)

NS = CII_NS

TX = "rsm:SupplyChainTradeTransaction"
AGREEMENT = f"{TX}/ram:ApplicableHeaderTradeAgreement"
SETTLEMENT = f"{TX}/ram:ApplicableHeaderTradeSettlement"
GUIDELINE = "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"


def _all(node: etree._Element, path: str) -> list[etree._Element]:
    return node.xpath(path, namespaces=NS)


def _raw(node: etree._Element, path: str) -> list[str]:
    return [found.text or "" for found in node.iterfind(path, NS)]


def _text(node: etree._Element | None) -> str | None:
    return node.text if node is not None else None


def _first(node: etree._Element, path: str) -> etree._Element | None:
    return node.find(path, NS)


def check(root: etree._Element, out: Collector) -> None:
    _document(root, out)
    for context in _all(root, "rsm:ExchangedDocumentContext"):
        guideline = _raw(context, "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")
        out.check(any(value in XR_IDS for value in guideline), "BR-DE-21", context)
    for seller in _all(root, f"{AGREEMENT}/ram:SellerTradeParty"):
        out.check(_first(seller, "ram:DefinedTradeContact") is not None, "BR-DE-2", seller)
        for address in _all(seller, "ram:PostalTradeAddress"):
            _address(out, address, "BR-DE-3", "BR-DE-4")
        for contact in _all(seller, "ram:DefinedTradeContact"):
            point = any(norm(t) for t in _raw(contact, "ram:PersonName") + _raw(contact, "ram:DepartmentName"))
            phone = _first(contact, "ram:TelephoneUniversalCommunication/ram:CompleteNumber")
            seller_contact(out, contact, point, phone, _first(contact, "ram:EmailURIUniversalCommunication/ram:URIID"))
    for address in _all(root, f"{AGREEMENT}/ram:BuyerTradeParty/ram:PostalTradeAddress"):
        _address(out, address, "BR-DE-8", "BR-DE-9")
    for reference in _all(root, f"{AGREEMENT}/ram:AdditionalReferencedDocument[ram:TypeCode = '916']"):
        uri = _first(reference, "ram:URIID")
        out.check(uri is None or URL.search(uri.text or ""), "BR-TMP-2", reference)
    for address in _all(root, f"{TX}/ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty/ram:PostalTradeAddress"):
        _address(out, address, "BR-DE-10", "BR-DE-11")
    mandate_or_creditor = bool(
        _all(root, f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID")
        or _all(root, f"{SETTLEMENT}/ram:CreditorReferenceID")
    )
    for means in _all(root, f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"):
        has = {
            name: _first(means, f"ram:{name}") is not None
            for name in (
                "PayeePartyCreditorFinancialAccount",
                "ApplicableTradeSettlementFinancialCard",
                "PayeeSpecifiedCreditorFinancialInstitution",
                "PayerSpecifiedDebtorFinancialInstitution",
            )
        }
        payer_iban = _first(means, "ram:PayerPartyDebtorFinancialAccount/ram:IBANID")
        # BG-19 has no element of its own in CII: any of BT-89, BT-90, BT-91 stands for it.
        debit = mandate_or_creditor or payer_iban is not None
        groups = (has["PayeePartyCreditorFinancialAccount"], has["ApplicableTradeSettlementFinancialCard"], debit)
        ibans = (means.findtext("ram:PayeePartyCreditorFinancialAccount/ram:IBANID", namespaces=NS), payer_iban)
        code = norm(means.findtext("ram:TypeCode", namespaces=NS))
        payment_means(out, means, code, (*groups, any(has.values())), (ibans[0], _text(ibans[1])))
    for tax in _all(root, f"{SETTLEMENT}/ram:ApplicableTradeTax"):
        out.check(has_text(_first(tax, "ram:RateApplicablePercent")), "BR-DE-14", tax)
    for tx in _all(root, TX):
        lines = _all(tx, "ram:IncludedSupplyChainTradeLineItem")
        out.check(
            _first(tx, "ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime")
            is not None
            or _first(tx, "ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod") is not None
            or all(
                _first(line, "ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod") is not None
                for line in lines
            ),
            "BR-DE-TMP-32",
            tx,
        )
        for line in lines:
            _basis_quantities(out, line)
    guideline = _raw(root, GUIDELINE)
    if XR_EXTENSION_ID in guideline:
        _extension(root, out)
    if XR_CVD_ID in guideline:
        _cvd(root, out)


def _document(root: etree._Element, out: Collector) -> None:
    """The assertions of the rule on /rsm:CrossIndustryInvoice."""
    mandate = bool(_all(root, f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID"))
    creditor = bool(_all(root, f"{SETTLEMENT}/ram:CreditorReferenceID"))
    debtor = bool(
        _all(
            root,
            f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayerPartyDebtorFinancialAccount/ram:IBANID",
        )
    )
    no_direct_debit = not (mandate or creditor or debtor)
    line_tax = f"{TX}/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"
    header_tax = f"{SETTLEMENT}/ram:SpecifiedTradeAllowanceCharge/ram:CategoryTradeTax"
    # The Schematron compares the string value of the whole ram:CategoryTradeTax with 'VAT' (as published).
    vat_used = (
        "VAT" in _raw(root, f"{line_tax}/ram:TypeCode")
        and SUPPORTED_VAT_CODES.intersection(_raw(root, f"{line_tax}/ram:CategoryCode"))
    ) or (
        any(string_value(node) == "VAT" for node in _all(root, header_tax))
        and SUPPORTED_VAT_CODES.intersection(_raw(root, f"{header_tax}/ram:CategoryCode"))
    )
    registered = [
        node
        for node in _all(root, f"{AGREEMENT}/ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID")
        if norm(node.get("schemeID")) in ("VA", "FC") and norm(node.text)
    ]
    type_codes = [norm(code) for code in _raw(root, "rsm:ExchangedDocument/ram:TypeCode")]
    notes = _all(root, f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:Description[1]")
    binaries = f"{{{RAM}}}AttachmentBinaryObject"
    out.check_all(
        root,
        {
            "BR-DE-30": ((mandate or debtor) and creditor) or no_direct_debit,
            "BR-DE-31": ((mandate or creditor) and debtor) or no_direct_debit,
            "BR-DE-1": _all(root, f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"),
            "BR-DE-15": any(norm(t) for t in _raw(root, f"{AGREEMENT}/ram:BuyerReference")),
            "BR-DE-16": not vat_used or registered or _all(root, f"{AGREEMENT}/ram:SellerTaxRepresentativeTradeParty"),
            "BR-DE-17": SUPPORTED_TYPE_CODES.intersection(type_codes),
            "BR-DE-18": all(skonto_ok(note.text) for note in notes),
            "BR-DE-22": filenames_unique(list(root.iter(f"{{{RAM}}}AdditionalReferencedDocument")), binaries),
            "BR-DE-26": "384" not in type_codes or _all(root, f"{SETTLEMENT}/ram:InvoiceReferencedDocument"),
        },
    )


def _address(out: Collector, address: etree._Element, city_rule: str, zone_rule: str) -> None:
    out.check_all(
        address,
        {
            city_rule: any(norm(t) for t in _raw(address, "ram:CityName")),
            zone_rule: any(norm(t) for t in _raw(address, "ram:PostcodeCode")),
        },
    )


def _basis_quantities(out: Collector, line: etree._Element) -> None:
    """BR-TMP-3: BT-149/BT-150 alike in the gross and the net price (the Schematron compares them as strings)."""
    gross = _all(line, "ram:SpecifiedLineTradeAgreement/ram:GrossPriceProductTradePrice/ram:BasisQuantity")
    net = _all(line, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity")
    if not (gross and net):
        return
    gross_units = {q.get("unitCode") for q in gross if q.get("unitCode") is not None}
    net_units = {q.get("unitCode") for q in net if q.get("unitCode") is not None}
    same_value = {q.text or "" for q in gross} & {q.text or "" for q in net}
    same_unit = not (gross_units and net_units) or gross_units & net_units
    out.check(same_value and same_unit, "BR-TMP-3", line)


def _extension(root: etree._Element, out: Collector) -> None:
    sub_lines = bool(_all(root, "//ram:ParentLineID"))
    for document in _all(root, f"{TX}/ram:IncludedSupplyChainTradeLineItem/ram:AssociatedDocumentLineDocument"):
        out.check(not sub_lines, "BR-DEX-15", document)
    icd = ISO_6523_ICD_EXT_CODES
    outside = "not(ancestor::ram:SpecifiedTradeProduct) and not(ancestor::ram:ShipToTradeParty)"
    scheme_ids(out, _all(root, f"//ram:GlobalID[@schemeID][{outside}]"), "BR-DEX-04", icd)
    scheme_ids(out, _all(root, "//ram:ID[@schemeID][not(ancestor::ram:SpecifiedTaxRegistration)]"), "BR-DEX-05", icd)
    scheme_ids(out, _all(root, "//ram:SpecifiedTradeProduct/ram:GlobalID[@schemeID]"), "BR-DEX-06", icd)
    uri_ids = _all(root, "//ram:URIUniversalCommunication/ram:URIID[@schemeID]")
    scheme_ids(out, uri_ids, "BR-DEX-07", CEF_EAS_EXT_CODES)
    ship_to = "//ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty/ram:GlobalID[@schemeID]"
    scheme_ids(out, _all(root, ship_to), "BR-DEX-08", icd)
    mime_codes(out, root.iter(f"{{{RAM}}}AttachmentBinaryObject"))


def _cvd(root: etree._Element, out: Collector) -> None:
    def codes(product: etree._Element, list_id: str | None = "CVD") -> list[etree._Element]:
        found = _all(product, "ram:DesignatedProductClassification/ram:ClassCode")
        return found if list_id is None else [c for c in found if c.get("listID") == list_id]

    def cva(product: etree._Element) -> list[etree._Element]:
        found = _all(product, "ram:ApplicableProductCharacteristic")
        return [c for c in found if "cva" in _raw(c, "ram:Description")]

    for tx in _all(root, TX):
        products = _all(tx, "ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedTradeProduct")
        out.check(any(codes(p) and cva(p) for p in products), "BR-DE-CVD-03", tx)
        for product in products:
            cvd_item(out, product, codes(product), cva(product))
            for code in codes(product, None):
                cvd_code(out, code)
            for characteristic in cva(product):
                value = characteristic.findtext("ram:Value", namespaces=NS)
                out.check(norm(value) in CVA_CODES, "BR-DE-CVD-05", characteristic)
    for agreement in _all(root, AGREEMENT):
        tender = [
            doc
            for doc in _all(agreement, "ram:AdditionalReferencedDocument")
            if norm(doc.findtext("ram:TypeCode", namespaces=NS)) == "50"
            and any(norm(t) for t in _raw(doc, "ram:IssuerAssignedID"))
        ]
        out.check_all(
            agreement,
            {
                "BR-DE-CVD-01": any(
                    norm(t) for t in _raw(agreement, "ram:ContractReferencedDocument/ram:IssuerAssignedID")
                ),
                "BR-DE-CVD-02": tender,
            },
        )
