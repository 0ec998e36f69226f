"""Throughput and latency of the KoSIT-equivalent validator, next to a baseline measured in the same run.

- pipeline: ``Validator.validate`` — safe parse, scenario, XSD, CEN XSLT (rewritten for speed, same SVRL: see
  ``services/rechnungseingang/validation/fast_stylesheet.py``), CII supplement, national rules,
  customLevels, report with key data.
- baseline: what the issue calls the floor — lxml parse + XSD, then the shipped CEN XSLT exactly as packaged
  (compiled from the package file, SVRL with its fired-rule trace) on saxonche from the serialised tree, and the
  SVRL parsed back. No national rules, no report.

Single process, single thread; rounds are interleaved so machine load hits both alike. A 1000-line invoice is
generated from a testsuite file (lines replicated, totals recomputed so it stays valid) to time one large document.
Run ``.venv/bin/python -m benchmarks.rechnungseingang`` (``--help`` for knobs); a run takes about a minute.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import saxonche
from lxml import etree

from services.rechnungseingang.validation import Validator, artefacts

REPO = Path(__file__).resolve().parents[2]
CORPUS_CANDIDATES = (REPO.parent / "shared" / "testdata" / "xrechnung", Path("/work/shared/testdata/xrechnung"))
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS = {"cac": CAC, "cbc": CBC}
TARGET_RATE = 100.0


class Baseline:
    """XSD + the packaged CEN XSLTs, run the straightforward way."""

    def __init__(self) -> None:
        self.schemas = {
            "Invoice": artefacts.load_schema(artefacts.UBL_INVOICE_XSD),
            "CreditNote": artefacts.load_schema(artefacts.UBL_CREDITNOTE_XSD),
            "CrossIndustryInvoice": artefacts.load_schema(artefacts.CII_XSD),
        }
        self.processor = saxonche.PySaxonProcessor(license=False)
        compiler = self.processor.new_xslt30_processor()
        self.ubl = compiler.compile_stylesheet(stylesheet_file=str(artefacts.UBL_CEN_XSLT))
        self.cii = compiler.compile_stylesheet(stylesheet_file=str(artefacts.CII_CEN_XSLT))
        self.parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)

    def validate(self, data: bytes) -> int:
        root = etree.fromstring(data, self.parser)
        name = etree.QName(root).localname
        self.schemas[name].validate(root)
        node = self.processor.parse_xml(xml_text=etree.tostring(root, encoding="unicode"))
        executable = self.cii if name == "CrossIndustryInvoice" else self.ubl
        svrl = etree.fromstring(executable.transform_to_string(xdm_node=node).encode())
        return len(svrl.findall("{http://purl.oclc.org/dsdl/svrl}failed-assert"))


def corpus() -> list[bytes]:
    for folder in CORPUS_CANDIDATES:
        files = sorted(folder.rglob("*.xml"))
        if files:
            return [path.read_bytes() for path in files]
    sys.exit("benchmarks.rechnungseingang: the XRechnung testsuite (shared/testdata/xrechnung) was not found")


def big_invoice(documents: list[bytes], lines: int) -> bytes:
    """A valid UBL invoice with ``lines`` lines: the first testsuite invoice with one VAT rate and no document-level
    allowances, its first line replicated and every total recomputed."""
    for data in documents:
        root = etree.fromstring(data)
        if etree.QName(root).localname != "Invoice" or root.find("cac:AllowanceCharge", NS) is not None:
            continue
        subtotals = root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
        total = root.find("cac:LegalMonetaryTotal", NS)
        invoice_lines = root.findall("cac:InvoiceLine", NS)
        if len(subtotals) != 1 or total is None or total.find("cbc:PrepaidAmount", NS) is not None:
            continue
        if total.find("cbc:PayableRoundingAmount", NS) is not None or not invoice_lines:
            continue
        template = invoice_lines[0]
        if template.find("cac:AllowanceCharge", NS) is not None or template.find("cac:InvoicePeriod", NS) is not None:
            continue
        anchor = invoice_lines[-1].getnext()
        for line in invoice_lines:
            root.remove(line)
        net = Decimal(template.findtext("cbc:LineExtensionAmount", namespaces=NS))
        for number in range(1, lines + 1):
            line = copy.deepcopy(template)
            line.find("cbc:ID", NS).text = str(number)
            if anchor is not None:
                anchor.addprevious(line)
            else:
                root.append(line)
        rate = Decimal(subtotals[0].findtext("cac:TaxCategory/cbc:Percent", namespaces=NS))
        line_total = net * lines
        tax = (line_total * rate / 100).quantize(Decimal("0.01"))
        subtotals[0].find("cbc:TaxableAmount", NS).text = f"{line_total:.2f}"
        subtotals[0].find("cbc:TaxAmount", NS).text = f"{tax:.2f}"
        root.find("cac:TaxTotal/cbc:TaxAmount", NS).text = f"{tax:.2f}"
        for name, value in (
            ("LineExtensionAmount", line_total),
            ("TaxExclusiveAmount", line_total),
            ("TaxInclusiveAmount", line_total + tax),
            ("PayableAmount", line_total + tax),
        ):
            total.find(f"cbc:{name}", NS).text = f"{value:.2f}"
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    sys.exit("benchmarks.rechnungseingang: no testsuite invoice fits the 1000-line generator")


def rate(function, documents: list[bytes]) -> float:
    """Invoices per CPU second of this thread: the machine is shared, so wall time would measure the neighbours."""
    start = time.thread_time()
    for data in documents:
        function(data)
    return len(documents) / (time.thread_time() - start)


def latency(function, data: bytes, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        function(data)
        times.append(time.thread_time() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rechnungseingang", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds over the testsuite (default 5)")
    parser.add_argument("--lines", type=int, default=1000, help="lines of the large invoice (default 1000)")
    parser.add_argument("--large-repeats", type=int, default=3, help="timings of the large invoice (default 3)")
    args = parser.parse_args(argv)

    documents = corpus()
    start = time.perf_counter()
    validator = Validator.load()
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    baseline = Baseline()
    baseline_load = time.perf_counter() - start
    for data in documents:  # warm both (first Saxon runs allocate)
        validator.validate(data)
        baseline.validate(data)
    rejected = sum(not validator.validate(data).accepted for data in documents)

    pipeline_rates, baseline_rates = [], []
    load_before = os.getloadavg()[0]
    for _ in range(args.rounds):
        baseline_rates.append(rate(baseline.validate, documents))
        pipeline_rates.append(rate(validator.validate, documents))
    large = big_invoice(documents, args.lines)
    large_report = validator.validate(large)
    large_pipeline = latency(validator.validate, large, args.large_repeats)
    large_baseline = latency(baseline.validate, large, args.large_repeats)
    load_after = os.getloadavg()[0]

    pipeline, floor = statistics.median(pipeline_rates), statistics.median(baseline_rates)
    print("Rechnungseingang validation benchmark (single process, single thread)")
    print(f"  testsuite: {len(documents)} files, rejected by the pipeline: {rejected}")
    print(f"  start-up: Validator.load() {load_seconds:.2f} s (baseline compile {baseline_load:.2f} s)")
    print(
        f"  rounds: {args.rounds}; machine load average {load_before:.1f} → {load_after:.1f} "
        f"on {os.cpu_count()} CPUs (other helpers share the machine)"
    )
    print(
        f"  baseline (XSD + packaged CEN XSLT): median {floor:7.1f} invoices/CPU-s  "
        f"[{', '.join(f'{r:.0f}' for r in baseline_rates)}]"
    )
    print(
        f"  pipeline (full rule set + report):  median {pipeline:7.1f} invoices/CPU-s  "
        f"[{', '.join(f'{r:.0f}' for r in pipeline_rates)}]"
    )
    print(
        f"  ratio pipeline / baseline: {pipeline / floor:.2f}   target ≥ {TARGET_RATE:.0f}/s: "
        f"{'met' if pipeline >= TARGET_RATE else 'NOT met'}"
    )
    print(
        f"  {args.lines}-line invoice ({len(large) / 1e6:.1f} MB, accepted={large_report.accepted}): "
        f"pipeline {large_pipeline * 1000:.0f} CPU-ms, baseline {large_baseline * 1000:.0f} CPU-ms "
        f"(pipeline / baseline time {large_pipeline / large_baseline:.2f})"
    )


if __name__ == "__main__":
    main()
