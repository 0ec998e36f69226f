"""Issuing the certificates of the test PKI with the profiles real qualified trust services use:

- seal certificates follow ETSI EN 319 412-3 (legal person: organizationIdentifier ``NTRDE-…``) with the
  QCStatements of ETSI EN 319 412-5 (QcCompliance, QcType = eSeal, QcSSCD) and RFC 5280 CRL distribution point
  plus OCSP/caIssuers access; KeyUsage digitalSignature + contentCommitment (critical);
- the TSA certificate has the critical extendedKeyUsage timeStamping RFC 3161 demands.

Every name says TEST: nothing here may be mistaken for a real trust service.
"""

import datetime as dt
from dataclasses import dataclass

from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID, ObjectIdentifier

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

QC_STATEMENTS_OID = ObjectIdentifier("1.3.6.1.5.5.7.1.3")
QC_COMPLIANCE = "0.4.0.1862.1.1"
QC_SSCD = "0.4.0.1862.1.4"
QC_TYPE = "0.4.0.1862.1.6"
QCT_ESEAL = "0.4.0.1862.1.6.2"
# ETSI EN 319 411-2 policy of a qualified seal certificate on a QSCD (QCP-l-qscd).
QCP_L_QSCD = ObjectIdentifier("0.4.0.194112.1.3")
ORGANIZATION = "Basisdienste TEST-PKI (keine echte Vertrauensdienste)"
# Wide validity: sealed notices must stay verifiable while users move the kit clock years ahead or back.
VALIDITY_BEFORE = dt.timedelta(days=3 * 365)
VALIDITY_AFTER = dt.timedelta(days=15 * 365)


class _QcStatement(core.Sequence):
    _fields = [("statement_id", core.ObjectIdentifier), ("statement_info", core.Any, {"optional": True})]


class _QcStatements(core.SequenceOf):
    _child_spec = _QcStatement


class _QcTypes(core.SequenceOf):
    _child_spec = core.ObjectIdentifier


def qc_statements_der(*, eseal: bool = True) -> bytes:
    """QCStatements (ETSI EN 319 412-5): compliance with eIDAS, key on a QSCD, and the type eSeal."""
    statements = [_QcStatement({"statement_id": QC_COMPLIANCE}), _QcStatement({"statement_id": QC_SSCD})]
    if eseal:
        statements.append(_QcStatement({"statement_id": QC_TYPE, "statement_info": _QcTypes([QCT_ESEAL])}))
    return _QcStatements(statements).dump()


def new_key(key_type: str, rsa_bits: int) -> PrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    return ec.generate_private_key(ec.SECP256R1())


@dataclass(frozen=True)
class PkiUrls:
    """Where the suite serves the PKI's artefacts (the certificates name them; validators fetch them)."""

    ca_issuers: str
    crl: str
    ocsp: str


def _key_usage(*, signing: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=signing or not ca, content_commitment=signing, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def _base(subject: x509.Name, issuer: x509.Name, public_key: PublicKey, now: dt.datetime, *,
          not_before: dt.datetime | None = None, not_after: dt.datetime | None = None) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - VALIDITY_BEFORE).not_valid_after(not_after or now + VALIDITY_AFTER)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))


def _issued_by(builder: x509.CertificateBuilder, issuer_cert: x509.Certificate,
               urls: PkiUrls) -> x509.CertificateBuilder:
    return (builder
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),  # type: ignore[arg-type]
                           critical=False)
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(urls.crl)], relative_name=None, reasons=None,
                crl_issuer=None)]), critical=False)
            .add_extension(x509.AuthorityInformationAccess([
                x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(urls.ocsp)),
                x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                       x509.UniformResourceIdentifier(urls.ca_issuers))]), critical=False))


def root_certificate(key: PrivateKey, now: dt.datetime) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Basisdienste TEST Root CA")])
    return (_base(name, name, key.public_key(), now, not_after=now + VALIDITY_AFTER + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .sign(key, hashes.SHA256()))


def seal_certificate(public_key: PublicKey, root_key: PrivateKey, root: x509.Certificate, urls: PkiUrls,
                     now: dt.datetime, *, authority_name: str, organization_identifier: str, qc_statements: bool = True,
                     not_before: dt.datetime | None = None, not_after: dt.datetime | None = None) -> x509.Certificate:
    """An authority's seal certificate for ``public_key`` (in memory or in an HSM); ``qc_statements=False`` and
    the validity bounds make defective ones."""
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, authority_name),
                         x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, organization_identifier),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"TEST Behördensiegel {authority_name}")])
    builder = (_issued_by(_base(subject, root.subject, public_key, now, not_before=not_before, not_after=not_after),
                          root, urls)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(_key_usage(signing=True), critical=True)
               .add_extension(x509.CertificatePolicies([x509.PolicyInformation(QCP_L_QSCD, None)]), critical=False))
    if qc_statements:
        builder = builder.add_extension(x509.UnrecognizedExtension(QC_STATEMENTS_OID, qc_statements_der()),
                                        critical=False)
    return builder.sign(root_key, hashes.SHA256())


def tsa_certificate(public_key: PublicKey, root_key: PrivateKey, root: x509.Certificate, urls: PkiUrls,
                    now: dt.datetime) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                         x509.NameAttribute(NameOID.COMMON_NAME, "Basisdienste TEST Zeitstempeldienst")])
    return (_issued_by(_base(subject, root.subject, public_key, now), root, urls)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signing=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(root_key, hashes.SHA256()))


def read_qc_statements(der: bytes) -> dict[str, bool]:
    """What a QCStatements extension value (DER) claims: EU qualified, on a QSCD, of type eSeal."""
    statements = _QcStatements.load(der)
    ids = {s["statement_id"].dotted for s in statements}
    types: set[str] = set()
    for statement in statements:
        if statement["statement_id"].dotted == QC_TYPE and statement["statement_info"].contents:
            types |= {oid.dotted for oid in statement["statement_info"].parse(_QcTypes)}
    return {"qcCompliance": QC_COMPLIANCE in ids, "qcSSCD": QC_SSCD in ids, "qcTypeESeal": QCT_ESEAL in types}
