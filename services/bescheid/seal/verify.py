"""Verification of sealed PDFs: every signature and document timestamp is checked with pyHanko against the
suite's TEST root and the current CRL/OCSP of the suite's own PKI, and summarised as the facts a Fachverfahren
asks for: intact, chain trusted, timestamp, PAdES level reached, revocation status, qualified-seal statements.
Mapped to ETSI EN 319 102-1 indications (TOTAL-PASSED / TOTAL-FAILED / INDETERMINATE with sub-indication)."""

import asyncio
import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

from services.bescheid.pki.certificates import QC_STATEMENTS_OID, read_qc_statements

PASSED, FAILED, INDETERMINATE = "TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"


@dataclass(frozen=True)
class Evidence:
    """The trust anchor and revocation data the verifier brings along (the suite's own PKI)."""

    root: asn1_x509.Certificate
    crl: bytes
    ocsp_for: Callable[[int], bytes | None]  # serial -> OCSP response (DER) of a certificate the root issued
    revoked: dict[int, tuple[dt.datetime, str]]
    now: dt.datetime


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def qc_statements(certificate: asn1_x509.Certificate) -> dict[str, bool]:
    for extension in certificate["tbs_certificate"]["extensions"]:
        if extension["extn_id"].dotted == QC_STATEMENTS_OID.dotted_string:
            return {"present": True, **read_qc_statements(extension["extn_value"].contents)}
    return {"present": False, "qcCompliance": False, "qcSSCD": False, "qcTypeESeal": False}


def _name(certificate: asn1_x509.Certificate) -> str:
    return certificate.subject.human_friendly


def _context(evidence: Evidence, certificate: asn1_x509.Certificate | None) -> ValidationContext:
    ocsps = []
    if certificate is not None and certificate.issuer == evidence.root.subject:
        response = evidence.ocsp_for(certificate.serial_number)
        if response:
            ocsps.append(response)
    return ValidationContext(trust_roots=[evidence.root], crls=[evidence.crl], ocsps=ocsps, allow_fetching=False,
                             revocation_mode="soft-fail", moment=evidence.now)


def _revocation(certificate: asn1_x509.Certificate, evidence: Evidence, status: Any) -> dict[str, Any]:
    ours = certificate.issuer == evidence.root.subject
    entry = evidence.revoked.get(certificate.serial_number) if ours else None
    if entry is not None:
        return {"status": "revoked", "revokedAt": _iso(entry[0]), "reason": entry[1], "source": "CRL/OCSP"}
    details = getattr(status, "revocation_details", None)
    if details is not None:
        return {"status": "revoked", "revokedAt": _iso(details.revocation_date),
                "reason": details.revocation_reason.native, "source": "CRL/OCSP"}
    return {"status": "good" if ours else "unknown", "source": "CRL/OCSP" if ours else None}


def _indication(item: dict[str, Any]) -> tuple[str, str | None]:
    if not item["intact"]:
        return FAILED, "HASH_FAILURE"
    if not item["signatureValid"]:
        return FAILED, "SIG_CRYPTO_FAILURE"
    revocation = item["revocation"]
    if revocation["status"] == "revoked":
        # ETSI EN 319 102-1 §5.6.2.4: a timestamp proving the seal existed before the revocation saves it.
        proven = item.get("timestamp", {}).get("valid") and item["timestamp"]["time"] < revocation["revokedAt"]
        revocation["afterProvenSigningTime"] = bool(proven)
        if not proven:
            return INDETERMINATE, "REVOKED_NO_POE"
    if item.get("certificateExpired"):
        return INDETERMINATE, "OUT_OF_BOUNDS_NO_POE"
    if not item["trusted"]:
        return INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND"
    return PASSED, None


