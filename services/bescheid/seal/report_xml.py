"""The verification report as ETSI TS 119 102-2 XML (``ValidationReport``, namespace v1.2.1): one
``SignatureValidationReport`` per signature or document timestamp, with identifier, validation time, signing
time and timestamps, signer, quality, process (basic/with time/LTA) and status, plus the certificates as
``SignatureValidationObjects``. Element order follows the schema's sequences."""

import base64
from typing import Any

from lxml import etree

NS = "http://uri.etsi.org/19102/v1.2.1#"
DS = "http://www.w3.org/2000/09/xmldsig#"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
_MAIN = {"TOTAL_PASSED": "total-passed", "TOTAL_FAILED": "total-failed", "INDETERMINATE": "indeterminate"}
_PROCESS = {"B-B": "Basic", "B-T": "LTVM", "B-LT": "LTVM", "B-LTA": "LTA"}


def _e(parent: etree._Element, name: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{name}", **attributes)
    if text is not None:
        element.text = text
    return element


def _digest(parent: etree._Element, hex_value: str) -> None:
    holder = _e(parent, "DigestAlgAndValue")
    etree.SubElement(holder, f"{{{DS}}}DigestMethod", Algorithm=SHA256)
    etree.SubElement(holder, f"{{{DS}}}DigestValue").text = base64.b64encode(bytes.fromhex(hex_value)).decode()


def render(report: dict[str, Any]) -> bytes:
    root = etree.Element(f"{{{NS}}}ValidationReport", nsmap={None: NS, "ds": DS})
    objects: list[tuple[str, dict[str, Any]]] = []
    for number, item in enumerate(report["signatures"], start=1):
        vo_id = f"vo-cert-{number}"
        objects.append((vo_id, item["signer"]))
        svr = _e(root, "SignatureValidationReport")
        identifier = _e(svr, "SignatureIdentifier", id=f"sig-{number}")
        _digest(identifier, item["signatureValue"])
        _e(identifier, "HashOnly", "false")
        _e(identifier, "DocHashOnly", "false")
        _e(identifier, "DAIdentifier", item["fieldName"])
        time_info = _e(svr, "ValidationTimeInfo")
        _e(time_info, "ValidationTime", report["validationTime"])
        best = _e(time_info, "BestSignatureTime")
        proof = item.get("timestamp", {}).get("time") if item["type"] == "signature" else item.get("time")
        _e(best, "POETime", proof or report["validationTime"])
        _e(best, "TypeOfProof", "urn:etsi:019102:poetype:validation" if proof else "urn:etsi:019102:poetype:provided")
        attributes = _e(svr, "SignatureAttributes")
        if item.get("signingTime"):
            _e(_e(attributes, "SigningTime", Signed="true"), "Time", item["signingTime"])
        if item["type"] == "signature" and item["timestamp"]["present"]:
            _e(attributes, "SignatureTimeStamp", Signed="false")
        if item["type"] == "document-timestamp":
            _e(attributes, "DocTimeStamp", Signed="false")
        _e(attributes, "SubFilter", "ETSI.RFC3161" if item["type"] == "document-timestamp" else "ETSI.CAdES.detached",
           Signed="true")
        _e(attributes, "ByteRange", " ".join(str(v) for v in item["byteRange"]), Signed="true")
        signer = _e(svr, "SignerInformation")
        _e(signer, "SignerCertificate", VOReference=vo_id)
        _e(signer, "Signer", item["signer"]["subject"])
        qc = item["signer"].get("qcStatements", {})
        quality = _e(svr, "SignatureQuality")
        _e(quality, "SignatureQualityInformation",
           "urn:cef:dss:signatureQualification:QESeal" if qc.get("qcCompliance") and qc.get("qcTypeESeal")
           else "urn:cef:dss:signatureQualification:AdESeal")
        process = _e(svr, "SignatureValidationProcess")
        _e(process, "SignatureValidationProcessID",
           f"urn:etsi:019102:validationprocess:{_PROCESS.get(item.get('level', 'B-LTA'), 'LTA')}")
        status = _e(svr, "SignatureValidationStatus")
        _e(status, "MainIndication", f"urn:etsi:019102:mainindication:{_MAIN[item['indication']]}")
        if item["subIndication"]:
            _e(status, "SubIndication", f"urn:etsi:019102:subindication:{item['subIndication']}")
        if item["revocation"]["status"] == "revoked":
            data = _e(status, "AssociatedValidationReportData")
            revocation = _e(data, "RevocationStatusInformation")
            _e(revocation, "ValidationObjectId", VOReference=vo_id)
            _e(revocation, "RevocationTime", item["revocation"]["revokedAt"])
            _e(revocation, "RevocationReason", str(item["revocation"]["reason"]))
    vos = _e(root, "SignatureValidationObjects")
    for vo_id, signer in objects:
        vo = _e(vos, "ValidationObject", id=vo_id)
        _e(vo, "ObjectType", "urn:etsi:019102:validationObject:certificate")
        representation = _e(vo, "ValidationObjectRepresentation")
        _e(representation, "URI", f"urn:basisdienste:certificate:serial:{signer['serial']}")
    validator = _e(root, "SignatureValidator")
    _e(_e(validator, "DigitalId"), "DistinguishedName", "CN=Basisdienste Bescheid Prüfdienst (TEST)")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
