"""The sending side of the Zentrales Bürgerpostfach (ZBP) message API ``message_v6`` as every authority-side
service of the suite uses it (contract C1): Behördenpostfach UUIDs, the signed ZBP envelope
``{content, sha512sum, authorToken, authorCertificate}`` and the multipart delivery to the postfach service.

The envelope is what BundID's ZBP expects: ``content`` is the message as a JSON *string*, ``sha512sum`` the base64
RSA PKCS#1 v1.5 SHA-512 signature over its UTF-8 bytes, ``authorToken`` an RS512 JWT ``{iat, exp = iat + 30 min,
signer = certificate CN, roles: ["THIRD_PARTY"]}`` and ``authorCertificate`` the PEM certificate of the signing key.
"""

import base64
import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from kit.identity import ServiceCredentials
from kit.stored_keys import load_stored_private_key

MESSAGES_PATH = "/api/v6/messages"
STATUS_PATH = "/api/v6/status"
AUTHOR_TOKEN_LIFETIME = dt.timedelta(minutes=30)
AUTHOR_ROLES = ["THIRD_PARTY"]
BEKANNTGABE_RULES = ("ozg9", "vwvfg41_2a", "none")
_ARS = re.compile(r"^\d{12}$")
_BEHOERDENPOSTFACH_PREFIX = "urn:basisdienste:behoerdenpostfach:"
# Test certificates carry a fixed, wide validity: their issue date must not depend on any clock, and the kit clock
# may be moved years ahead in a test.
_TEST_NOT_BEFORE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_TEST_NOT_AFTER = dt.datetime(2099, 12, 31, tzinfo=dt.UTC)


def behoerdenpostfach_uuid(ars: str) -> str:
    """The mailbox UUID of the authority with this Amtlicher Regionalschlüssel (12 digits)."""
    if not _ARS.fullmatch(ars):
        raise ValueError(f"an ARS has 12 digits: {ars!r}")
    return str(uuid.uuid5(uuid.NAMESPACE_URL, _BEHOERDENPOSTFACH_PREFIX + ars))


def sha512_hex(data: bytes) -> str:
    """The attachment checksum ZBP compares: lower-case hex SHA-512 of the bytes."""
    return hashlib.sha512(data).hexdigest()


class ZbpAuthor:
    """An authority's signing identity: an RSA key and the certificate whose CN names the author."""

    def __init__(self, key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> None:
        if certificate.public_key().public_numbers() != key.public_key().public_numbers():
            raise ValueError("the certificate does not belong to the key")
        self.key = key
        self.certificate = certificate

    @classmethod
    def generate(cls, common_name: str, *, key_size: int = 2048) -> "ZbpAuthor":
        """A fresh key with a self-signed test certificate (the test environment accepts self-generated ones)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Basisdienste Testumgebung")])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_TEST_NOT_BEFORE).not_valid_after(_TEST_NOT_AFTER)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    @classmethod
    def from_pem(cls, key_pem: bytes, certificate_pem: bytes) -> "ZbpAuthor":
        key = load_stored_private_key(key_pem)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("a ZBP author key is an RSA key")
        return cls(key, x509.load_pem_x509_certificate(certificate_pem))

    @property
    def common_name(self) -> str:
        names = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else ""

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def sign(self, data: bytes) -> str:
        """Base64 RSA PKCS#1 v1.5 signature with SHA-512, as ZBP's ``sha512sum``."""
        return base64.b64encode(self.key.sign(data, padding.PKCS1v15(), hashes.SHA512())).decode("ascii")

    def author_token(self, *, now: dt.datetime) -> str:
        iat = int(now.timestamp())
        claims = {"iat": iat, "exp": iat + int(AUTHOR_TOKEN_LIFETIME.total_seconds()), "signer": self.common_name,
                  "roles": AUTHOR_ROLES}
        return jwt.encode(claims, self.key, algorithm="RS512")

    def envelope(self, fields: dict[str, Any], *, now: dt.datetime) -> dict[str, Any]:
        """The signed ZBP envelope around ``fields`` (a message_v6 or status_v6 object)."""
        content = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        return {"content": content, "sha512sum": self.sign(content.encode("utf-8")),
                "authorToken": self.author_token(now=now), "authorCertificate": self.certificate_pem}


def with_attachment_checksums(fields: dict[str, Any], attachments: Sequence[tuple[str, bytes, str]]) -> dict[str, Any]:
    """``fields`` with ``attachments`` listing each file's name, SHA-512 and length, as ZBP checks them."""
    listed = [{"filename": name, "sha512sum": sha512_hex(data), "contentLength": len(data)}
              for name, data, _ in attachments]
    return {**fields, "attachments": listed} if listed or "attachments" in fields else dict(fields)


def message_multipart(author: ZbpAuthor, fields: dict[str, Any], attachments: Sequence[tuple[str, bytes, str]],
                      *, now: dt.datetime, bekanntgabe_rule: str | None = None) -> list[tuple[str, Any]]:
    """The multipart parts of one delivery, for ``httpx``'s ``files=``."""
    envelope = author.envelope(with_attachment_checksums(fields, attachments), now=now)
    parts: list[tuple[str, Any]] = [("message", (None, json.dumps(envelope), "application/json"))]
    parts += [("attachments", (name, data, mime)) for name, data, mime in attachments]
    if bekanntgabe_rule is not None:
        if bekanntgabe_rule not in BEKANNTGABE_RULES:
            raise ValueError(f"unknown Bekanntgabe rule {bekanntgabe_rule!r}: one of {', '.join(BEKANNTGABE_RULES)}")
        parts.append(("bekanntgabeRule", (None, bekanntgabe_rule, "text/plain")))
    return parts


async def send_message(credentials: ServiceCredentials, author: ZbpAuthor, fields: dict[str, Any],
                       attachments: Sequence[tuple[str, bytes, str]] = (), *, now: dt.datetime,
                       bekanntgabe_rule: str | None = None) -> httpx.Response:
    """Deliver a message_v6 to a mailbox through the postfach peer; ``attachments`` are (filename, bytes, mime).

    Answers the postfach's response: 201 ``{messageId, mailboxUuid, providedAt, bekanntgabe}`` or a problem.
    """
    parts = message_multipart(author, fields, attachments, now=now, bekanntgabe_rule=bekanntgabe_rule)
    return await credentials.request("postfach", "POST", MESSAGES_PATH, files=parts)


async def send_status(credentials: ServiceCredentials, author: ZbpAuthor, fields: dict[str, Any], *,
                      now: dt.datetime) -> httpx.Response:
    """Post a status_v6 update (applicationId, status, ...) in the same signed envelope."""
    envelope = author.envelope(fields, now=now)
    return await credentials.request("postfach", "POST", STATUS_PATH,
                                     files=[("message", (None, json.dumps(envelope), "application/json"))])
