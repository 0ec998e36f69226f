"""Checks a ZBP envelope ``{content, sha512sum, authorToken, authorCertificate}`` the way the ZBP does: the
certificate parses and is valid now (kit clock), ``sha512sum`` is its key's RSA PKCS#1 v1.5 SHA-512 signature over
the UTF-8 bytes of ``content``, and ``authorToken`` is an RS512 JWT of the same key with ``signer`` = certificate CN,
role THIRD_PARTY and at most 30 minutes between ``iat`` and ``exp``, not expired by the kit clock.

Then ``content`` is parsed against the message_v6 or status_v6 schema; limits broken → 422 with JSON pointers.
"""

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from pydantic import BaseModel, ValidationError

from kit.problems import Problem

MAX_TOKEN_LIFETIME = 1800
LEEWAY_SECONDS = 30
MIN_KEY_BITS = 2048
_ENVELOPE_KEYS = ("content", "sha512sum", "authorToken", "authorCertificate")


def signature_invalid(detail: str) -> Problem:
    return Problem(400, detail, type_="signature-invalid", title="Signature invalid")


def unprocessable(detail: str, errors: list[dict[str, str]] | None = None, type_: str = "validation-error") -> Problem:
    return Problem(422, detail, type_=type_, title="Validation failed", errors=errors or [])


@dataclass(frozen=True)
class VerifiedEnvelope:
    raw: dict[str, str]
    signer: str
    fields: dict[str, Any]


def parse(text: str) -> dict[str, str]:
    try:
        envelope = json.loads(text)
    except ValueError as exc:
        raise Problem(400, "The part 'message' is not JSON.", type_="malformed-body", title="Malformed body") from exc
    if not isinstance(envelope, dict):
        raise unprocessable("The envelope must be a JSON object.", [{"pointer": "/message", "detail": "not an object"}])
    errors = [{"pointer": f"/message/{k}", "detail": "required string"} for k in _ENVELOPE_KEYS
              if not isinstance(envelope.get(k), str) or not envelope.get(k)]
    extra = sorted(set(envelope) - set(_ENVELOPE_KEYS))
    errors += [{"pointer": f"/message/{k}", "detail": "unknown member"} for k in extra]
    if errors:
        raise unprocessable("The ZBP envelope is incomplete.", errors)
    return envelope


def _certificate(pem: str, now: dt.datetime) -> tuple[rsa.RSAPublicKey, str]:
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise signature_invalid("authorCertificate is not a PEM X.509 certificate.") from exc
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise signature_invalid("authorCertificate is not valid at this time.")
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_KEY_BITS:
        raise signature_invalid(f"authorCertificate must hold an RSA key of at least {MIN_KEY_BITS} bits.")
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        raise signature_invalid("authorCertificate has no common name (CN).")
    return key, str(names[0].value)


def _check_author_token(token: str, key: rsa.RSAPublicKey, signer: str, now: dt.datetime) -> None:
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "RS512":
            raise signature_invalid("authorToken must be signed with RS512.")
        claims = jwt.decode(token, key=key, algorithms=["RS512"],
                            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                                     "verify_aud": False, "verify_iss": False})
    except jwt.PyJWTError as exc:
        raise signature_invalid("authorToken does not verify with the key of authorCertificate.") from exc
    iat, exp = claims.get("iat"), claims.get("exp")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (iat, exp)):
        raise signature_invalid("authorToken needs numeric iat and exp.")
    assert isinstance(iat, int) and isinstance(exp, int)
    if not 0 < exp - iat <= MAX_TOKEN_LIFETIME:
        raise signature_invalid("authorToken may be valid for at most 30 minutes (exp = iat + 1800).")
    stamp = now.timestamp()
    if stamp >= exp + LEEWAY_SECONDS:
        raise signature_invalid("authorToken has expired.")
    if stamp + LEEWAY_SECONDS < iat:
        raise signature_invalid("authorToken is issued in the future.")
    if claims.get("signer") != signer:
        raise signature_invalid("authorToken's signer differs from the certificate's common name.")
    roles = claims.get("roles")
    if not isinstance(roles, list) or "THIRD_PARTY" not in roles:
        raise signature_invalid("authorToken must carry the role THIRD_PARTY.")


def verify(envelope: dict[str, str], schema: type[BaseModel], now: dt.datetime) -> tuple[VerifiedEnvelope, Any]:
    """The checked envelope and its parsed content (an instance of ``schema``)."""
    key, signer = _certificate(envelope["authorCertificate"], now)
    try:
        signature = base64.b64decode(envelope["sha512sum"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise signature_invalid("sha512sum is not base64.") from exc
    try:
        key.verify(signature, envelope["content"].encode("utf-8"), padding.PKCS1v15(), hashes.SHA512())
    except InvalidSignature as exc:
        raise signature_invalid("sha512sum is not a valid RSA-SHA512 signature of content by the author's key."
                                ) from exc
    _check_author_token(envelope["authorToken"], key, signer, now)
    try:
        fields = json.loads(envelope["content"])
    except ValueError as exc:
        raise unprocessable("content is not a JSON string.", [{"pointer": "/message/content", "detail": "not JSON"}]
                            ) from exc
    if not isinstance(fields, dict):
        raise unprocessable("content must be a JSON object.", [{"pointer": "/message/content",
                                                                 "detail": "not an object"}])
    try:
        parsed = schema.model_validate(fields)
    except ValidationError as exc:
        errors = [{"pointer": "/message/content/" + "/".join(str(p) for p in e["loc"]), "detail": e["msg"]}
                  for e in exc.errors()]
        raise unprocessable("The message does not meet the ZBP field rules.", errors) from exc
    return VerifiedEnvelope(raw=envelope, signer=signer, fields=fields), parsed
