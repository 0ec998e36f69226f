"""Negative cases of the national step (val-sch.2) in CII: the Peppol rules the XRechnung Schematron merges into its
CII rule set, BR-TMP-3 and BR-DEX-15, plus the Peppol rules added for UBL. Each mutation of a valid testsuite
invoice must raise exactly the national rule ids named (the CEN step may report more; that is not asserted here)."""

from __future__ import annotations

from copy import deepcopy

import pytest

from tests.rechnungseingang.validation.conftest import Doc

CII = "01.01a-INVOICE_uncefact.xml"
# Has tax currency, document and line allowances/charges, gross prices with discount, line periods, direct debit.
RICH = "01.04_comprehensive_test_uncefact.xml"
EXT_CII = "04.05a-INVOICE_uncefact.xml"
UBL = "01.01a-INVOICE_ubl.xml"
RAM = Doc.NS["ram"]

LINE1 = "(//ram:IncludedSupplyChainTradeLineItem)[1]"
GROSS1 = f"{LINE1}/ram:SpecifiedLineTradeAgreement/ram:GrossPriceProductTradePrice"
HEADER_CHARGE = "(//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeAllowanceCharge)[1]"
TOTALS = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"


def national(validator, doc: Doc, level: str = "error") -> set[str]:
    report = validator.validate(doc.bytes())
    assert report.steps, "no report steps"
    assert all(f.step != "val-xsd" for f in report.findings), [f.message for f in report.findings][:3]
    return {f.rule_id for f in report.findings if f.step == "val-sch.2" and f.severity == level}


def _insert_after(doc: Doc, xpath: str, tag: str, text: str, **attributes: str) -> None:
    anchor = doc.one(xpath)
    element = anchor.makeelement(f"{{{RAM}}}{tag}", attributes)
    element.text = text
    anchor.addnext(element)


def test_unmutated_invoices_raise_no_national_error(validator) -> None:
    for name in (CII, RICH, EXT_CII, UBL):
        assert national(validator, Doc(name)) == set(), name


