"""The report as KoSIT readers see it: VARL XML parsed back, and the JSON form with the invoice key data."""

from __future__ import annotations

import base64
import hashlib

from lxml import etree

from tests.rechnungseingang.validation.conftest import Doc, corpus_file

VARL = "http://www.xoev.de/de/validator/varl/1"
NS = {"rep": VARL, "s": "http://www.xoev.de/de/validator/framework/1/scenarios"}


def test_varl_of_an_accepted_invoice(validator) -> None:
    data = corpus_file("04.04a-INVOICE_ubl.xml")
    report = validator.validate(data)
    varl = etree.fromstring(report.to_varl())
    assert varl.tag == f"{{{VARL}}}report" and varl.get("valid") == "true"
    assert varl.find("rep:assessment/rep:accept", NS) is not None
    digest = varl.findtext("rep:documentIdentification/rep:documentHash/rep:hashValue", namespaces=NS)
    assert base64.b64decode(digest) == hashlib.sha256(data).digest() == bytes.fromhex(report.document_hash)
    assert "Extension" in varl.findtext("rep:scenarioMatched/s:scenario/s:name", namespaces=NS)
    steps = [s.get("id") for s in varl.iterfind("rep:scenarioMatched/rep:validationStepResult", NS)]
    assert steps == ["val-xml", "val-xsd", "val-sch.1", "val-sch.2"]
    codes = {m.get("code"): m for m in varl.iterfind(".//rep:message", NS)}
    assert codes["UBL-CR-646"].get("level") == "information"
    assert codes["BR-DE-TMP-32"].get("lineNumber")


def test_varl_of_a_rejected_invoice_names_rule_line_and_xpath(validator) -> None:
    report = validator.validate(Doc("01.01a-INVOICE_ubl.xml").remove("/ubl:Invoice/cbc:BuyerReference").bytes())
    varl = etree.fromstring(report.to_varl())
    assert varl.get("valid") == "false" and varl.find("rep:assessment/rep:reject", NS) is not None
    message = next(m for m in varl.iterfind(".//rep:message", NS) if m.get("code") == "BR-DE-15")
    assert message.get("level") == "error"
    assert message.get("xpathLocation").startswith("/*:Invoice")
    assert int(message.get("lineNumber")) == 2
    assert "Buyer reference" in message.text


def test_varl_without_scenario(validator) -> None:
    report = validator.validate(b"<x/>")
    varl = etree.fromstring(report.to_varl())
    assert varl.find("rep:noScenarioMatched", NS) is not None and varl.get("valid") == "false"


def test_json_report_carries_invoice_key_data(validator) -> None:
    report = validator.validate(corpus_file("01.01a-INVOICE_uncefact.xml")).to_json()
    invoice = report["invoice"]
    assert report["accepted"] is True and report["assessment"] == "accept"
    assert invoice["syntax"] == "cii" and invoice["buyer_reference"]
    assert invoice["issue_date"][4] == "-"
    assert invoice["totals"]["payable"] and invoice["lines"] and invoice["lines"][0]["net"]
    ubl = validator.validate(corpus_file("01.01a-INVOICE_ubl.xml")).to_json()["invoice"]
    assert ubl["syntax"] == "ubl-invoice"
    # Both syntaxes of the same business case carry the same key data.
    for key in ("invoice_number", "issue_date", "currency", "buyer_reference", "seller_name", "buyer_name"):
        assert ubl[key] == invoice[key], key
    assert ubl["totals"] == invoice["totals"]