async def _signature(embedded: Any, evidence: Evidence) -> dict[str, Any]:
    certificate = embedded.signer_cert
    status = await async_validate_pdf_signature(embedded, _context(evidence, certificate),
                                                ts_validation_context=_context(evidence, None), skip_diff=False)
    timestamp = status.timestamp_validity
    expired = certificate.not_valid_after < evidence.now
    item: dict[str, Any] = {
        "type": "signature", "fieldName": embedded.field_name, "intact": bool(status.intact),
        "signatureValid": bool(status.valid), "trusted": bool(status.trusted),
        "coverage": status.coverage.name if status.coverage else None,
        "modificationLevel": status.modification_level.name if status.modification_level else None,
        "signingTime": _iso(status.signer_reported_dt),
        "signer": {"subject": _name(certificate), "serial": str(certificate.serial_number),
                   "notAfter": _iso(certificate.not_valid_after), "qcStatements": qc_statements(certificate)},
        "certificateExpired": expired,
        "timestamp": {"present": timestamp is not None, "time": _iso(timestamp.timestamp) if timestamp else None,
                      "valid": bool(timestamp and timestamp.intact and timestamp.valid),
                      "trusted": bool(timestamp and timestamp.trusted),
                      "tsa": _name(timestamp.signing_cert) if timestamp else None},
        "revocation": _revocation(certificate, evidence, status),
        "signatureValue": hashlib.sha256(embedded.signer_info["signature"].native).hexdigest(),
        "byteRange": list(embedded.sig_object["/ByteRange"]),
    }
    item["indication"], item["subIndication"] = _indication(item)
    return item


async def _document_timestamp(embedded: Any, evidence: Evidence) -> dict[str, Any]:
    certificate = embedded.signer_cert
    status = await async_validate_pdf_timestamp(embedded, _context(evidence, certificate))
    item = {
        "type": "document-timestamp", "fieldName": embedded.field_name, "intact": bool(status.intact),
        "signatureValid": bool(status.valid), "trusted": bool(status.trusted),
        "coverage": status.coverage.name if status.coverage else None, "time": _iso(status.timestamp),
        "signer": {"subject": _name(certificate), "serial": str(certificate.serial_number)},
        "revocation": _revocation(certificate, evidence, status),
        "signatureValue": hashlib.sha256(embedded.signer_info["signature"].native).hexdigest(),
        "byteRange": list(embedded.sig_object["/ByteRange"]),
    }
    item["indication"], item["subIndication"] = _indication(item)
    return item


def _level(signature: dict[str, Any], reader: PdfFileReader, later_timestamps: int) -> str:
    if not signature["timestamp"]["present"]:
        return "B-B"
    dss = reader.root.get("/DSS")
    dss = dss.get_object() if dss is not None else None
    if dss is None or "/Certs" not in dss or not ("/CRLs" in dss or "/OCSPs" in dss):
        return "B-T"
    return "B-LTA" if later_timestamps else "B-LT"


async def verify_async(pdf: bytes, evidence: Evidence) -> dict[str, Any]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    embedded = list(reader.embedded_signatures)
    items: list[dict[str, Any]] = []
    for position, signature in enumerate(embedded):
        if signature.sig_object.get("/Type") == "/DocTimeStamp":
            items.append(await _document_timestamp(signature, evidence))
        else:
            item = await _signature(signature, evidence)
            later = sum(1 for s in embedded[position + 1:] if s.sig_object.get("/Type") == "/DocTimeStamp")
            item["level"] = _level(item, reader, later)
            items.append(item)
    seals = [i for i in items if i["type"] == "signature"]
    if not seals:
        overall, sub = FAILED, "NO_SIGNATURE"
    else:
        worst = max(items, key=lambda i: (PASSED, INDETERMINATE, FAILED).index(i["indication"]))
        overall, sub = worst["indication"], worst["subIndication"]
    return {
        "indication": overall, "subIndication": sub, "valid": overall == PASSED,
        "level": seals[0]["level"] if seals else None,
        "validationTime": _iso(evidence.now), "signatures": items,
        "trustAnchor": _name(evidence.root),
        "note": "Geprüft gegen die TEST-PKI der Basisdienste; kein Nachweis einer echten qualifizierten Signatur.",
    }


def verify(pdf: bytes, evidence: Evidence) -> dict[str, Any]:
    """For worker threads: pyHanko's validation runs in this thread's own event loop."""
    return asyncio.run(verify_async(pdf, evidence))
