"""The validation pipeline, step for step as the KoSIT validator with the XRechnung configuration runs it:
well-formedness → scenario → XML Schema → CEN EN 16931 Schematron → XRechnung national rules → customLevels →
accept/reject.

Everything expensive (XSD and XSLT compilation, code lists) happens once in ``Validator.load()``; ``validate`` then
parses the upload once with lxml and reuses that tree for every step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from lxml import etree

from services.rechnungseingang.validation import artefacts, cii_cen, national
from services.rechnungseingang.validation.extract import extract
from services.rechnungseingang.validation.parsing import UnsafeXml, parse
from services.rechnungseingang.validation.paths import full_path
from services.rechnungseingang.validation.report import Finding, Report, severity_of, sha256_hex
from services.rechnungseingang.validation.scenarios import Scenario, select
from services.rechnungseingang.validation.schematron import SchematronRunner, SvrlResult, resolve

log = logging.getLogger(__name__)

__all__ = ["UnsafeXml", "Validator"]

_CEN_RULE_PREFIXES = ("BR-", "CII-SR-", "CII-DT-")


class Validator:
    """Compiled artefacts plus the pipeline. Thread-safe; Saxon runs are serialised inside SchematronRunner."""

    def __init__(self, schemas: dict[str, etree.XMLSchema], runner: SchematronRunner) -> None:
        self._schemas = schemas
        self._runner = runner
        self._flags = artefacts.cen_flags()

    @classmethod
    def load(cls) -> Validator:
        schemas = {
            "ubl-invoice": artefacts.load_schema(artefacts.UBL_INVOICE_XSD),
            "ubl-creditnote": artefacts.load_schema(artefacts.UBL_CREDITNOTE_XSD),
            "cii": artefacts.load_schema(artefacts.CII_XSD),
        }
        runner = SchematronRunner({"ubl": artefacts.UBL_CEN_XSLT, "cii": artefacts.CII_CEN_XSLT})
        artefacts.cen_code_lists()
        return cls(schemas, runner)

    # --- steps -------------------------------------------------------------------------------------------------

    def _schema_findings(self, tree: etree._ElementTree, syntax: str) -> list[Finding]:
        schema = self._schemas[syntax]
        if schema.validate(tree):
            return []
        return [
            Finding(
                rule_id=f"xsd:{error.type_name}",
                severity="error",
                message=error.message,
                xpath=error.path,
                line=error.line,
                step="val-xsd",
                flag="error",
            )
            for error in schema.error_log
        ]

    def _cen_flag(self, result: SvrlResult, syntax: str) -> str:
        if result.flag:
            return result.flag
        if result.rule_id.startswith("CII-SR-") or result.rule_id.startswith("CII-DT-"):
            return "warning"  # CEN flags its CII syntax rules as warnings; KoSIT raises some by customLevel
        return self._flags.get(result.rule_id, "fatal")

    def _cen_findings(self, root: etree._Element, syntax: str) -> list[Finding]:
        serialized = etree.tostring(root, encoding="unicode")
        results = self._runner.run("cii" if syntax == "cii" else "ubl", serialized)
        findings: list[Finding] = []
        for result in results:
            if syntax == "cii" and not result.rule_id.startswith(_CEN_RULE_PREFIXES):
                continue  # Factur-X profile rules (FX-SCH-*) and its copy of a Peppol rule are not CEN's
            node = resolve(root, result.location)
            level = severity_of(self._cen_flag(result, syntax))
            findings.append(
                Finding(
                    rule_id=result.rule_id,
                    severity=level,
                    message=result.text,
                    xpath=result.location,
                    line=node.sourceline if node is not None else None,
                    step="val-sch.1",
                    flag=level,
                )
            )
        if syntax == "cii":
            for rule_id, message, node in cii_cen.check(root):
                level = severity_of(self._flags.get(rule_id, "warning" if rule_id.startswith("CII-") else "fatal"))
                findings.append(Finding(rule_id, level, message, full_path(node), node.sourceline, "val-sch.1", level))
        return findings

    @staticmethod
    def _apply_custom_levels(findings: Iterable[Finding], scenario: Scenario) -> list[Finding]:
        result = []
        for finding in findings:
            custom = scenario.custom_levels.get(finding.rule_id)
            if custom is not None and finding.step.startswith("val-sch"):
                finding.severity = custom
            result.append(finding)
        return result

    # --- the pipeline ------------------------------------------------------------------------------------------

    def validate(self, xml: bytes) -> Report:
        document_hash = sha256_hex(xml)
        try:
            tree = parse(xml)
        except UnsafeXml:
            raise
        except etree.XMLSyntaxError as error:
            return Report(
                accepted=False,
                scenario=None,
                document_hash=document_hash,
                findings=[
                    Finding("val-xml", "error", f"Kein wohlgeformtes XML: {error.msg}", None, error.lineno, "val-xml")
                ],
                steps=["val-xml"],
                reason="Das Dokument ist kein wohlgeformtes XML.",
            )
        root = tree.getroot()
        syntax, scenario = select(root)
        invoice = extract(root, syntax) if syntax is not None else None
        if scenario is None:
            return Report(
                accepted=False,
                scenario=None,
                document_hash=document_hash,
                findings=[
                    Finding(
                        "no-scenario-matched",
                        "error",
                        "Kein Prüfszenario passt: das Dokument ist keine XRechnung (UBL Invoice/CreditNote oder CII "
                        "mit der Spezifikationskennung der aktuellen oder vorigen XRechnung-Version).",
                        None,
                        None,
                        "val-xml",
                    )
                ],
                invoice=invoice,
                steps=["val-xml"],
                reason="Kein Prüfszenario passt zu diesem Dokument.",
            )
        steps = ["val-xml", "val-xsd"]
        findings = self._schema_findings(tree, syntax)
        if not findings:
            # KoSIT runs the Schematron steps only on schema-valid documents.
            steps += ["val-sch.1", "val-sch.2"]
            findings += self._cen_findings(root, syntax)
            findings += national.check(root, scenario)
            findings = self._apply_custom_levels(findings, scenario)
        accepted = not any(f.severity == "error" for f in findings)
        return Report(
            accepted=accepted,
            scenario=scenario.name,
            document_hash=document_hash,
            findings=findings,
            invoice=invoice,
            scenario_id=scenario.id,
            steps=steps,
            reason=None if accepted else "Das Dokument verletzt Regeln auf Fehlerstufe.",
        )