CASES = {
    "R001": (CII, lambda d: d.remove("//ram:BusinessProcessSpecifiedDocumentContextParameter"), {"R001"}),
    "R005": (RICH, lambda d: d.set("//ram:TaxCurrencyCode", "EUR"), {"R005"}),
    "R008": (CII, lambda d: d.set("//ram:SpecifiedTradePaymentTerms/ram:Description", ""), {"R008"}),
    "R010": (CII, lambda d: d.remove("//ram:BuyerTradeParty/ram:URIUniversalCommunication"), {"R010"}),
    "R020": (CII, lambda d: d.remove("//ram:SellerTradeParty/ram:URIUniversalCommunication"), {"R020"}),
    "R040": (
        RICH,
        lambda d: d.set(f"{HEADER_CHARGE}/ram:BasisAmount", "100").set(f"{HEADER_CHARGE}/ram:CalculationPercent", "10"),
        {"R040"},
    ),
    "R041": (RICH, lambda d: d.remove(f"{HEADER_CHARGE}/ram:BasisAmount"), {"R041"}),
    "R042": (RICH, lambda d: d.remove(f"{HEADER_CHARGE}/ram:CalculationPercent"), {"R042"}),
    # "1" is a valid xs:boolean, so the schema step lets it through to the Peppol rule.
    "R043-1": (RICH, lambda d: d.set(f"{HEADER_CHARGE}/ram:ChargeIndicator/udt:Indicator", "1"), {"R043-1"}),
    "R043-2": (
        RICH,
        lambda d: d.set(f"{GROSS1}/ram:AppliedTradeAllowanceCharge//udt:Indicator", "0"),
        {"R043-2", "R044"},
    ),
    "R044": (RICH, lambda d: d.set(f"{GROSS1}/ram:AppliedTradeAllowanceCharge//udt:Indicator", "true"), {"R044"}),
    "R046": (RICH, lambda d: d.set(f"{GROSS1}/ram:ChargeAmount", "170.125"), {"R046"}),
    "R053": (
        RICH,
        lambda d: d.set(f"{TOTALS}/ram:TaxTotalAmount[@currencyID='GBP']", "EUR", "currencyID"),
        {"R053", "R054", "R055"},
    ),  # no VAT total in the tax currency is left, so R055 fails as well
    "R054": (RICH, lambda d: d.remove("//ram:TaxCurrencyCode"), {"R054"}),
    "R055": (RICH, lambda d: d.set(f"{TOTALS}/ram:TaxTotalAmount[@currencyID='GBP']", "-1.00"), {"R055"}),
    "R061": (RICH, lambda d: d.remove("//ram:DirectDebitMandateID"), {"R061"}),
    "R101": (RICH, lambda d: d.set(f"{LINE1}//ram:AdditionalReferencedDocument/ram:TypeCode", "916"), {"R101"}),
    "R110": (
        RICH,
        lambda d: d.set(f"{LINE1}//ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString", "20180101"),
        {"R110"},
    ),
    "R111": (
        RICH,
        lambda d: d.set(f"{LINE1}//ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString", "20181231"),
        {"R111"},
    ),
    "R121": (RICH, lambda d: d.set(f"{GROSS1}/ram:BasisQuantity", "0"), {"R121"}),
    "R130": (RICH, lambda d: d.set(f"{GROSS1}/ram:BasisQuantity", "H87", "unitCode"), {"R130"}),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_peppol_rule_in_cii(validator, rule: str) -> None:
    name, mutate, expected = CASES[rule]
    doc = Doc(name)
    mutate(doc)
    assert national(validator, doc) == {f"PEPPOL-EN16931-{r}" for r in expected}


def test_peppol_r120_is_a_warning_in_cii(validator) -> None:
    doc = Doc(RICH).set(f"{LINE1}/ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", "31")
    assert national(validator, doc) == set()
    assert "PEPPOL-EN16931-R120" in national(validator, doc, "warning")
    # Within the slack of 0.02 no warning.
    doc = Doc(RICH).set(f"{LINE1}//ram:LineTotalAmount", "4743.77")
    assert "PEPPOL-EN16931-R120" not in national(validator, doc, "warning")


def test_peppol_r008_leaves_the_empty_header_delivery_alone(validator) -> None:
    doc = Doc(CII)
    assert doc.one("//ram:ApplicableHeaderTradeDelivery").text is None  # empty in the testsuite invoice
    assert national(validator, doc) == set()
    report = validator.validate(Doc(CII).set("//ram:SpecifiedTradePaymentTerms/ram:Description", " ").bytes())
    finding = next(f for f in report.findings if f.rule_id == "PEPPOL-EN16931-R008")
    assert finding.message == "Document MUST not contain empty elements." and finding.flag == "error"
    assert not report.accepted


def test_br_tmp_3_basis_quantities_of_gross_and_net_price(validator) -> None:
    doc = Doc(RICH)
    _insert_after(doc, f"{LINE1}//ram:NetPriceProductTradePrice/ram:ChargeAmount", "BasisQuantity", "2", unitCode="XPP")
    assert national(validator, doc) == {"BR-TMP-3"}
    doc = Doc(RICH)
    _insert_after(doc, f"{LINE1}//ram:NetPriceProductTradePrice/ram:ChargeAmount", "BasisQuantity", "1", unitCode="XPP")
    assert national(validator, doc) == set()


def test_br_dex_15_sub_invoice_lines_are_a_warning_in_cii(validator) -> None:
    doc = Doc(EXT_CII)
    _insert_after(doc, "//ram:AssociatedDocumentLineDocument/ram:LineID", "ParentLineID", "1")
    report = validator.validate(doc.bytes())
    assert report.accepted
    assert "BR-DEX-15" in report.rule_ids("warning")
    assert national(validator, Doc(EXT_CII), "warning") == set()


def test_br_dex_05_covers_every_identifier_scheme_outside_tax_registrations(validator) -> None:
    doc = Doc(EXT_CII).set("//ram:BuyerTradeParty/ram:GlobalID", "XR01", "schemeID")
    buyer = doc.one("//ram:BuyerTradeParty/ram:GlobalID")
    identifier = buyer.makeelement(f"{{{RAM}}}ID", {"schemeID": "QQ99"})
    identifier.text = "4711"
    buyer.addprevious(identifier)
    assert national(validator, doc) == {"BR-DEX-05"}


def test_extension_rules_of_ubl_only_do_not_apply_to_cii(validator) -> None:
    # BR-DEX-09 overrides BR-CO-16 in UBL only; a wrong payable amount in extension CII is not a BR-DEX finding.
    doc = Doc(EXT_CII).set(f"{TOTALS}/ram:DuePayableAmount", "0.01")
    assert not {r for r in national(validator, doc) if r.startswith("BR-DEX")}


def test_messages_come_from_the_one_table(validator) -> None:
    ubl = validator.validate(Doc(UBL).remove("/ubl:Invoice/cbc:BuyerReference").bytes())
    cii = validator.validate(Doc(CII).remove("//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference").bytes())
    ubl_message = next(f.message for f in ubl.findings if f.rule_id == "BR-DE-15")
    cii_message = next(f.message for f in cii.findings if f.rule_id == "BR-DE-15")
    assert ubl_message == cii_message == '[BR-DE-15] Das Element "Buyer reference" (BT-10) muss übermittelt werden.'
    # BR-DE-22 is worded differently in the two Schematron files.
    doc = Doc(CII)
    note = doc.one("//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference")
    for _ in range(2):
        reference = note.makeelement(f"{{{RAM}}}AdditionalReferencedDocument", {})
        for tag, text in (("IssuerAssignedID", "A-1"), ("TypeCode", "916")):
            child = reference.makeelement(f"{{{RAM}}}{tag}", {})
            child.text = text
            reference.append(child)
        binary = reference.makeelement(
            f"{{{RAM}}}AttachmentBinaryObject", {"mimeCode": "text/csv", "filename": "a.csv"}
        )
        binary.text = "YQ=="
        reference.append(binary)
        doc.one("//ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty").addnext(reference)
    report = validator.validate(doc.bytes())
    message = next(f.message for f in report.findings if f.rule_id == "BR-DE-22")
    assert message.startswith("[BR-DE-22] Not all filename attributes")


def test_peppol_rules_added_for_ubl(validator) -> None:
    assert national(validator, Doc(UBL).set("//cac:PaymentTerms/cbc:Note", "")) == {"PEPPOL-EN16931-R008"}
    doc = Doc(UBL)
    line = doc.one("(//cac:InvoiceLine)[1]")
    reference = deepcopy(doc.one("(//cac:InvoiceLine)[1]/cac:OrderLineReference"))
    reference.tag = f"{{{Doc.NS['cac']}}}DocumentReference"
    for child in list(reference):
        reference.remove(child)
    for tag, text in (("ID", "D-1"), ("DocumentTypeCode", "916")):
        child = reference.makeelement(f"{{{Doc.NS['cbc']}}}{tag}", {})
        child.text = text
        reference.append(child)
    line.find(f"{{{Doc.NS['cac']}}}OrderLineReference").addnext(reference)
    assert national(validator, doc) == {"PEPPOL-EN16931-R101"}


def test_skonto_message_names_the_context_and_the_expression(validator) -> None:
    doc = Doc(CII).set("//ram:SpecifiedTradePaymentTerms/ram:Description", "#SKONTO#TAGE=7#PROZENT=2,00#\n")
    report = validator.validate(doc.bytes())
    finding = next(f for f in report.findings if f.rule_id == "BR-DE-18")
    expected = (
        r"[BR-DE-18] Skonto Zeilen in rsm:CrossIndustryInvoice muessen diesem regulärem Ausdruck entsprechen: (^|"
    )
    assert finding.message.startswith(expected) and finding.severity == "error" and not report.accepted
