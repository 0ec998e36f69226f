"""XRechnung national rules for CII (UN/CEFACT CrossIndustryInvoice): BR-DE-*, BR-TMP-2, BR-DE-TMP-32, the
extension rules BR-DEX-* and the CVD rules, bound to the CII elements of the XRechnung syntax binding."""

from __future__ import annotations

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
    email_ok,
    has_text,
    iban_ok,
    norm,
    skonto_ok,
    telephone_ok,
)

RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NS = {"ram": RAM, "rsm": RSM, "udt": UDT}

_TX = "rsm:SupplyChainTradeTransaction"


def check(root: etree._Element, profile: str, out: Collector) -> None:
    tx = root.find(_TX, NS)
    if tx is None:
        return
    agreement = tx.find("ram:ApplicableHeaderTradeAgreement", NS)
    settlement = tx.find("ram:ApplicableHeaderTradeSettlement", NS)
    delivery = tx.find("ram:ApplicableHeaderTradeDelivery", NS)
    items = tx.findall("ram:IncludedSupplyChainTradeLineItem", NS)
    seller = agreement.find("ram:SellerTradeParty", NS) if agreement is not None else None
    buyer = agreement.find("ram:BuyerTradeParty", NS) if agreement is not None else None

    means_list = settlement.findall("ram:SpecifiedTradeSettlementPaymentMeans", NS) if settlement is not None else []
    out.check(
        means_list,
        "BR-DE-1",
        "error",
        '[BR-DE-1] Eine Rechnung (INVOICE) muss Angaben zu "PAYMENT INSTRUCTIONS" (BG-16) enthalten.',
        root,
    )
    out.check(
        agreement is not None and has_text(agreement.find("ram:BuyerReference", NS)),
        "BR-DE-15",
        "error",
        '[BR-DE-15] Das Element "Buyer reference" (BT-10) muss übermittelt werden.',
        root,
    )

    codes = [
        norm(c.text)
        for c in tx.iterfind(
            "ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode",
            NS,
        )
    ]
    if settlement is not None:
        codes += [
            norm(c.text)
            for c in settlement.iterfind("ram:SpecifiedTradeAllowanceCharge/ram:CategoryTradeTax/ram:CategoryCode", NS)
        ]
    if SUPPORTED_VAT_CODES.intersection(codes):
        registered = seller is not None and any(
            reg.get("schemeID") in ("VA", "FC") and has_text(reg)
            for reg in seller.iterfind("ram:SpecifiedTaxRegistration/ram:ID", NS)
        )
        representative = (
            agreement is not None and agreement.find("ram:SellerTaxRepresentativeTradeParty", NS) is not None
        )
        out.check(
            registered or representative,
            "BR-DE-16",
            "error",
            "[BR-DE-16] Wenn in einer Rechnung die Steuercodes S, Z, E, AE, K, G, L oder M verwendet werden, "
            'muss mindestens eines der Elemente "Seller VAT identifier" (BT-31), "Seller tax registration '
            'identifier" (BT-32) oder "SELLER TAX REPRESENTATIVE PARTY" (BG-11) übermittelt werden.',
            root,
        )
    type_code = norm(root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS))
    out.check(
        type_code in SUPPORTED_TYPE_CODES,
        "BR-DE-17",
        "warning",
        '[BR-DE-17] Mit dem Element "Invoice type code" (BT-3) sollen ausschließlich die Codes 326, 380, 384, '
        "389, 381, 875, 876 und 877 der Codeliste UNTDID 1001 übermittelt werden.",
        root,
    )
    if settlement is not None:
        note = settlement.find("ram:SpecifiedTradePaymentTerms/ram:Description", NS)
        out.check(
            note is None or skonto_ok(note.text),
            "BR-DE-18",
            "error",
            '[BR-DE-18] Skonto-Zeilen im Element "Payment terms" (BT-20) müssen dem Format #SKONTO#TAGE=n#'
            "PROZENT=n.nn#(BASISBETRAG=n.nn#) folgen, in Großbuchstaben, ohne zusätzliches Whitespace, und "
            "mit einem Zeilenumbruch abschließen.",
            note if note is not None else settlement,
        )
    if agreement is not None:
        names = [
            b.get("filename")
            for b in agreement.iterfind("ram:AdditionalReferencedDocument/ram:AttachmentBinaryObject", NS)
        ]
        named = [n for n in names if n is not None]
        out.check(
            len(named) == len(set(named)),
            "BR-DE-22",
            "error",
            '[BR-DE-22] Das "filename"-Attribut aller "AttachmentBinaryObject"-Elemente muss eindeutig sein',
            agreement,
        )
        for ref in agreement.iterfind("ram:AdditionalReferencedDocument/ram:URIID", NS):
            out.check(
                URL.search(ref.text or ""),
                "BR-TMP-2",
                "warning",
                '[BR-TMP-2] BT-124 "External document location" muss eine absolute URL mit gültigem Schema enthalten.',
                ref,
            )
    out.check(
        type_code != "384"
        or (settlement is not None and settlement.find("ram:InvoiceReferencedDocument", NS) is not None),
        "BR-DE-26",
        "warning",
        '[BR-DE-26] Wenn im Element "Invoice type code" (BT-3) der Code 384 (Corrected invoice) übergeben wird, '
        "soll PRECEDING INVOICE REFERENCE BG-3 mind. einmal vorhanden sein.",
        root,
    )
    if (
        settlement is not None
        and settlement.find("ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID", NS) is not None
    ):
        out.check(
            has_text(settlement.find("ram:CreditorReferenceID", NS)),
            "BR-DE-30",
            "error",
            '[BR-DE-30] Wenn "DIRECT DEBIT" BG-19 vorhanden ist, dann muss "Bank assigned creditor identifier" '
            "BT-90 übermittelt werden.",
            settlement,
        )
        out.check(
            settlement.find(
                "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayerPartyDebtorFinancialAccount/ram:IBANID", NS
            )
            is not None,
            "BR-DE-31",
            "error",
            '[BR-DE-31] Wenn "DIRECT DEBIT" BG-19 vorhanden ist, dann muss "Debited account identifier" BT-91 '
            "übermittelt werden.",
            settlement,
        )
    delivered = (
        delivery is not None
        and delivery.find("ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime", NS) is not None
    )
    period = settlement is not None and settlement.find("ram:BillingSpecifiedPeriod", NS) is not None
    out.check(
        delivered
        or period
        or all(i.find("ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod", NS) is not None for i in items),
        "BR-DE-TMP-32",
        "information",
        '[BR-DE-TMP-32] Eine Rechnung sollte zur Angabe des Liefer-/Leistungsdatums entweder BT-72 "Actual '
        'delivery date", BG-14 "Invoicing period" oder in jeder Rechnungsposition BG-26 "Invoice line period" '
        "enthalten.",
        root,
    )

    if seller is not None:
        contact = seller.find("ram:DefinedTradeContact", NS)
        out.check(
            contact is not None,
            "BR-DE-2",
            "error",
            '[BR-DE-2] Die Gruppe "SELLER CONTACT" (BG-6) muss übermittelt werden.',
            seller,
        )
        _address(out, seller.find("ram:PostalTradeAddress", NS), "BR-DE-3", "BR-DE-4", "Seller", "BT-37", "BT-38")
        if contact is not None:
            out.check(
                has_text(contact.find("ram:PersonName", NS)) or has_text(contact.find("ram:DepartmentName", NS)),
                "BR-DE-5",
                "error",
                '[BR-DE-5] Das Element "Seller contact point" (BT-41) muss übermittelt werden.',
                contact,
            )
            phone = contact.find("ram:TelephoneUniversalCommunication/ram:CompleteNumber", NS)
            mail = contact.find("ram:EmailURIUniversalCommunication/ram:URIID", NS)
            out.check(
                has_text(phone),
                "BR-DE-6",
                "error",
                '[BR-DE-6] Das Element "Seller contact telephone number" (BT-42) muss übermittelt werden.',
                contact,
            )
            out.check(
                has_text(mail),
                "BR-DE-7",
                "error",
                '[BR-DE-7] Das Element "Seller contact email address" (BT-43) muss übermittelt werden.',
                contact,
            )
            out.check(
                telephone_ok(phone.text if phone is not None else None),
                "BR-DE-27",
                "warning",
                "[BR-DE-27] In BT-42 sollen mindestens drei Ziffern enthalten sein.",
                contact,
            )
            out.check(
                email_ok(mail.text if mail is not None else None),
                "BR-DE-28",
                "warning",
                "[BR-DE-28] In BT-43 soll genau ein @-Zeichen enthalten sein, welches nicht von einem "
                "Leerzeichen, einem Punkt, aber mindestens zwei Zeichen auf beiden Seiten flankiert werden soll.",
                contact,
            )
    if buyer is not None:
        _address(out, buyer.find("ram:PostalTradeAddress", NS), "BR-DE-8", "BR-DE-9", "Buyer", "BT-52", "BT-53")
    if delivery is not None:
        _address(
            out,
            delivery.find("ram:ShipToTradeParty/ram:PostalTradeAddress", NS),
            "BR-DE-10",
            "BR-DE-11",
            "Deliver to",
            "BT-77",
            "BT-78",
        )
    for means in means_list:
        _payment_means(out, means)
    if settlement is not None:
        for tax in settlement.iterfind("ram:ApplicableTradeTax", NS):
            out.check(
                has_text(tax.find("ram:RateApplicablePercent", NS)),
                "BR-DE-14",
                "error",
                '[BR-DE-14] Das Element "VAT category rate" (BT-119) muss übermittelt werden.',
                tax,
            )

    if profile == "extension":
        _extension(root, out)
    if profile == "cvd":
        _cvd(root, agreement, out, items)


