"""Negative cases per rule family: each mutation of a valid testsuite invoice is rejected with the rule id KoSIT
would report (or, for warnings, accepted with that warning)."""

from __future__ import annotations

from tests.rechnungseingang.validation.conftest import Doc

UBL = "01.01a-INVOICE_ubl.xml"
CII = "01.01a-INVOICE_uncefact.xml"
EXT_UBL = "04.01a-INVOICE_ubl.xml"
EXT_CII = "04.05a-INVOICE_uncefact.xml"
CVD_UBL = "02.01a-cvd_INVOICE_ubl.xml"
CVD_CII = "02.01a-cvd_INVOICE_uncefact.xml"


def rejected_with(validator, doc: Doc, *rule_ids: str) -> None:
    report = validator.validate(doc.bytes())
    errors = report.rule_ids("error")
    assert not report.accepted, "expected a rejection"
    for rule_id in rule_ids:
        assert rule_id in errors, (rule_id, sorted(errors))


def test_missing_buyer_reference_ubl_and_cii(validator) -> None:
    rejected_with(validator, Doc(UBL).remove("/ubl:Invoice/cbc:BuyerReference"), "BR-DE-15")
    rejected_with(validator, Doc(CII).remove("//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference"), "BR-DE-15")
    # Present but blank is as good as missing.
    rejected_with(validator, Doc(UBL).set("/ubl:Invoice/cbc:BuyerReference", "  "), "BR-DE-15")


def test_wrong_totals_hit_cen_calculation_rules(validator) -> None:
    rejected_with(validator, Doc(UBL).set("//cac:LegalMonetaryTotal/cbc:LineExtensionAmount", "1.00"), "BR-CO-10")
    rejected_with(validator, Doc(UBL).set("//cac:LegalMonetaryTotal/cbc:PayableAmount", "999999.99"), "BR-CO-16")
    rejected_with(
        validator,
        Doc(CII).set("//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:LineTotalAmount", "1.00"),
        "BR-CO-10",
    )
    rejected_with(
        validator,
        Doc(CII).set("//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxBasisTotalAmount", "1.00"),
        "BR-CO-13",
    )


def test_bad_code_lists(validator) -> None:
    rejected_with(validator, Doc(UBL).set("/ubl:Invoice/cbc:DocumentCurrencyCode", "EUX"), "BR-CL-04")
    rejected_with(validator, Doc(UBL).set("//cac:PaymentMeans/cbc:PaymentMeansCode", "999"), "BR-CL-16")
    # CII: the Factur-X stylesheet has no BR-CL rules; these come from the CEN supplement.
    rejected_with(validator, Doc(CII).set("//ram:InvoiceCurrencyCode", "EUX"), "BR-CL-04")
    rejected_with(validator, Doc(CII).set("//ram:PostalTradeAddress/ram:CountryID", "XX"), "BR-CL-14")
    rejected_with(validator, Doc(CII).set("//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode", "999"), "BR-CL-16")


def test_unit_code_is_only_a_warning_by_customlevel(validator) -> None:
    report = validator.validate(Doc(UBL).set("//cbc:InvoicedQuantity", "QQQ", attribute="unitCode").bytes())
    finding = next(f for f in report.findings if f.rule_id == "BR-CL-23")
    assert finding.severity == "warning" and finding.flag == "error"
    assert report.accepted


def test_schema_errors_and_unknown_elements(validator) -> None:
    doc = Doc(UBL)
    issue_date = doc.one("/ubl:Invoice/cbc:IssueDate")
    issue_date.addnext(issue_date.makeelement("{urn:example:unknown}Surprise"))
    report = validator.validate(doc.bytes())
    assert not report.accepted
    assert {f.step for f in report.findings} == {"val-xsd"}
    assert report.findings[0].line is not None
    assert "val-sch.1" not in report.steps  # KoSIT stops after a failed schema step
    cii = Doc(CII)
    document = cii.one("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument")
    document.append(
        document.makeelement(
            "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}Unknown"
        )
    )
    report = validator.validate(cii.bytes())
    assert not report.accepted and report.findings[0].step == "val-xsd"


def test_seller_contact_and_addresses(validator) -> None:
    rejected_with(validator, Doc(UBL).remove("//cac:AccountingSupplierParty/cac:Party/cac:Contact"), "BR-DE-2")
    rejected_with(
        validator, Doc(UBL).remove("//cac:AccountingSupplierParty//cac:PostalAddress/cbc:CityName"), "BR-DE-3"
    )
    rejected_with(validator, Doc(CII).remove("//ram:SellerTradeParty/ram:DefinedTradeContact"), "BR-DE-2")
    rejected_with(
        validator, Doc(CII).remove("//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:PostcodeCode"), "BR-DE-9"
    )
    rejected_with(validator, Doc(UBL).remove("/ubl:Invoice/cac:PaymentMeans"), "BR-DE-1")


