"""XRechnung national rules for UBL Invoice and CreditNote: BR-DE-*, BR-TMP-2, BR-DE-TMP-32, the extension rules
BR-DEX-* and the CVD rules BR-DE-CVD-* / BR-TMP-CVD-01 (XRechnung 3.0 specification, chapter "Geschäftsregeln")."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from services.rechnungseingang.validation.artefacts import cen_code_lists
from services.rechnungseingang.validation.national.common import (
    CVA_CODES,
    CVD_VEHICLE_CATEGORIES,
    DIGA_CODES,
    EXTENSION_MIME_CODES,
    SUPPORTED_TYPE_CODES,
    SUPPORTED_VAT_CODES,
    URL,
    Collector,
    decimal,
    email_ok,
    has_text,
    iban_ok,
    norm,
    round2,
    skonto_ok,
    telephone_ok,
)

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS = {"cac": CAC, "cbc": CBC}


def _texts(root: etree._Element, path: str) -> list[str]:
    return [norm(node.text) for node in root.iterfind(path, NS)]


def check(root: etree._Element, profile: str, out: Collector) -> None:
    find = root.find
    credit = root.tag.endswith("}CreditNote")
    line_tag = "cac:CreditNoteLine" if credit else "cac:InvoiceLine"
    lines = root.findall(line_tag, NS)

    out.check(
        find("cac:PaymentMeans", NS) is not None,
        "BR-DE-1",
        "error",
        '[BR-DE-1] Eine Rechnung (INVOICE) muss Angaben zu "PAYMENT INSTRUCTIONS" (BG-16) enthalten.',
        root,
    )
    out.check(
        has_text(find("cbc:BuyerReference", NS)),
        "BR-DE-15",
        "error",
        '[BR-DE-15] Das Element "Buyer reference" (BT-10) muss übermittelt werden.',
        root,
    )

    # BR-DE-16: a VAT category that needs a seller VAT/tax number (BT-95, BT-102, BT-151).
    codes: list[str] = []
    for charge in root.iterfind("cac:AllowanceCharge", NS):
        indicator = norm(charge.findtext("cbc:ChargeIndicator", namespaces=NS))
        for category in charge.iterfind("cac:TaxCategory", NS):
            if (
                indicator == "false"
                and not credit
                and norm(category.findtext("cac:TaxScheme/cbc:ID", namespaces=NS)) != "VAT"
            ):
                continue
            codes.append(norm(category.findtext("cbc:ID", namespaces=NS)))
    for line in lines:
        codes += _texts(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID")
    if SUPPORTED_VAT_CODES.intersection(codes):
        seller_tax = any(_texts(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"))
        out.check(
            seller_tax or find("cac:TaxRepresentativeParty", NS) is not None,
            "BR-DE-16",
            "error",
            "[BR-DE-16] Wenn in einer Rechnung die Steuercodes S, Z, E, AE, K, G, L oder M verwendet werden, "
            'muss mindestens eines der Elemente "Seller VAT identifier" (BT-31), "Seller tax registration '
            'identifier" (BT-32) oder "SELLER TAX REPRESENTATIVE PARTY" (BG-11) übermittelt werden.',
            root,
        )

    type_code = norm(root.findtext("cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", namespaces=NS))
    out.check(
        type_code in SUPPORTED_TYPE_CODES,
        "BR-DE-17",
        "warning",
        '[BR-DE-17] Mit dem Element "Invoice type code" (BT-3) sollen ausschließlich die Codes 326, 380, 384, '
        "389, 381, 875, 876 und 877 der Codeliste UNTDID 1001 übermittelt werden.",
        root,
    )
    note = find("cac:PaymentTerms/cbc:Note", NS)
    out.check(
        note is None or skonto_ok(note.text),
        "BR-DE-18",
        "error",
        '[BR-DE-18] Skonto-Zeilen im Element "Payment terms" (BT-20) müssen dem Format #SKONTO#TAGE=n#'
        "PROZENT=n.nn#(BASISBETRAG=n.nn#) folgen, in Großbuchstaben, ohne zusätzliches Whitespace, und mit "
        "einem Zeilenumbruch abschließen.",
        root,
    )
    filenames = [
        ref.find("cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS).get("filename")
        for ref in root.iterfind("cac:AdditionalDocumentReference", NS)
        if ref.find("cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS) is not None
    ]
    named = [name for name in filenames if name is not None]
    out.check(
        len(named) == len(set(named)),
        "BR-DE-22",
        "error",
        '[BR-DE-22] Das "filename"-Attribut aller "EmbeddedDocumentBinaryObject"-Elemente muss eindeutig sein',
        root,
    )
    out.check(
        type_code != "384" or find("cac:BillingReference/cac:InvoiceDocumentReference", NS) is not None,
        "BR-DE-26",
        "warning",
        '[BR-DE-26] Wenn im Element "Invoice type code" (BT-3) der Code 384 (Corrected invoice) übergeben wird, '
        "soll PRECEDING INVOICE REFERENCE BG-3 mind. einmal vorhanden sein.",
        root,
    )
    if find("cac:PaymentMeans/cac:PaymentMandate", NS) is not None:
        creditor = [
            node
            for node in root.iterfind("cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID", NS)
            if node.get("schemeID") == "SEPA"
        ] + [
            node
            for node in root.iterfind("cac:PayeeParty/cac:PartyIdentification/cbc:ID", NS)
            if node.get("schemeID") == "SEPA"
        ]
        out.check(
            creditor,
            "BR-DE-30",
            "error",
            '[BR-DE-30] Wenn "DIRECT DEBIT" BG-19 vorhanden ist, dann muss "Bank assigned creditor identifier" '
            "BT-90 übermittelt werden.",
            root,
        )
        out.check(
            find("cac:PaymentMeans/cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID", NS) is not None,
            "BR-DE-31",
            "error",
            '[BR-DE-31] Wenn "DIRECT DEBIT" BG-19 vorhanden ist, dann muss "Debited account identifier" BT-91 '
            "übermittelt werden.",
            root,
        )
    delivered = find("cac:Delivery/cbc:ActualDeliveryDate", NS) is not None or find("cac:InvoicePeriod", NS) is not None
    out.check(
        delivered or all(line.find("cac:InvoicePeriod", NS) is not None for line in lines),
        "BR-DE-TMP-32",
        "information",
        '[BR-DE-TMP-32] Eine Rechnung sollte zur Angabe des Liefer-/Leistungsdatums entweder BT-72 "Actual '
        'delivery date", BG-14 "Invoicing period" oder in jeder Rechnungsposition BG-26 "Invoice line period" '
        "enthalten.",
        root,
    )
    for ref in root.iterfind("cac:AdditionalDocumentReference/cac:Attachment/cac:ExternalReference", NS):
        out.check(
            URL.search(ref.findtext("cbc:URI", default="", namespaces=NS)),
            "BR-TMP-2",
            "warning",
            '[BR-TMP-2] BT-124 "External document location" muss eine absolute URL mit gültigem Schema enthalten.',
            ref,
        )

    supplier = find("cac:AccountingSupplierParty", NS)
    if supplier is not None:
        out.check(
            supplier.find("cac:Party/cac:Contact", NS) is not None,
            "BR-DE-2",
            "error",
            '[BR-DE-2] Die Gruppe "SELLER CONTACT" (BG-6) muss übermittelt werden.',
            supplier,
        )
        _address(
            out, supplier.find("cac:Party/cac:PostalAddress", NS), "BR-DE-3", "BR-DE-4", "Seller", "BT-37", "BT-38"
        )
        contact = supplier.find("cac:Party/cac:Contact", NS)
        if contact is not None:
            out.check(
                has_text(contact.find("cbc:Name", NS)),
                "BR-DE-5",
                "error",
                '[BR-DE-5] Das Element "Seller contact point" (BT-41) muss übermittelt werden.',
                contact,
            )
            out.check(
                has_text(contact.find("cbc:Telephone", NS)),
                "BR-DE-6",
                "error",
                '[BR-DE-6] Das Element "Seller contact telephone number" (BT-42) muss übermittelt werden.',
                contact,
            )
            out.check(
                has_text(contact.find("cbc:ElectronicMail", NS)),
                "BR-DE-7",
                "error",
                '[BR-DE-7] Das Element "Seller contact email address" (BT-43) muss übermittelt werden.',
                contact,
            )
            out.check(
                telephone_ok(contact.findtext("cbc:Telephone", namespaces=NS)),
                "BR-DE-27",
                "warning",
                "[BR-DE-27] In BT-42 sollen mindestens drei Ziffern enthalten sein.",
                contact,
            )
            out.check(
                email_ok(contact.findtext("cbc:ElectronicMail", namespaces=NS)),
                "BR-DE-28",
                "warning",
                "[BR-DE-28] In BT-43 soll genau ein @-Zeichen enthalten sein, welches nicht von einem "
                "Leerzeichen, einem Punkt, aber mindestens zwei Zeichen auf beiden Seiten flankiert werden soll.",
                contact,
            )
    _address(
        out,
        find("cac:AccountingCustomerParty/cac:Party/cac:PostalAddress", NS),
        "BR-DE-8",
        "BR-DE-9",
        "Buyer",
        "BT-52",
        "BT-53",
    )
    _address(
        out,
        find("cac:Delivery/cac:DeliveryLocation/cac:Address", NS),
        "BR-DE-10",
        "BR-DE-11",
        "Deliver to",
        "BT-77",
        "BT-78",
    )

    for means in root.iterfind("cac:PaymentMeans", NS):
        _payment_means(out, means)
    for subtotal in root.iterfind("cac:TaxTotal/cac:TaxSubtotal", NS):
        out.check(
            has_text(subtotal.find("cac:TaxCategory/cbc:Percent", NS)),
            "BR-DE-14",
            "error",
            '[BR-DE-14] Das Element "VAT category rate" (BT-119) muss übermittelt werden.',
            subtotal,
        )

    if profile == "extension":
        _extension(root, out, credit)
    if profile == "cvd":
        _cvd(root, out, lines)


def _address(out: Collector, address, city_rule, zone_rule, who, city_bt, zone_bt) -> None:
    if address is None:
        return
    out.check(
        has_text(address.find("cbc:CityName", NS)),
        city_rule,
        "error",
        f'[{city_rule}] Das Element "{who} city" ({city_bt}) muss übermittelt werden.',
        address,
    )
    out.check(
        has_text(address.find("cbc:PostalZone", NS)),
        zone_rule,
        "error",
        f'[{zone_rule}] Das Element "{who} post code" ({zone_bt}) muss übermittelt werden.',
        address,
    )


def _payment_means(out: Collector, means: etree._Element) -> None:
    code = norm(means.findtext("cbc:PaymentMeansCode", namespaces=NS))
    has = {
        name: means.find(f"cac:{name}", NS) is not None
        for name in ("PayeeFinancialAccount", "CardAccount", "PaymentMandate")
    }
    if code in ("30", "58"):
        if code == "58":
            out.check(
                iban_ok(means.findtext("cac:PayeeFinancialAccount/cbc:ID", namespaces=NS)),
                "BR-DE-19",
                "warning",
                '[BR-DE-19] "Payment account identifier" (BT-84) soll eine korrekte IBAN enthalten, '
                'wenn in "Payment means type code" (BT-81) mit dem Code 58 SEPA als Zahlungsmittel gefordert '
                "wird.",
                means,
            )
        out.check(
            has["PayeeFinancialAccount"],
            "BR-DE-23-a",
            "error",
            '[BR-DE-23-a] Wenn BT-81 "Payment means type code" einen Schlüssel für Überweisungen enthält (30, '
            '58), muss BG-17 "CREDIT TRANSFER" übermittelt werden.',
            means,
        )
        out.check(
            not has["CardAccount"] and not has["PaymentMandate"],
            "BR-DE-23-b",
            "error",
            '[BR-DE-23-b] Wenn BT-81 "Payment means type code" einen Schlüssel für Überweisungen enthält (30, '
            "58), dürfen BG-18 und BG-19 nicht übermittelt werden.",
            means,
        )
    elif code in ("48", "54", "55"):
        out.check(
            has["CardAccount"],
            "BR-DE-24-a",
            "error",
            '[BR-DE-24-a] Wenn BT-81 "Payment means type code" einen Schlüssel für Kartenzahlungen enthält (48, '
            '54, 55), muss genau BG-18 "PAYMENT CARD INFORMATION" übermittelt werden.',
            means,
        )
        out.check(
            not has["PayeeFinancialAccount"] and not has["PaymentMandate"],
            "BR-DE-24-b",
            "error",
            '[BR-DE-24-b] Wenn BT-81 "Payment means type code" einen Schlüssel für Kartenzahlungen enthält (48, '
            "54, 55), dürfen BG-17 und BG-19 nicht übermittelt werden.",
            means,
        )
    elif code == "59":
        out.check(
            iban_ok(means.findtext("cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID", namespaces=NS)),
            "BR-DE-20",
            "warning",
            '[BR-DE-20] "Debited account identifier" (BT-91) soll eine korrekte IBAN '
            'enthalten, wenn in "Payment means type code" (BT-81) mit dem Code 59 SEPA als Zahlungsmittel '
            "gefordert wird.",
            means,
        )
        out.check(
            has["PaymentMandate"],
            "BR-DE-25-a",
            "error",
            '[BR-DE-25-a] Wenn BT-81 "Payment means type code" einen Schlüssel für Lastschriften enthält (59), '
            'muss genau BG-19 "DIRECT DEBIT" übermittelt werden.',
            means,
        )
        out.check(
            not has["PayeeFinancialAccount"] and not has["CardAccount"],
            "BR-DE-25-b",
            "error",
            '[BR-DE-25-b] Wenn BT-81 "Payment means type code" einen Schlüssel für Lastschriften enthält (59), '
            "dürfen BG-17 und BG-18 nicht übermittelt werden.",
            means,
        )


def _scheme_rule(out: Collector, root, path: str, allowed: frozenset[str], rule: str, what: str, sepa=False) -> None:
    for node in root.iterfind(path, NS):
        scheme = node.get("schemeID")
        if scheme is None:
            continue
        value = norm(scheme)
        ok = value in allowed
        if not ok and sepa and value == "SEPA":
            ok = any(
                a.tag in (f"{{{CAC}}}AccountingSupplierParty", f"{{{CAC}}}PayeeParty") for a in node.iterancestors()
            )
        out.check(
            ok,
            rule,
            "error",
            f"[{rule}] Any scheme identifier {what} MUST be coded using one of the ISO 6523 "
            "ICD list (extended by XR01, XR02, XR03).",
            node,
        )


def _extension(root: etree._Element, out: Collector, credit: bool) -> None:
    lists = cen_code_lists()
    icd = lists["BR-CL-10"] | DIGA_CODES
    for binary in root.iter(f"{{{CBC}}}EmbeddedDocumentBinaryObject"):
        out.check(
            binary.get("mimeCode") in EXTENSION_MIME_CODES,
            "BR-DEX-01",
            "error",
            f'[BR-DEX-01] Das Element "Attached Document" (BT-125) benutzt einen nicht zulässigen MIME-Code: '
            f"{binary.get('mimeCode')}. Im Falle einer Extension darf zusätzlich der MIME-Code application/xml "
            "genutzt werden.",
            binary,
        )
    _scheme_rule(out, root, ".//cac:PartyIdentification/cbc:ID", icd, "BR-DEX-04", "for a party", sepa=True)
    _scheme_rule(
        out,
        root,
        ".//cac:PartyLegalEntity/cbc:CompanyID",
        lists["BR-CL-11"] | DIGA_CODES,
        "BR-DEX-05",
        "for a legal registration",
    )
    _scheme_rule(
        out,
        root,
        ".//cac:StandardItemIdentification/cbc:ID",
        lists["BR-CL-21"] | DIGA_CODES,
        "BR-DEX-06",
        "for an item",
    )
    _scheme_rule(out, root, ".//cbc:EndpointID", lists["BR-CL-25"] | DIGA_CODES, "BR-DEX-07", "for an endpoint")
    _scheme_rule(
        out,
        root,
        ".//cac:DeliveryLocation/cbc:ID",
        lists["BR-CL-26"] | DIGA_CODES,
        "BR-DEX-08",
        "for a delivery location",
    )
    if credit:
        return
    invoice_lines = root.findall("cac:InvoiceLine", NS)
    sums_ok = True
    for line in invoice_lines + list(root.iter(f"{{{CAC}}}SubInvoiceLine")):
        subs = line.findall("cac:SubInvoiceLine", NS)
        if subs:
            total = sum((decimal(s.findtext("cbc:LineExtensionAmount", namespaces=NS)) or Decimal(0)) for s in subs)
            sums_ok &= decimal(line.findtext("cbc:LineExtensionAmount", namespaces=NS)) == total
    out.check(
        sums_ok,
        "BR-DEX-02",
        "warning",
        '[BR-DEX-02] Der Wert von "Invoice line net amount" (BT-131) einer "INVOICE LINE" (BG-25) oder einer '
        '"SUB INVOICE LINE" (BG-DEX-01) soll der Summe der "Invoice line net amount" (BT-131) der direkt '
        'darunterliegenden "SUB INVOICE LINE" (BG-DEX-01) entsprechen.',
        root,
    )
    out.check(
        all(
            len(item.findall("cac:ClassifiedTaxCategory", NS)) == 1
            for item in root.iterfind(".//cac:SubInvoiceLine/cac:Item", NS)
        ),
        "BR-DEX-03",
        "error",
        '[BR-DEX-03] Eine Sub Invoice Line (BG-DEX-01) muss genau eine "SUB INVOICE LINE VAT INFORMATION" '
        "(BG-DEX-06) enthalten.",
        root,
    )
    total = root.find("cac:LegalMonetaryTotal", NS)
    if total is not None:
        payable = decimal(total.findtext("cbc:PayableAmount", namespaces=NS)) or Decimal(0)
        gross = decimal(total.findtext("cbc:TaxInclusiveAmount", namespaces=NS)) or Decimal(0)
        prepaid = decimal(total.findtext("cbc:PrepaidAmount", namespaces=NS)) or Decimal(0)
        rounding = decimal(total.findtext("cbc:PayableRoundingAmount", namespaces=NS)) or Decimal(0)
        third = sum((decimal(p.text) or Decimal(0)) for p in root.iterfind("cac:PrepaidPayment/cbc:PaidAmount", NS))
        out.check(
            round2(payable - rounding) == round2(gross - prepaid + third),
            "BR-DEX-09",
            "error",
            "[BR-DEX-09] Amount due for payment (BT-115) = Invoice total amount with VAT (BT-112) - Paid amount "
            "(BT-113) + Rounding amount (BT-114) + Σ Third party payment amount (BT-DEX-002).",
            total,
        )
    currency = norm(root.findtext("cbc:DocumentCurrencyCode", namespaces=NS))
    for payment in root.iterfind("cac:PrepaidPayment", NS):
        paid = payment.find("cbc:PaidAmount", NS)
        out.check(
            has_text(payment.find("cbc:ID", NS)),
            "BR-DEX-10",
            "error",
            '[BR-DEX-10] Das Element "Third party payment type" BT-DEX-001 muss übermittelt werden.',
            payment,
        )
        out.check(
            has_text(paid),
            "BR-DEX-11",
            "error",
            '[BR-DEX-11] Das Element "Third party payment amount" BT-DEX-002 muss übermittelt werden.',
            payment,
        )
        out.check(
            has_text(payment.find("cbc:InstructionID", NS)),
            "BR-DEX-12",
            "error",
            '[BR-DEX-12] Das Element "Third party payment description" BT-DEX-003 muss übermittelt werden.',
            payment,
        )
        out.check(
            paid is None or len((paid.text or "").partition(".")[2]) <= 2,
            "BR-DEX-13",
            "error",
            '[BR-DEX-13] Die maximale Anzahl zulässiger Nachkommastellen für "Third party payment amount" '
            "(BT-DEX-002) ist 2.",
            payment,
        )
        out.check(
            paid is not None and paid.get("currencyID") == currency,
            "BR-DEX-14",
            "error",
            '[BR-DEX-14] Die Währungsangabe von "Third party payment amount" BT-DEX-002 muss BT-5 ("Invoice '
            'currency code") entsprechen.',
            payment,
        )


def _cvd(root: etree._Element, out: Collector, lines: list[etree._Element]) -> None:
    out.check(
        has_text(root.find("cac:OriginatorDocumentReference/cbc:ID", NS)),
        "BR-DE-CVD-02",
        "error",
        '[BR-DE-CVD-02] Das Element "Tender or lot reference" (BT-17) muss übermittelt werden.',
        root,
    )
    out.check(
        has_text(root.find("cac:ContractDocumentReference/cbc:ID", NS)),
        "BR-DE-CVD-01",
        "error",
        '[BR-DE-CVD-01] Das Element "Contract reference" (BT-12) muss übermittelt werden.',
        root,
    )
    items = [item for line in lines for item in line.findall("cac:Item", NS)]

    def cvd_codes(item: etree._Element) -> list[etree._Element]:
        return [
            c
            for c in item.iterfind("cac:CommodityClassification/cbc:ItemClassificationCode", NS)
            if c.get("listID") == "CVD"
        ]

    def cva(item: etree._Element) -> list[etree._Element]:
        return [
            p
            for p in item.iterfind("cac:AdditionalItemProperty", NS)
            if norm(p.findtext("cbc:Name", namespaces=NS)) == "cva" or p.findtext("cbc:Name", namespaces=NS) == "cva"
        ]

    out.check(
        any(cvd_codes(item) and cva(item) for item in items),
        "BR-DE-CVD-03",
        "error",
        "[BR-DE-CVD-03] In einer Rechnung muss mindestens eine INVOICE LINE (BG-25) enthalten sein, in der der "
        'Scheme identifier von "Item classification identifier" (BT-158) den Wert \'CVD\' und der "Item '
        "attribute name\" (BT-160) den Wert 'cva' enthält.",
        root,
    )
    allowed = cen_code_lists()["BR-CL-13"] | {"CVD"}
    for item in items:
        out.check(
            not cvd_codes(item) or len(cva(item)) == 1,
            "BR-DE-CVD-06-a",
            "error",
            "[BR-DE-CVD-06-a] Mit Scheme identifier 'CVD' in BT-158 muss dieselbe Rechnungszeile genau ein "
            "\"Item attribute name\" (BT-160) 'cva' enthalten.",
            item,
        )
        out.check(
            not cva(item) or len(cvd_codes(item)) == 1,
            "BR-DE-CVD-06-b",
            "error",
            "[BR-DE-CVD-06-b] Mit \"Item attribute name\" (BT-160) 'cva' muss dieselbe Rechnungszeile genau ein "
            "BT-158 mit dem Scheme identifier 'CVD' enthalten.",
            item,
        )
        for code in item.iterfind("cac:CommodityClassification/cbc:ItemClassificationCode", NS):
            list_id = norm(code.get("listID"))
            out.check(
                list_id in allowed,
                "BR-TMP-CVD-01",
                "error",
                '[BR-TMP-CVD-01] Das Bildungsschema für "Item classification identifier" (BT-158) ist aus der '
                "Codeliste UNTDID 7143 zu wählen.",
                code,
            )
            out.check(
                list_id != "CVD" or norm(code.text) in CVD_VEHICLE_CATEGORIES,
                "BR-DE-CVD-04",
                "error",
                "[BR-DE-CVD-04] Ein BT-158 mit dem Scheme identifier 'CVD' muss eine zulässige Fahrzeugkategorie "
                "(M1, M2, M3, N1, N2, N3) enthalten.",
                code,
            )
        for prop in cva(item):
            out.check(
                norm(prop.findtext("cbc:Value", namespaces=NS)) in CVA_CODES,
                "BR-DE-CVD-05",
                "error",
                "[BR-DE-CVD-05] Hat BT-160 den Wert 'cva', muss BT-161 einen der Werte clean, zero-emission, "
                "other enthalten.",
                prop,
            )
