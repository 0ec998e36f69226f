"""The test PKI as the running service holds it: generated on first start, persisted (kept across resets),
parsed ONCE into key objects that every seal, timestamp, CRL and OCSP response reuses.

Emulator controls swap an authority's seal for a defective one (revoked, expired, without QCStatement); such
overrides and revocations belong to the emulator state and vanish with a reset.
"""

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.stored_keys import load_stored_private_key
from services.bescheid.models import PkiMaterial, Revocation
from services.bescheid.pki import certificates as issue
from services.bescheid.pki.certificates import PkiUrls, PrivateKey, PublicKey
from services.bescheid.pki.revocation import RevocationAuthority, RevokedEntry
from services.bescheid.pki.tsa import TimeStampAuthority

ROOT, TSA = "root", "tsa"


if TYPE_CHECKING:
    from pyhanko.sign import signers

    from services.bescheid.pki.hsm import Hsm  # python-pkcs11 is needed only when the seal keys live in an HSM

HSM_PREFIX = "pkcs11:"  # in place of a PEM key: the key is in the HSM under this label


def seal_name(authority_id: str, *, hsm: bool = False) -> str:
    return f"seal:{authority_id}" + ("@pkcs11" if hsm else "")


@dataclass(frozen=True)
class Credential:
    """A key (in memory, or in the HSM under ``hsm_label``) with its certificate, in both the ``cryptography``
    and the ``asn1crypto`` form (pyHanko's)."""

    key: PrivateKey | None
    certificate: x509.Certificate
    asn1: asn1_x509.Certificate
    defect: str | None = None  # "expired" | "no-qcstatement" for emulator-made seals
    hsm_label: str | None = None

    @classmethod
    def of(cls, key: PrivateKey | None, certificate: x509.Certificate, defect: str | None = None,
           hsm_label: str | None = None) -> "Credential":
        return cls(key, certificate, asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
                   defect, hsm_label)

    @property
    def public_key(self) -> PublicKey:
        return self.certificate.public_key()  # type: ignore[return-value]

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def serial(self) -> int:
        return self.certificate.serial_number


@dataclass(frozen=True)
class AuthorityIdentity:
    id: str
    name: str
    organization_identifier: str