def _address(out: Collector, address, city_rule, zone_rule, who, city_bt, zone_bt) -> None:
    if address is None:
        return
    out.check(
        has_text(address.find("ram:CityName", NS)),
        city_rule,
        "error",
        f'[{city_rule}] Das Element "{who} city" ({city_bt}) muss übermittelt werden.',
        address,
    )
    out.check(
        has_text(address.find("ram:PostcodeCode", NS)),
        zone_rule,
        "error",
        f'[{zone_rule}] Das Element "{who} post code" ({zone_bt}) muss übermittelt werden.',
        address,
    )


def _payment_means(out: Collector, means: etree._Element) -> None:
    code = norm(means.findtext("ram:TypeCode", namespaces=NS))
    creditor = means.find("ram:PayeePartyCreditorFinancialAccount", NS) is not None
    card = means.find("ram:ApplicableTradeSettlementFinancialCard", NS) is not None
    debtor = means.find("ram:PayerPartyDebtorFinancialAccount", NS) is not None
    if code in ("30", "58"):
        if code == "58":
            out.check(
                iban_ok(means.findtext("ram:PayeePartyCreditorFinancialAccount/ram:IBANID", namespaces=NS)),
                "BR-DE-19",
                "warning",
                '[BR-DE-19] "Payment account identifier" (BT-84) soll eine korrekte IBAN '
                'enthalten, wenn in "Payment means type code" (BT-81) mit dem Code 58 SEPA als Zahlungsmittel '
                "gefordert wird.",
                means,
            )
        out.check(
            creditor,
            "BR-DE-23-a",
            "error",
            '[BR-DE-23-a] Wenn BT-81 "Payment means type code" einen Schlüssel für Überweisungen enthält (30, '
            '58), muss BG-17 "CREDIT TRANSFER" übermittelt werden.',
            means,
        )
        out.check(
            not card and not debtor,
            "BR-DE-23-b",
            "error",
            '[BR-DE-23-b] Wenn BT-81 "Payment means type code" einen Schlüssel für Überweisungen enthält (30, '
            "58), dürfen BG-18 und BG-19 nicht übermittelt werden.",
            means,
        )
    elif code in ("48", "54", "55"):
        out.check(
            card,
            "BR-DE-24-a",
            "error",
            '[BR-DE-24-a] Wenn BT-81 "Payment means type code" einen Schlüssel für Kartenzahlungen enthält (48, '
            '54, 55), muss genau BG-18 "PAYMENT CARD INFORMATION" übermittelt werden.',
            means,
        )
        out.check(
            not creditor and not debtor,
            "BR-DE-24-b",
            "error",
            '[BR-DE-24-b] Wenn BT-81 "Payment means type code" einen Schlüssel für Kartenzahlungen enthält (48, '
            "54, 55), dürfen BG-17 und BG-19 nicht übermittelt werden.",
            means,
        )
    elif code == "59":
        out.check(
            iban_ok(means.findtext("ram:PayerPartyDebtorFinancialAccount/ram:IBANID", namespaces=NS)),
            "BR-DE-20",
            "warning",
            '[BR-DE-20] "Debited account identifier" (BT-91) soll eine korrekte IBAN '
            'enthalten, wenn in "Payment means type code" (BT-81) mit dem Code 59 SEPA als Zahlungsmittel '
            "gefordert wird.",
            means,
        )
        out.check(
            debtor,
            "BR-DE-25-a",
            "error",
            '[BR-DE-25-a] Wenn BT-81 "Payment means type code" einen Schlüssel für Lastschriften enthält (59), '
            'muss genau BG-19 "DIRECT DEBIT" übermittelt werden.',
            means,
        )
        out.check(
            not creditor and not card,
            "BR-DE-25-b",
            "error",
            '[BR-DE-25-b] Wenn BT-81 "Payment means type code" einen Schlüssel für Lastschriften enthält (59), '
            "dürfen BG-17 und BG-18 nicht übermittelt werden.",
            means,
        )


