"""PAdES baseline sealing with pyHanko: B-B, B-T (+ RFC 3161 signature timestamp), B-LT (+ certificates, CRL
and OCSP in the DSS), B-LTA (+ document timestamp), ETSI EN 319 142-1.

Everything pyHanko would fetch over the network is handed to it from this process: the timestamper calls the
suite's TSA object, and the validation context receives the suite's current CRL and OCSP response. The same
artefacts are served over HTTP (pki/endpoints.py) at the URLs the certificates name, for external validators.

The signer keeps the parsed key object: pyHanko's ``SimpleSigner`` re-parses (and, for RSA, re-validates) the
key on every signature, which costs ~125 ms with RSA-3072 (the reference's performance trap).
"""

import asyncio
import datetime as dt
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

from asn1crypto import algos, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from services.bescheid.pki.certificates import PrivateKey
from services.bescheid.pki.tsa import TimeStampAuthority

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")


class _HandedInRevocationData(logging.Filter):
    """pyHanko warns on every B-LT seal that it may not fetch; this service hands it the CRL and OCSP itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_HandedInRevocationData())
FIELD_NAME = "Behoerdensiegel"
TIMESTAMP_FIELD_NAME = "Archivzeitstempel"


class CachedKeySigner(signers.Signer):
    """A pyHanko signer over a key object parsed once (ECDSA P-256 or RSA PKCS#1 v1.5, SHA-256)."""

    def __init__(self, key: PrivateKey, certificate: asn1_x509.Certificate,
                 chain: list[asn1_x509.Certificate]) -> None:
        is_ec = isinstance(key, ec.EllipticCurvePrivateKey)
        mechanism = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa" if is_ec else "sha256_rsa"})
        super().__init__(signing_cert=certificate, cert_registry=SimpleCertificateStore.from_certs(chain),
                         signature_mechanism=mechanism)
        self._key = key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if digest_algorithm != "sha256":
            raise ValueError(f"this seal signs with SHA-256 only, not {digest_algorithm}")
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(hashes.SHA256()))
        assert isinstance(self._key, rsa.RSAPrivateKey)
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())


class LocalTimeStamper(TimeStamper):
    """pyHanko's timestamper interface answered by the suite's own TSA, without a network round trip."""

    def __init__(self, tsa: TimeStampAuthority, now: Callable[[], dt.datetime]) -> None:
        super().__init__()
        self.tsa = tsa
        self.now = now

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self.tsa.respond(req, self.now())


@dataclass(frozen=True)
class SealMaterial:
    """What one seal needs, gathered on the event loop before the work moves to a thread."""

    signer: signers.Signer
    timestamper: TimeStamper | None
    trust_root: asn1_x509.Certificate
    crl: bytes | None
    ocsps: list[bytes]
    moment: dt.datetime


def _metadata(level: str, material: SealMaterial, reason: str) -> signers.PdfSignatureMetadata:
    long_term = level in ("B-LT", "B-LTA")
    context = None
    if long_term:
        # Validated at the kit clock's time, like the TSA's timestamps: a frozen or advanced emulator clock must
        # not make the suite's own CRL look stale or premature.
        context = ValidationContext(trust_roots=[material.trust_root], crls=[material.crl] if material.crl else [],
                                    ocsps=material.ocsps, allow_fetching=False, revocation_mode="hard-fail",
                                    moment=material.moment)
    return signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256", reason=reason,
        location="Deutschland", embed_validation_info=long_term, validation_context=context,
        use_pades_lta=level == "B-LTA", timestamp_field_name=TIMESTAMP_FIELD_NAME if level == "B-LTA" else None,
        signer_key_usage={"non_repudiation"})


async def seal_async(pdf: bytes, level: str, material: SealMaterial, *, reason: str) -> bytes:
    if level not in LEVELS:
        raise ValueError(f"unknown PAdES level {level!r}")
    signer = signers.PdfSigner(_metadata(level, material, reason), signer=material.signer,
                               timestamper=material.timestamper if level != "B-B" else None)
    out = io.BytesIO()
    await signer.async_sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False), output=out)
    return out.getvalue()


def seal(pdf: bytes, level: str, material: SealMaterial, *, reason: str) -> bytes:
    """Seal ``pdf`` at ``level``; for worker threads (runs its own event loop for pyHanko's async API)."""
    return asyncio.run(seal_async(pdf, level, material, reason=reason))