@dataclass
class TestPki:
    __test__ = False  # a test PKI, not a pytest test class

    key_type: str
    rsa_bits: int
    urls: PkiUrls
    root: Credential | None = None
    tsa_credential: Credential | None = None
    seals: dict[str, Credential] = field(default_factory=dict)
    overrides: dict[str, Credential] = field(default_factory=dict)
    revocation: RevocationAuthority | None = None
    tsa: TimeStampAuthority | None = None
    hsm: "Hsm | None" = None  # seal keys in a PKCS#11 token instead of memory
    _signers: "dict[int, signers.Signer]" = field(default_factory=dict)

    # -- loading ---------------------------------------------------------------------------------------------

    async def load(self, session: AsyncSession, now: dt.datetime, authorities: list[AuthorityIdentity]) -> None:
        """Read the persisted material; generate what is missing (in a worker thread: RSA keys take seconds)."""
        rows = {r.name: r for r in (await session.scalars(select(PkiMaterial))).all()}
        parsed = await asyncio.to_thread(self.generate, rows, now, authorities)
        for name, credential in parsed.items():
            if name not in rows:
                session.add(PkiMaterial(name=name, key_pem=_key_pem(credential),
                                        certificate_pem=credential.certificate_pem, created_at=now))
        revoked = [RevokedEntry(int(r.serial), r.revoked_at, r.reason)
                   for r in (await session.scalars(select(Revocation))).all()]
        self.install(parsed, authorities, revoked)

    def install(self, parsed: dict[str, Credential], authorities: list[AuthorityIdentity],
                revoked: list[RevokedEntry]) -> None:
        self.root, self.tsa_credential = parsed[ROOT], parsed[TSA]
        self.seals = {a.id: parsed[seal_name(a.id, hsm=self.hsm is not None)] for a in authorities}
        self._signers.clear()
        self.overrides.clear()
        assert self.root.key is not None and self.tsa_credential.key is not None
        self.revocation = RevocationAuthority(self.root.key, self.root.certificate)
        for credential in (self.tsa_credential, *self.seals.values()):
            self.revocation.know(credential.certificate)
        self.revocation.set_revoked(revoked)
        self.tsa = TimeStampAuthority(self.tsa_credential.key, self.tsa_credential.asn1, [self.root.asn1])

    def generate(self, rows: dict[str, PkiMaterial], now: dt.datetime,
                           authorities: list[AuthorityIdentity]) -> dict[str, Credential]:
        out = {name: _credential(row) for name, row in rows.items()}
        if ROOT not in out:
            key = self._new_key()
            out[ROOT] = Credential.of(key, issue.root_certificate(key, now))
        root = out[ROOT]
        if TSA not in out:
            key = self._new_key()
            assert root.key is not None
            certificate = issue.tsa_certificate(key.public_key(), root.key, root.certificate, self.urls, now)
            out[TSA] = Credential.of(key, certificate)
        for authority in authorities:
            name = seal_name(authority.id, hsm=self.hsm is not None)
            if name not in out:
                out[name] = self._seal(authority, now, root, hsm_label=name if self.hsm else None)
        return out

    def _new_key(self) -> PrivateKey:
        return issue.new_key(self.key_type, self.rsa_bits)

    def _seal(self, authority: AuthorityIdentity, now: dt.datetime, root: Credential, *,
              key: PrivateKey | None = None, hsm_label: str | None = None, defect: str | None = None) -> Credential:
        if hsm_label is not None:
            assert self.hsm is not None
            public_key = self.hsm.public_key(hsm_label)
        else:
            key = key or self._new_key()
            public_key = key.public_key()
        bounds: dict[str, dt.datetime] = {}
        if defect == "expired":
            bounds = {"not_before": now - dt.timedelta(days=2 * 365), "not_after": now - dt.timedelta(days=1)}
        assert root.key is not None
        certificate = issue.seal_certificate(
            public_key, root.key, root.certificate, self.urls, now, authority_name=authority.name,
            organization_identifier=authority.organization_identifier,
            qc_statements=defect != "no-qcstatement", **bounds)
        return Credential.of(key, certificate, defect, hsm_label)

    # -- use -------------------------------------------------------------------------------------------------

    def seal_for(self, authority_id: str) -> Credential:
        return self.overrides.get(authority_id) or self.seals[authority_id]

    def chain(self) -> list[asn1_x509.Certificate]:
        assert self.root is not None
        return [self.root.asn1]

    def signer_for(self, authority_id: str) -> "signers.Signer":
        """The pyHanko signer of the authority's current seal, built once per certificate and reused."""
        # pyHanko takes 0.2 s to import: the first seal pays it, not every start of the suite.
        from services.bescheid.seal.sealer import CachedKeySigner

        credential = self.seal_for(authority_id)
        signer = self._signers.get(credential.serial)
        if signer is None:
            if credential.hsm_label is not None:
                assert self.hsm is not None
                signer = self.hsm.signer(credential.hsm_label, credential.asn1, self.chain())
            else:
                assert credential.key is not None
                signer = CachedKeySigner(credential.key, credential.asn1, self.chain())
            self._signers[credential.serial] = signer
        return signer

    # -- emulator controls -------------------------------------------------------------------------------------

    def use_defective_seal(self, authority: AuthorityIdentity, defect: str, now: dt.datetime) -> Credential:
        """Seal this authority's notices with a certificate that is expired or lacks the QCStatement."""
        assert self.root is not None
        base = self.seals[authority.id]
        credential = self._seal(authority, now, self.root, key=base.key, hsm_label=base.hsm_label, defect=defect)
        self.overrides[authority.id] = credential
        assert self.revocation is not None
        self.revocation.know(credential.certificate)
        return credential

    def restore_seal(self, authority_id: str) -> None:
        self.overrides.pop(authority_id, None)


def _credential(row: PkiMaterial) -> Credential:
    certificate = x509.load_pem_x509_certificate(row.certificate_pem.encode())
    if row.key_pem.startswith(HSM_PREFIX):
        return Credential.of(None, certificate, hsm_label=row.key_pem.removeprefix(HSM_PREFIX))
    return Credential.of(_load_key(row.key_pem), certificate)


def _key_pem(credential: Credential) -> str:
    if credential.hsm_label is not None:
        return HSM_PREFIX + credential.hsm_label
    key = credential.key
    assert key is not None
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _load_key(pem: str) -> PrivateKey:
    key = load_stored_private_key(pem.encode())
    assert isinstance(key, PrivateKey)  # type: ignore[misc,arg-type]
    return key  # type: ignore[return-value]
