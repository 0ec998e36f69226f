"""The IdP's signing keys: one active key signs SAML messages and JWTs; retired keys stay in the JWKS and the
metadata until tokens signed with them have expired. Keys are parsed once and kept in memory (parsing a PEM per
signature is slow), and rotated only on request (emulator control), never by a reset.
"""

import asyncio
import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.stored_keys import load_stored_private_key
from services.nutzerkonto.models import SigningKey

ALG = "RS256"


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    status: str

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def certificate_base64(self) -> str:
        """The DER certificate in base64, as ``ds:X509Certificate`` in SAML metadata carries it."""
        return base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode()

    @property
    def private_key_pem(self) -> bytes:
        return self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())

    def jwk(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": ALG,
                "x5c": [self.certificate_base64]}


def _generate(bits: int, now: dt.datetime, issuer_name: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Basisdienste (Testumgebung)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    # RFC 7638-style: the kid is derived from the key, so it never collides and never lies.
    kid = base64.urlsafe_b64encode(hashlib.sha256(spki).digest()[:16]).decode().rstrip("=")
    return key, certificate, kid


class KeyRing:
    def __init__(self, *, bits: int, issuer_name: str) -> None:
        self.bits = bits
        self.issuer_name = issuer_name
        self._keys: list[LoadedKey] = []

    @property
    def active(self) -> LoadedKey:
        return next(k for k in self._keys if k.status == "active")

    @property
    def published(self) -> list[LoadedKey]:
        """Active first, then retired: what the JWKS and the IdP metadata list."""
        return sorted((k for k in self._keys if k.status in ("active", "retired")), key=lambda k: k.status)

    def by_kid(self, kid: str) -> LoadedKey | None:
        return next((k for k in self.published if k.kid == kid), None)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.jwk() for k in self.published]}

    async def load(self, session: AsyncSession, now: dt.datetime) -> None:
        """Read the keys, creating the first one when there is none."""
        rows = list((await session.scalars(select(SigningKey))).all())
        if not any(r.status == "active" for r in rows):
            rows.append(await self._new_row(session, now))
            await session.flush()
        self._keys = [self._parse(r) for r in rows]

    async def rotate(self, session: AsyncSession, now: dt.datetime) -> LoadedKey:
        """A new active key; the old one is retired (still published, no longer signing)."""
        await session.execute(update(SigningKey).where(SigningKey.status == "retired").values(status="revoked"))
        await session.execute(update(SigningKey).where(SigningKey.status == "active")
                              .values(status="retired", retired_at=now))
        await self._new_row(session, now)
        await session.flush()
        await self.load(session, now)
        return self.active

    async def _new_row(self, session: AsyncSession, now: dt.datetime) -> SigningKey:
        # In a worker thread: RSA generation takes up to a second, the event loop (and the other services
        # starting beside this one) must not wait for it.
        key, certificate, kid = await asyncio.to_thread(_generate, self.bits, now, self.issuer_name)
        row = SigningKey(
            kid=kid, alg=ALG, status="active", created_at=now, retired_at=None,
            private_key_pem=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode(),
            certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        )
        session.add(row)
        return row

    @staticmethod
    def _parse(row: SigningKey) -> LoadedKey:
        key = load_stored_private_key(row.private_key_pem.encode())
        assert isinstance(key, rsa.RSAPrivateKey)
        return LoadedKey(row.kid, key, x509.load_pem_x509_certificate(row.certificate_pem.encode()), row.status)
