"""The JSON verification report of ``POST /api/v1/verify`` (camelCase, as the route writes it): one entry per
signature and document timestamp, with ETSI EN 319 102-1 indications (TOTAL_PASSED, TOTAL_FAILED, INDETERMINATE)
and sub-indications. The route writes the report itself; these models document it."""

from typing import Annotated, Literal

from pydantic import Field

from kit.schemas import Timestamp, WireModel

Indication = Literal["TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"]
SubIndication = Literal["HASH_FAILURE", "SIG_CRYPTO_FAILURE", "REVOKED_NO_POE", "OUT_OF_BOUNDS_NO_POE",
                        "NO_CERTIFICATE_CHAIN_FOUND", "NO_SIGNATURE"]
PadesLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]


class QcStatements(WireModel):
    """What the certificate's QCStatements extension claims (ETSI EN 319 412-5)."""

    present: bool
    qcCompliance: bool
    qcSSCD: bool
    qcTypeESeal: bool


class Revocation(WireModel):
    status: Literal["good", "revoked", "unknown"]
    revokedAt: Timestamp | None = None
    reason: str | None = None
    source: Literal["CRL/OCSP"] | None
    afterProvenSigningTime: bool | None = Field(
        None, description="For a revoked certificate: whether a timestamp proves the seal existed before")


class SealSigner(WireModel):
    subject: str
    serial: str
    notAfter: Timestamp
    qcStatements: QcStatements


class TimestampSigner(WireModel):
    subject: str
    serial: str


class SignatureTimestamp(WireModel):
    """The signature timestamp inside the seal (PAdES B-T and above)."""

    present: bool
    time: Timestamp | None
    valid: bool
    trusted: bool
    tsa: str | None


class SealReport(WireModel):
    type: Literal["signature"]
    fieldName: str
    intact: bool
    signatureValid: bool
    trusted: bool
    coverage: str | None
    modificationLevel: str | None
    signingTime: Timestamp | None
    signer: SealSigner
    certificateExpired: bool
    timestamp: SignatureTimestamp
    revocation: Revocation
    signatureValue: str = Field(description="SHA-256 of the signature value, hex")
    byteRange: list[int]
    indication: Indication
    subIndication: SubIndication | None
    level: PadesLevel


class DocumentTimestampReport(WireModel):
    type: Literal["document-timestamp"]
    fieldName: str
    intact: bool
    signatureValid: bool
    trusted: bool
    coverage: str | None
    time: Timestamp | None
    signer: TimestampSigner
    revocation: Revocation
    signatureValue: str = Field(description="SHA-256 of the signature value, hex")
    byteRange: list[int]
    indication: Indication
    subIndication: SubIndication | None


class VerificationReport(WireModel):
    """The worst indication of all entries decides; ``level`` is the PAdES level of the first seal."""

    indication: Indication
    subIndication: SubIndication | None
    valid: bool
    level: PadesLevel | None
    validationTime: Timestamp
    signatures: list[Annotated[SealReport | DocumentTimestampReport, Field(discriminator="type")]]
    trustAnchor: str
    note: str
