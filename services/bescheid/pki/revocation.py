"""Revocation information of the test PKI: an RFC 5280 CRL and RFC 6960 OCSP responses, both signed by the
root CA, both reporting the revocations made through the emulator controls. Built with the kit clock's time and
cached until the revocations change or the cached item ages, because pyHanko asks for them on every seal."""

import datetime as dt
from dataclasses import dataclass

from asn1crypto import keys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from services.bescheid.pki.certificates import PrivateKey

CRL_LIFETIME = dt.timedelta(days=1)
OCSP_LIFETIME = dt.timedelta(hours=1)
# A cached CRL or OCSP response is replaced after this long, so nextUpdate always lies well ahead.
REFRESH_AFTER = dt.timedelta(minutes=10)
_REASONS = {r.name: r for r in x509.ReasonFlags}


@dataclass(frozen=True)
class RevokedEntry:
    serial: int
    revoked_at: dt.datetime
    reason: str


def _fresh(built_at: dt.datetime | None, now: dt.datetime) -> bool:
    return built_at is not None and built_at <= now < built_at + REFRESH_AFTER


class RevocationAuthority:
    def __init__(self, root_key: PrivateKey, root: x509.Certificate) -> None:
        self.root_key = root_key
        self.root = root
        self.revoked: dict[int, RevokedEntry] = {}
        self.known: dict[int, x509.Certificate] = {}  # certificates the root issued, by serial
        self._crl: tuple[dt.datetime, bytes] | None = None
        self._ocsp: dict[int, tuple[dt.datetime, bytes]] = {}

    def know(self, certificate: x509.Certificate) -> None:
        self.known[certificate.serial_number] = certificate

    def set_revoked(self, entries: list[RevokedEntry]) -> None:
        self.revoked = {e.serial: e for e in entries}
        self._crl = None
        self._ocsp.clear()

    def _this_update(self, now: dt.datetime) -> dt.datetime:
        # One minute back: a validator whose clock is slightly behind must not see a CRL from the future.
        return now.replace(microsecond=0) - dt.timedelta(minutes=1)

    def crl(self, now: dt.datetime) -> bytes:
        """The current CRL (DER)."""
        if self._crl is not None and _fresh(self._crl[0], now):
            return self._crl[1]
        this_update = self._this_update(now)
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.root.subject)
                   .last_update(this_update).next_update(this_update + CRL_LIFETIME)
                   .add_extension(x509.CRLNumber(int(this_update.timestamp())), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       self.root.public_key()), critical=False))  # type: ignore[arg-type]
        for entry in self.revoked.values():
            revoked = (x509.RevokedCertificateBuilder().serial_number(entry.serial)
                       .revocation_date(entry.revoked_at)
                       .add_extension(x509.CRLReason(_REASONS.get(entry.reason, x509.ReasonFlags.unspecified)),
                                      critical=False).build())
            builder = builder.add_revoked_certificate(revoked)
        der = builder.sign(self.root_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        self._crl = (now, der)
        return der

    def status_of(self, serial: int) -> RevokedEntry | None:
        return self.revoked.get(serial)

    def ocsp_for(self, certificate: x509.Certificate, now: dt.datetime) -> bytes:
        """An OCSP response (DER) for one certificate the root issued, as the responder would give it."""
        cached = self._ocsp.get(certificate.serial_number)
        if cached is not None and _fresh(cached[0], now):
            return cached[1]
        der = self._build([(certificate, None)], now)
        self._ocsp[certificate.serial_number] = (now, der)
        return der

    def respond(self, request_der: bytes, now: dt.datetime) -> bytes:
        """Answer an OCSP request (RFC 6960); unknown certificates are ``unknown``, a broken request is
        ``malformedRequest``."""
        try:
            request = ocsp.load_der_ocsp_request(request_der)
            serial = request.serial_number
            hash_algorithm = request.hash_algorithm
            nonce = next((e.value for e in request.extensions if isinstance(e.value, x509.OCSPNonce)), None)
        except Exception:  # anything unreadable is malformed, whatever the parser's exception
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(serialization.Encoding.DER)
        certificate = self.known.get(serial)
        if certificate is None or request.issuer_key_hash != self._key_hash(hash_algorithm):
            return self._build([], now, unknown=(request, hash_algorithm), nonce=nonce)
        return self._build([(certificate, hash_algorithm)], now, nonce=nonce)

    def _key_hash(self, algorithm: hashes.HashAlgorithm) -> bytes:
        spki = self.root.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        digest = hashes.Hash(algorithm)
        # RFC 6960 §4.1.1: issuerKeyHash covers the BIT STRING of the key, without tag and length.
        digest.update(keys.PublicKeyInfo.load(spki)["public_key"].contents[1:])
        return digest.finalize()

    def _build(self, certificates: list[tuple[x509.Certificate, hashes.HashAlgorithm | None]], now: dt.datetime, *,
               unknown: tuple[ocsp.OCSPRequest, hashes.HashAlgorithm] | None = None,
               nonce: x509.OCSPNonce | None = None) -> bytes:
        this_update = self._this_update(now)
        next_update = this_update + OCSP_LIFETIME
        builder = (ocsp.OCSPResponseBuilder().responder_id(ocsp.OCSPResponderEncoding.HASH, self.root)
                   .certificates([self.root]))  # the signer, so clients need not look it up
        for certificate, algorithm in certificates:
            entry = self.status_of(certificate.serial_number)
            status = ocsp.OCSPCertStatus.REVOKED if entry else ocsp.OCSPCertStatus.GOOD
            builder = builder.add_response(
                # SHA-1 is RFC 6960's CertID default: what pyHanko and NSS ask with.
                cert=certificate, issuer=self.root, algorithm=algorithm or hashes.SHA1(),  # noqa: S303
                cert_status=status,
                this_update=this_update, next_update=next_update,
                revocation_time=entry.revoked_at if entry else None,
                revocation_reason=_REASONS.get(entry.reason) if entry else None)
        if unknown is not None:
            request, algorithm = unknown
            builder = builder.add_response_by_hash(
                issuer_name_hash=request.issuer_name_hash, issuer_key_hash=request.issuer_key_hash,
                serial_number=request.serial_number, algorithm=algorithm, cert_status=ocsp.OCSPCertStatus.UNKNOWN,
                this_update=this_update, next_update=next_update, revocation_time=None, revocation_reason=None)
        if nonce is not None:
            builder = builder.add_extension(nonce, critical=False)
        return builder.sign(self.root_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