def test_payment_means_and_skonto(validator) -> None:
    doc = Doc(UBL).set("//cac:PaymentMeans/cbc:PaymentMeansCode", "58").remove("//cac:PayeeFinancialAccount")
    rejected_with(validator, doc, "BR-DE-23-a")
    doc = Doc(UBL)
    terms = doc.root.find("{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}PaymentTerms")
    note = terms.find("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}Note")
    note.text = "#SKONTO#TAGE=7#PROZENT=2,00#\n"  # decimal comma is not allowed
    rejected_with(validator, doc, "BR-DE-18")
    note.text = "#SKONTO#TAGE=7#PROZENT=2.00#\n"
    assert validator.validate(doc.bytes()).accepted


def test_bad_iban_is_a_warning(validator) -> None:
    doc = (
        Doc(UBL)
        .set("//cac:PaymentMeans/cbc:PaymentMeansCode", "58")
        .set("//cac:PayeeFinancialAccount/cbc:ID", "DE75512108001245126198")
    )
    report = validator.validate(doc.bytes())
    assert "BR-DE-19" in report.rule_ids("warning") and report.accepted


def test_extension_rules(validator) -> None:
    doc = Doc(EXT_UBL)
    binary = doc.root.find(
        ".//{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}EmbeddedDocumentBinaryObject"
    )
    if binary is None:
        doc = Doc("04.02a-INVOICE_ubl.xml")
    doc.set("//cac:LegalMonetaryTotal/cbc:PayableAmount", "0.01")
    rejected_with(validator, doc, "BR-DEX-09")
    doc = Doc(EXT_UBL).set(
        "//cac:AccountingCustomerParty//cac:PartyIdentification/cbc:ID", "ZZZZ", attribute="schemeID"
    )
    rejected_with(validator, doc, "BR-DEX-04")
    # The DiGA schemes XR01-XR03 are fine in the extension (BR-CL-10 only informs there) ...
    report = validator.validate(Doc(EXT_CII).bytes())
    assert report.accepted and "BR-DEX-04" not in report.rule_ids()
    # ... but a scheme outside ICD and the DiGA codes is not.
    rejected_with(
        validator, Doc(EXT_CII).set("//ram:SellerTradeParty/ram:GlobalID", "QQ99", attribute="schemeID"), "BR-DEX-04"
    )


def test_cvd_rules(validator) -> None:
    rejected_with(validator, Doc(CVD_UBL).remove("/ubl:Invoice/cac:ContractDocumentReference"), "BR-DE-CVD-01")
    rejected_with(validator, Doc(CVD_UBL).set("//cbc:ItemClassificationCode[@listID='CVD']", "X9"), "BR-DE-CVD-04")
    doc = Doc(CVD_UBL).set("//cac:AdditionalItemProperty[cbc:Name='cva']/cbc:Value", "dirty")
    rejected_with(validator, doc, "BR-DE-CVD-05")
    rejected_with(
        validator,
        Doc(CVD_CII).set("//ram:ApplicableProductCharacteristic[ram:Description='cva']/ram:Description", "xyz"),
        "BR-DE-CVD-03",
    )


def test_cii_syntax_rules_raised_by_customlevel(validator) -> None:
    doc = Doc(CII)
    settlement = doc.one("//ram:ApplicableHeaderTradeSettlement")
    terms = settlement.find(
        "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}SpecifiedTradePaymentTerms"
    )
    from copy import deepcopy

    terms.addnext(deepcopy(terms))
    rejected_with(validator, doc, "CII-SR-452")


def test_peppol_rules_merged_into_xrechnung(validator) -> None:
    rejected_with(
        validator, Doc(UBL).remove("//cac:AccountingSupplierParty/cac:Party/cbc:EndpointID"), "PEPPOL-EN16931-R020"
    )
    rejected_with(validator, Doc(UBL).remove("/ubl:Invoice/cbc:ProfileID"), "PEPPOL-EN16931-R001")


def test_no_scenario_for_plain_en16931_or_foreign_xml(validator) -> None:
    report = validator.validate(Doc(UBL).set("/ubl:Invoice/cbc:CustomizationID", "urn:cen.eu:en16931:2017").bytes())
    assert not report.accepted and report.scenario is None
    assert report.rule_ids() == {"no-scenario-matched"}
    report = validator.validate(b"<order xmlns='urn:example'/>")
    assert not report.accepted and report.invoice is None


def test_previous_version_is_accepted_with_a_warning(validator) -> None:
    doc = Doc(UBL).set(
        "/ubl:Invoice/cbc:CustomizationID", "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_2.3"
    )
    report = validator.validate(doc.bytes())
    assert report.accepted and "BR-DE-21" in report.rule_ids("warning")


def test_malformed_xml_is_a_rejecting_report(validator) -> None:
    report = validator.validate(b"<Invoice><unclosed></Invoice>")
    assert not report.accepted
    assert report.findings[0].rule_id == "val-xml" and report.findings[0].step == "val-xml"
