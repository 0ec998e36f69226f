"""XRechnung national rules for UBL Invoice and CreditNote: BR-DE-*, BR-TMP-2, BR-DE-TMP-32, the extension rules
BR-DEX-* and the CVD rules (contexts and tests of src/validation/schematron/ubl/XRechnung-UBL-validation.sch)."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from services.rechnungseingang.validation.national.common import (
    CAC,
    CBC,
    CEF_EAS_EXT_CODES,
    CVA_CODES,
    ISO_6523_ICD_EXT_CODES,
    SUPPORTED_TYPE_CODES,
    SUPPORTED_VAT_CODES,
    UBL_NS,
    URL,
    XR_CVD_ID,
    XR_EXTENSION_ID,
    XR_IDS,
    Collector,
    cvd_code,
    cvd_item,
    decimal,
    filenames_unique,
    has_text,
    mime_codes,
    norm,
    payment_means,
    round2,
    scheme_ids,
    seller_contact,
    skonto_ok,
)

NS = UBL_NS
_GROUPS = ("PayeeFinancialAccount", "CardAccount", "PaymentMandate")  # BG-17, BG-18, BG-19
_IBANS = ("cac:PayeeFinancialAccount/cbc:ID", "cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID")


def _all(root: etree._Element, path: str) -> list[etree._Element]:
    return root.findall(path, NS)


def _raw(root: etree._Element, path: str) -> list[str]:
    return [node.text or "" for node in root.iterfind(path, NS)]


def check(root: etree._Element, out: Collector) -> None:
    credit = root.tag.endswith("}CreditNote")
    lines = _all(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
    customization = _raw(root, "cbc:CustomizationID")
    _document(root, out, lines, customization)
    for reference in root.iterfind("cac:AdditionalDocumentReference/cac:Attachment/cac:ExternalReference", NS):
        out.check(URL.search(reference.findtext("cbc:URI", default="", namespaces=NS)), "BR-TMP-2", reference)
    for supplier in _all(root, "cac:AccountingSupplierParty"):
        out.check(supplier.find("cac:Party/cac:Contact", NS) is not None, "BR-DE-2", supplier)
        for address in _all(supplier, "cac:Party/cac:PostalAddress"):
            _address(out, address, "BR-DE-3", "BR-DE-4")
        for contact in _all(supplier, "cac:Party/cac:Contact"):
            point = has_text(contact.find("cbc:Name", NS))
            seller_contact(
                out, contact, point, contact.find("cbc:Telephone", NS), contact.find("cbc:ElectronicMail", NS)
            )
    for address in _all(root, "cac:AccountingCustomerParty/cac:Party/cac:PostalAddress"):
        _address(out, address, "BR-DE-8", "BR-DE-9")
    for address in _all(root, "cac:Delivery/cac:DeliveryLocation/cac:Address"):
        _address(out, address, "BR-DE-10", "BR-DE-11")
    for means in _all(root, "cac:PaymentMeans"):
        transfer, card, debit = (means.find(f"cac:{g}", NS) is not None for g in _GROUPS)
        ibans = [means.findtext(path, namespaces=NS) for path in _IBANS]
        code = norm(means.findtext("cbc:PaymentMeansCode", namespaces=NS))
        payment_means(out, means, code, (transfer, card, debit, transfer or card), ibans)
    for subtotal in _all(root, "cac:TaxTotal/cac:TaxSubtotal"):
        out.check(has_text(subtotal.find("cac:TaxCategory/cbc:Percent", NS)), "BR-DE-14", subtotal)
    if XR_EXTENSION_ID in customization:
        _extension(root, out, credit)
    if XR_CVD_ID in customization:
        _cvd(root, out, lines)


def _document(root: etree._Element, out: Collector, lines: list[etree._Element], customization: list[str]) -> None:
    """The assertions of the rule on /ubl:Invoice | /cn:CreditNote."""
    charges = _all(root, "cac:AllowanceCharge")
    vat_codes = [
        category.text or ""
        for charge in charges
        if (charge.findtext("cbc:ChargeIndicator", namespaces=NS) or "") in ("true", "false")
        for category in charge.iterfind("cac:TaxCategory/cbc:ID", NS)
    ] + [code for line in lines for code in _raw(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID")]
    seller_tax = any(
        norm(t) for t in _raw(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID")
    )
    type_codes = [norm(code) for code in _raw(root, "cbc:InvoiceTypeCode") + _raw(root, "cbc:CreditNoteTypeCode")]
    notes = root.xpath("cac:PaymentTerms/cbc:Note[1]", namespaces=NS)
    references = _all(root, "cac:AdditionalDocumentReference")
    mandate = root.find("cac:PaymentMeans/cac:PaymentMandate", NS) is not None
    creditor = [
        node
        for path in ("cac:AccountingSupplierParty/cac:Party", "cac:PayeeParty")
        for node in root.iterfind(f"{path}/cac:PartyIdentification/cbc:ID", NS)
        if node.get("schemeID") == "SEPA"
    ]
    delivered = root.find("cac:Delivery/cbc:ActualDeliveryDate", NS) is not None
    out.check_all(
        root,
        {
            "BR-DE-1": root.find("cac:PaymentMeans", NS) is not None,
            "BR-DE-15": any(norm(t) for t in _raw(root, "cbc:BuyerReference")),
            "BR-DE-16": not SUPPORTED_VAT_CODES.intersection(vat_codes)
            or seller_tax
            or root.find("cac:TaxRepresentativeParty", NS) is not None,
            "BR-DE-17": SUPPORTED_TYPE_CODES.intersection(type_codes),
            "BR-DE-18": not notes or skonto_ok(notes[0].text),
            "BR-DE-21": any(value in XR_IDS for value in customization),
            "BR-DE-22": filenames_unique(references, f"{{{CAC}}}Attachment/{{{CBC}}}EmbeddedDocumentBinaryObject"),
            "BR-DE-26": "384" not in type_codes
            or root.find("cac:BillingReference/cac:InvoiceDocumentReference", NS) is not None,
            "BR-DE-30": not mandate or creditor,
            "BR-DE-31": not mandate
            or root.find("cac:PaymentMeans/cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID", NS) is not None,
            "BR-DE-TMP-32": delivered
            or root.find("cac:InvoicePeriod", NS) is not None
            or all(line.find("cac:InvoicePeriod", NS) is not None for line in lines),
        },
    )


def _address(out: Collector, address: etree._Element, city_rule: str, zone_rule: str) -> None:
    out.check_all(
        address,
        {
            city_rule: has_text(address.find("cbc:CityName", NS)),
            zone_rule: has_text(address.find("cbc:PostalZone", NS)),
        },
    )


def _amount(node: etree._Element, path: str) -> Decimal:
    return decimal(node.findtext(path, namespaces=NS)) or Decimal(0)


def _extension(root: etree._Element, out: Collector, credit: bool) -> None:
    mime_codes(out, root.iter(f"{{{CBC}}}EmbeddedDocumentBinaryObject"))

    def sepa_creditor(node: etree._Element) -> bool:
        return norm(node.get("schemeID")) == "SEPA" and any(
            a.tag in (f"{{{CAC}}}AccountingSupplierParty", f"{{{CAC}}}PayeeParty") for a in node.iterancestors()
        )

    def found(path: str) -> list[etree._Element]:
        return [node for node in root.iterfind(path, NS) if node.get("schemeID") is not None]

    scheme_ids(out, found(".//cac:PartyIdentification/cbc:ID"), "BR-DEX-04", ISO_6523_ICD_EXT_CODES, sepa_creditor)
    scheme_ids(out, found(".//cac:PartyLegalEntity/cbc:CompanyID"), "BR-DEX-05", ISO_6523_ICD_EXT_CODES)
    scheme_ids(out, found(".//cac:StandardItemIdentification/cbc:ID"), "BR-DEX-06", ISO_6523_ICD_EXT_CODES)
    scheme_ids(out, found(".//cbc:EndpointID"), "BR-DEX-07", CEF_EAS_EXT_CODES)
    scheme_ids(out, found(".//cac:DeliveryLocation/cbc:ID"), "BR-DEX-08", ISO_6523_ICD_EXT_CODES)
    for total in root.iter(f"{{{CAC}}}LegalMonetaryTotal"):
        parent = total.getparent()
        paid = [node.text for node in parent.iterfind("cac:PrepaidPayment/cbc:PaidAmount", NS)]
        third = sum((decimal(p) or Decimal(0)) for p in paid) if any(norm(p) for p in paid) else Decimal(0)
        due = _amount(total, "cbc:PayableAmount") - _amount(total, "cbc:PayableRoundingAmount")
        gross = _amount(total, "cbc:TaxInclusiveAmount") - _amount(total, "cbc:PrepaidAmount") + third
        out.check(round2(due) == round2(gross), "BR-DEX-09", total)
    if credit:
        return
    sums_ok = all(
        decimal(line.findtext("cbc:LineExtensionAmount", namespaces=NS))
        == sum((_amount(sub, "cbc:LineExtensionAmount") for sub in line.iterfind("cac:SubInvoiceLine", NS)), Decimal(0))
        for line in _all(root, "cac:InvoiceLine") + list(root.iter(f"{{{CAC}}}SubInvoiceLine"))
        if line.find("cac:SubInvoiceLine", NS) is not None
    )
    items = root.iterfind(".//cac:SubInvoiceLine/cac:Item", NS)
    out.check_all(
        root,
        {
            "BR-DEX-02": sums_ok,
            "BR-DEX-03": all(len(item.findall("cac:ClassifiedTaxCategory", NS)) == 1 for item in items),
        },
    )
    currency = _raw(root, "cbc:DocumentCurrencyCode")
    for payment in _all(root, "cac:PrepaidPayment"):
        paid = payment.find("cbc:PaidAmount", NS)
        out.check_all(
            payment,
            {
                "BR-DEX-10": has_text(payment.find("cbc:ID", NS)),
                "BR-DEX-11": has_text(paid),
                "BR-DEX-12": has_text(payment.find("cbc:InstructionID", NS)),
                "BR-DEX-13": paid is None or len((paid.text or "").partition(".")[2]) <= 2,
                "BR-DEX-14": paid is not None and paid.get("currencyID") in currency,
            },
        )


def _cvd(root: etree._Element, out: Collector, lines: list[etree._Element]) -> None:
    items = [item for line in lines for item in line.findall("cac:Item", NS)]

    def codes(item: etree._Element, list_id: str | None = "CVD") -> list[etree._Element]:
        found = item.findall("cac:CommodityClassification/cbc:ItemClassificationCode", NS)
        return found if list_id is None else [c for c in found if c.get("listID") == list_id]

    def cva(item: etree._Element) -> list[etree._Element]:
        return [p for p in item.iterfind("cac:AdditionalItemProperty", NS) if "cva" in _raw(p, "cbc:Name")]

    out.check_all(
        root,
        {
            "BR-DE-CVD-02": any(norm(t) for t in _raw(root, "cac:OriginatorDocumentReference/cbc:ID")),
            "BR-DE-CVD-01": any(norm(t) for t in _raw(root, "cac:ContractDocumentReference/cbc:ID")),
            "BR-DE-CVD-03": any(codes(item) and cva(item) for item in items),
        },
    )
    for item in items:
        cvd_item(out, item, codes(item), cva(item))
        for code in codes(item, None):
            cvd_code(out, code)
        for prop in cva(item):
            out.check(norm(prop.findtext("cbc:Value", namespaces=NS)) in CVA_CODES, "BR-DE-CVD-05", prop)
