"""Every file of the KoSIT XRechnung testsuite is accepted, in the scenario KoSIT picks, with KoSIT's findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rechnungseingang.validation.conftest import CORPUS, CORPUS_FILES


def test_corpus_is_complete() -> None:
    assert len(CORPUS_FILES) == 86


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_testsuite_file_is_accepted(validator, path: Path) -> None:
    report = validator.validate(path.read_bytes())
    assert report.accepted, [(f.rule_id, f.severity, f.message) for f in report.errors]
    assert report.scenario is not None
    profile = "Extension" if "extension" in path.parts else "CVD" if "cvd" in path.parts else None
    if profile:
        assert profile in report.scenario
    syntax = "CII" if "uncefact" in path.name else "UBL"
    assert syntax in report.scenario
    assert report.invoice is not None and report.invoice["invoice_number"]
    assert report.invoice["buyer_reference"]


def test_extension_cii_reports_cen_code_list_findings_at_customlevel(validator) -> None:
    # KoSIT reports BR-CL-10 three times and BR-CL-21 once for this DiGA invoice and still accepts it: the
    # extension scenario levels both rules down to information.
    path = next(p for p in CORPUS_FILES if p.name == "04.05a-INVOICE_uncefact.xml")
    report = validator.validate(path.read_bytes())
    ids = [f.rule_id for f in report.findings if f.rule_id.startswith("BR-CL")]
    assert sorted(ids) == ["BR-CL-10", "BR-CL-10", "BR-CL-10", "BR-CL-21"]
    assert all(f.severity == "information" and f.flag == "error" for f in report.findings if f.rule_id in ids)
    assert report.accepted


def test_cvd_item_classification_is_information(validator) -> None:
    for name in ("02.01a-cvd_INVOICE_ubl.xml", "02.01a-cvd_INVOICE_uncefact.xml"):
        path = next(p for p in CORPUS_FILES if p.name == name)
        report = validator.validate(path.read_bytes())
        finding = next(f for f in report.findings if f.rule_id == "BR-CL-13")
        assert finding.severity == "information" and finding.line is not None
        assert report.accepted
