"""The suite's RFC 3161 time-stamping authority: answers a ``TimeStampReq`` with a ``TimeStampResp`` whose token
is a CMS SignedData over a TSTInfo (RFC 3161 §2.4.2), signed with the TSA key held in memory and carrying the
ESS signing-certificate-v2 attribute (RFC 5816) that validators (openssl ts, pyHanko) require.
"""

import datetime as dt
import hashlib
import secrets

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from services.bescheid.pki.certificates import PrivateKey

# A policy OID from the ITU-T "example" arc (X.660): this TSA's tokens belong to no real policy.
TEST_POLICY = "2.999.3161.1"
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
_DIGEST_SIZES = {"sha1": 20, "sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64, "sha3_256": 32,
                 "sha3_384": 48, "sha3_512": 64}


class TimestampRefused(ValueError):
    """The request is not one this TSA answers (RFC 3161 PKIFailureInfo ``badAlg`` / ``badDataFormat``)."""

    def __init__(self, failure: str, text: str) -> None:
        super().__init__(text)
        self.failure = failure


def _signature_algorithm(key: PrivateKey) -> algos.SignedDigestAlgorithm:
    name = "sha256_ecdsa" if isinstance(key, ec.EllipticCurvePrivateKey) else "sha256_rsa"
    return algos.SignedDigestAlgorithm({"algorithm": name})


def sign_bytes(key: PrivateKey, data: bytes) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


class TimeStampAuthority:
    def __init__(self, key: PrivateKey, certificate: asn1_x509.Certificate,
                 chain: list[asn1_x509.Certificate]) -> None:
        self.key = key
        self.certificate = certificate
        self.chain = chain
        self._cert_hash = hashlib.sha256(certificate.dump()).digest()

    def check(self, request: tsp.TimeStampReq) -> None:
        imprint = request["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if algorithm not in _DIGEST_SIZES:
            raise TimestampRefused("bad_alg", f"unsupported hash algorithm {algorithm}")
        if len(imprint["hashed_message"].native) != _DIGEST_SIZES[algorithm]:
            raise TimestampRefused("bad_data_format", "the message imprint has the wrong length for its algorithm")

    def token(self, request: tsp.TimeStampReq, now: dt.datetime) -> cms.ContentInfo:
        """The time-stamp token (a CMS ContentInfo) for ``request`` at ``now``."""
        self.check(request)
        info = {
            "version": "v1", "policy": request["req_policy"].native or TEST_POLICY,
            "message_imprint": request["message_imprint"], "serial_number": secrets.randbits(63),
            "gen_time": now.astimezone(dt.UTC).replace(microsecond=0), "accuracy": {"seconds": 1},
            "ordering": False,
        }
        if request["nonce"].native is not None:
            info["nonce"] = request["nonce"]
        tst_info = tsp.TSTInfo(info)
        encapsulated = tst_info.dump()
        signed_attrs = cms.CMSAttributes([
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": info["gen_time"]})]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(encapsulated).digest()]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [tsp.SigningCertificateV2({"certs": [
                tsp.ESSCertIDv2({"hash_algorithm": {"algorithm": "sha256"}, "cert_hash": self._cert_hash,
                                 "issuer_serial": {"issuer": [asn1_x509.GeneralName(
                                     {"directory_name": self.certificate.issuer})],
                                                   "serial_number": self.certificate.serial_number}})]})]}),
        ])
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber({
                "issuer": self.certificate.issuer, "serial_number": self.certificate.serial_number})}),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": _signature_algorithm(self.key),
            "signature": sign_bytes(self.key, signed_attrs.dump()),
        })
        certificates = [self.certificate, *self.chain] if request["cert_req"].native else []
        signed_data = cms.SignedData({
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(encapsulated)},
            "certificates": certificates or None,
            "signer_infos": [signer_info],
        })
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})

    def respond(self, request: tsp.TimeStampReq, now: dt.datetime) -> tsp.TimeStampResp:
        try:
            token = self.token(request, now)
        except TimestampRefused as refused:
            return tsp.TimeStampResp({"status": {"status": "rejection", "status_string": [str(refused)],
                                                 "fail_info": {refused.failure}}})
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
