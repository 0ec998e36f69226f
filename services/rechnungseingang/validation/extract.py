"""Key data of an invoice (EN 16931 business terms) for routing and rendering, from UBL or CII.

The values are read as written (strings); amounts stay decimal strings so that nothing is rounded on the way
to the Laufzettel or the authority's rendering.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
UBL_NS = {"cac": CAC, "cbc": CBC}
CII_NS = {"ram": RAM, "rsm": RSM, "udt": UDT}


def _text(node: etree._Element | None) -> str | None:
    if node is None or node.text is None:
        return None
    value = node.text.strip()
    return value or None


def _ubl(root: etree._Element, syntax: str) -> dict[str, Any]:
    def one(path: str, base: etree._Element = root) -> str | None:
        return _text(base.find(path, UBL_NS))

    seller = root.find("cac:AccountingSupplierParty/cac:Party", UBL_NS)
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", UBL_NS)
    line_tag = "cac:CreditNoteLine" if syntax == "ubl-creditnote" else "cac:InvoiceLine"
    quantity_tag = "cbc:CreditedQuantity" if syntax == "ubl-creditnote" else "cbc:InvoicedQuantity"
    lines = []
    for line in root.iterfind(line_tag, UBL_NS):
        quantity = line.find(quantity_tag, UBL_NS)
        lines.append(
            {
                "id": one("cbc:ID", line),
                "name": one("cac:Item/cbc:Name", line),
                "quantity": _text(quantity),
                "unit": quantity.get("unitCode") if quantity is not None else None,
                "net": one("cbc:LineExtensionAmount", line),
            }
        )
    attachments = []
    for reference in root.iterfind("cac:AdditionalDocumentReference", UBL_NS):
        binary = reference.find("cac:Attachment/cbc:EmbeddedDocumentBinaryObject", UBL_NS)
        if binary is not None:
            attachments.append(
                {"id": one("cbc:ID", reference), "filename": binary.get("filename"), "mime": binary.get("mimeCode")}
            )
    tax_total = None
    currency = one("cbc:DocumentCurrencyCode")
    for total in root.iterfind("cac:TaxTotal/cbc:TaxAmount", UBL_NS):
        if currency is None or total.get("currencyID") == currency:
            tax_total = _text(total)
            break
    type_code = one("cbc:CreditNoteTypeCode") if syntax == "ubl-creditnote" else one("cbc:InvoiceTypeCode")
    seller_id = None
    if seller is not None:
        seller_id = one("cac:PartyIdentification/cbc:ID", seller)
    vat_id = None
    if seller is not None:
        for scheme in seller.iterfind("cac:PartyTaxScheme", UBL_NS):
            if one("cac:TaxScheme/cbc:ID", scheme) == "VAT":
                vat_id = one("cbc:CompanyID", scheme)
    return {
        "customization_id": one("cbc:CustomizationID"),
        "invoice_number": one("cbc:ID"),
        "issue_date": one("cbc:IssueDate"),
        "type_code": type_code,
        "currency": currency,
        "buyer_reference": one("cbc:BuyerReference"),
        "seller_name": one("cac:PartyLegalEntity/cbc:RegistrationName", seller) if seller is not None else None,
        "seller_id": seller_id,
        "vat_id": vat_id,
        "buyer_name": one("cac:PartyLegalEntity/cbc:RegistrationName", buyer) if buyer is not None else None,
        "totals": {
            "net": one("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount"),
            "tax": tax_total,
            "gross": one("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"),
            "payable": one("cac:LegalMonetaryTotal/cbc:PayableAmount"),
        },
        "lines": lines,
        "attachments": attachments,
    }


def _cii(root: etree._Element) -> dict[str, Any]:
    def one(path: str, base: etree._Element = root) -> str | None:
        return _text(base.find(path, CII_NS))

    transaction = root.find("rsm:SupplyChainTradeTransaction", CII_NS)
    agreement = transaction.find("ram:ApplicableHeaderTradeAgreement", CII_NS) if transaction is not None else None
    settlement = transaction.find("ram:ApplicableHeaderTradeSettlement", CII_NS) if transaction is not None else None
    seller = agreement.find("ram:SellerTradeParty", CII_NS) if agreement is not None else None
    buyer = agreement.find("ram:BuyerTradeParty", CII_NS) if agreement is not None else None
    summation = (
        settlement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", CII_NS)
        if settlement is not None
        else None
    )
    currency = one("ram:InvoiceCurrencyCode", settlement) if settlement is not None else None
    tax_total = None
    if summation is not None:
        for total in summation.iterfind("ram:TaxTotalAmount", CII_NS):
            if currency is None or total.get("currencyID") in (None, currency):
                tax_total = _text(total)
                break
    lines = []
    if transaction is not None:
        for item in transaction.iterfind("ram:IncludedSupplyChainTradeLineItem", CII_NS):
            quantity = item.find("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", CII_NS)
            lines.append(
                {
                    "id": one("ram:AssociatedDocumentLineDocument/ram:LineID", item),
                    "name": one("ram:SpecifiedTradeProduct/ram:Name", item),
                    "quantity": _text(quantity),
                    "unit": quantity.get("unitCode") if quantity is not None else None,
                    "net": one(
                        "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation"
                        "/ram:LineTotalAmount",
                        item,
                    ),
                }
            )
    attachments = []
    if agreement is not None:
        for reference in agreement.iterfind("ram:AdditionalReferencedDocument", CII_NS):
            binary = reference.find("ram:AttachmentBinaryObject", CII_NS)
            if binary is not None:
                attachments.append(
                    {
                        "id": one("ram:IssuerAssignedID", reference),
                        "filename": binary.get("filename"),
                        "mime": binary.get("mimeCode"),
                    }
                )
    vat_id = None
    if seller is not None:
        for registration in seller.iterfind("ram:SpecifiedTaxRegistration/ram:ID", CII_NS):
            if registration.get("schemeID") == "VA":
                vat_id = _text(registration)
    seller_id = None
    if seller is not None:
        seller_id = one("ram:ID", seller) or one("ram:GlobalID", seller)
    return {
        "customization_id": one("rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"),
        "invoice_number": one("rsm:ExchangedDocument/ram:ID"),
        "issue_date": one("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"),
        "type_code": one("rsm:ExchangedDocument/ram:TypeCode"),
        "currency": currency,
        "buyer_reference": one("ram:BuyerReference", agreement) if agreement is not None else None,
        "seller_name": one("ram:Name", seller) if seller is not None else None,
        "seller_id": seller_id,
        "vat_id": vat_id,
        "buyer_name": one("ram:Name", buyer) if buyer is not None else None,
        "totals": {
            "net": one("ram:TaxBasisTotalAmount", summation) if summation is not None else None,
            "tax": tax_total,
            "gross": one("ram:GrandTotalAmount", summation) if summation is not None else None,
            "payable": one("ram:DuePayableAmount", summation) if summation is not None else None,
        },
        "lines": lines,
        "attachments": attachments,
    }


def extract(root: etree._Element, syntax: str) -> dict[str, Any]:
    data = _cii(root) if syntax == "cii" else _ubl(root, syntax)
    if data["issue_date"] and syntax == "cii" and len(data["issue_date"]) == 8 and data["issue_date"].isdigit():
        raw = data["issue_date"]  # CII format 102 (YYYYMMDD) → ISO date like UBL
        data["issue_date"] = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
    return {"syntax": syntax, **data}