def _extension(root: etree._Element, out: Collector) -> None:
    lists = cen_code_lists()
    for binary in root.iter(f"{{{RAM}}}AttachmentBinaryObject"):
        out.check(
            binary.get("mimeCode") in EXTENSION_MIME_CODES,
            "BR-DEX-01",
            "error",
            f'[BR-DEX-01] Das Element "Attached Document" (BT-125) benutzt einen nicht zulässigen MIME-Code: '
            f"{binary.get('mimeCode')}. Im Falle einer Extension darf zusätzlich der MIME-Code application/xml "
            "genutzt werden.",
            binary,
        )
    checks = (
        (
            "BR-DEX-04",
            ".//ram:GlobalID[@schemeID]",
            lists["BR-CL-10"],
            lambda n: n.getparent().tag not in (f"{{{RAM}}}SpecifiedTradeProduct", f"{{{RAM}}}ShipToTradeParty"),
        ),
        ("BR-DEX-05", ".//ram:SpecifiedLegalOrganization/ram:ID[@schemeID]", lists["BR-CL-11"], None),
        ("BR-DEX-06", ".//ram:SpecifiedTradeProduct/ram:GlobalID[@schemeID]", lists["BR-CL-21"], None),
        ("BR-DEX-07", ".//ram:URIUniversalCommunication/ram:URIID[@schemeID]", lists["BR-CL-25"], None),
        ("BR-DEX-08", ".//ram:ShipToTradeParty/ram:GlobalID[@schemeID]", lists["BR-CL-26"], None),
    )
    for rule, path, allowed, applies in checks:
        for node in root.xpath(path, namespaces=NS):
            if applies is not None and not applies(node):
                continue
            out.check(
                norm(node.get("schemeID")) in allowed | DIGA_CODES,
                rule,
                "error",
                f"[{rule}] Any scheme identifier MUST be coded using one of the ISO 6523 ICD / CEF EAS lists "
                "(extended by XR01, XR02, XR03).",
                node,
            )


def _cvd(root: etree._Element, agreement, out: Collector, items: list[etree._Element]) -> None:
    out.check(
        agreement is not None and has_text(agreement.find("ram:ContractReferencedDocument/ram:IssuerAssignedID", NS)),
        "BR-DE-CVD-01",
        "error",
        '[BR-DE-CVD-01] Das Element "Contract reference" (BT-12) muss übermittelt werden.',
        root,
    )
    tender = agreement is not None and any(
        norm(doc.findtext("ram:TypeCode", namespaces=NS)) == "50" and has_text(doc.find("ram:IssuerAssignedID", NS))
        for doc in agreement.iterfind("ram:AdditionalReferencedDocument", NS)
    )
    out.check(
        tender,
        "BR-DE-CVD-02",
        "error",
        '[BR-DE-CVD-02] Das Element "Tender or lot reference" (BT-17) muss übermittelt werden.',
        root,
    )
    products = [p for i in items for p in i.findall("ram:SpecifiedTradeProduct", NS)]

    def cvd_codes(product: etree._Element) -> list[etree._Element]:
        return [
            c
            for c in product.iterfind("ram:DesignatedProductClassification/ram:ClassCode", NS)
            if c.get("listID") == "CVD"
        ]

    def cva(product: etree._Element) -> list[etree._Element]:
        return [
            c
            for c in product.iterfind("ram:ApplicableProductCharacteristic", NS)
            if norm(c.findtext("ram:Description", namespaces=NS)) == "cva"
        ]

    out.check(
        any(cvd_codes(p) and cva(p) for p in products),
        "BR-DE-CVD-03",
        "error",
        "[BR-DE-CVD-03] In einer Rechnung muss mindestens eine INVOICE LINE (BG-25) enthalten sein, in der der "
        'Scheme identifier von "Item classification identifier" (BT-158) den Wert \'CVD\' und der "Item '
        "attribute name\" (BT-160) den Wert 'cva' enthält.",
        root,
    )
    allowed = cen_code_lists()["BR-CL-13"] | {"CVD"}
    for product in products:
        out.check(
            not cvd_codes(product) or len(cva(product)) == 1,
            "BR-DE-CVD-06-a",
            "error",
            "[BR-DE-CVD-06-a] Mit Scheme identifier 'CVD' in BT-158 muss dieselbe Rechnungszeile genau ein "
            "\"Item attribute name\" (BT-160) 'cva' enthalten.",
            product,
        )
        out.check(
            not cva(product) or len(cvd_codes(product)) == 1,
            "BR-DE-CVD-06-b",
            "error",
            "[BR-DE-CVD-06-b] Mit \"Item attribute name\" (BT-160) 'cva' muss dieselbe Rechnungszeile genau "
            "ein BT-158 mit dem Scheme identifier 'CVD' enthalten.",
            product,
        )
        for code in product.iterfind("ram:DesignatedProductClassification/ram:ClassCode", NS):
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
                "[BR-DE-CVD-04] Ein BT-158 mit dem Scheme identifier 'CVD' muss eine zulässige "
                "Fahrzeugkategorie (M1, M2, M3, N1, N2, N3) enthalten.",
                code,
            )
        for characteristic in cva(product):
            out.check(
                norm(characteristic.findtext("ram:Value", namespaces=NS)) in CVA_CODES,
                "BR-DE-CVD-05",
                "error",
                "[BR-DE-CVD-05] Hat BT-160 den Wert 'cva', muss BT-161 einen der Werte clean, "
                "zero-emission, other enthalten.",
                characteristic,
            )
