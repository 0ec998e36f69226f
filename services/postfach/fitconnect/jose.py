"""The JOSE pieces FIT-Connect uses, without ever decrypting: a structural check of compact JWEs (RFC 7516
§7.1: five base64url parts, a protected header with ``alg`` RSA-OAEP-256 and ``enc`` A256GCM), RFC 7638 key
thumbprints, and PS512-signed JWS for Security Event Tokens (RFC 8417)."""

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

JWE_ALG = "RSA-OAEP-256"
JWE_ENC = "A256GCM"
GCM_IV_BYTES = 12
GCM_TAG_BYTES = 16


class JweError(ValueError):
    """The body is not a usable compact JWE; the message says why (for the problem's detail)."""


_B64URL = re.compile(r"[A-Za-z0-9_-]+")


def b64url_decode(segment: str) -> bytes:
    if not _B64URL.fullmatch(segment):
        raise binascii.Error("not base64url")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass(frozen=True)
class CompactJwe:
    header: dict[str, Any]
    token: str

    @property
    def authentication_tag(self) -> str:
        """The last segment: what accept/reject SETs name in ``authenticationTags``."""
        return self.token.rsplit(".", 1)[1]


def inspect_jwe(token: str) -> CompactJwe:
    """Check the structure of a compact JWE as the delivery service can (it holds no private key)."""
    token = token.strip()
    parts = token.split(".")
    if len(parts) != 5:
        raise JweError(f"a compact JWE has 5 parts separated by '.', this one has {len(parts)}")
    names = ("protected header", "encrypted key", "initialization vector", "ciphertext", "authentication tag")
    decoded: list[bytes] = []
    for name, part in zip(names, parts, strict=True):
        try:
            decoded.append(b64url_decode(part))
        except (binascii.Error, ValueError) as exc:
            raise JweError(f"the {name} is empty or not base64url") from exc
    try:
        header = json.loads(decoded[0])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JweError("the protected header is not JSON") from exc
    if not isinstance(header, dict):
        raise JweError("the protected header is not a JSON object")
    if header.get("alg") != JWE_ALG:
        raise JweError(f"alg must be {JWE_ALG}, not {str(header.get('alg'))[:40]}")
    if header.get("enc") != JWE_ENC:
        raise JweError(f"enc must be {JWE_ENC}, not {str(header.get('enc'))[:40]}")
    if "zip" in header and header["zip"] != "DEF":
        raise JweError(f"zip must be DEF if present, not {str(header['zip'])[:20]}")
    if len(decoded[2]) != GCM_IV_BYTES:
        raise JweError(f"the initialization vector of A256GCM has {GCM_IV_BYTES} bytes")
    if len(decoded[4]) != GCM_TAG_BYTES:
        raise JweError(f"the authentication tag of A256GCM has {GCM_TAG_BYTES} bytes")
    return CompactJwe(header=header, token=token)


def rsa_public_jwk(key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {"kty": "RSA", "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8)),
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8))}


def rsa_private_jwk(key: rsa.RSAPrivateKey) -> dict[str, str]:
    numbers = key.private_numbers()

    def enc(value: int) -> str:
        return b64url(value.to_bytes((value.bit_length() + 7) // 8))

    return {**rsa_public_jwk(key.public_key()), "d": enc(numbers.d), "p": enc(numbers.p), "q": enc(numbers.q),
            "dp": enc(numbers.dmp1), "dq": enc(numbers.dmq1), "qi": enc(numbers.iqmp)}


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of an RSA key: the required members, sorted, no whitespace."""
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def sign_jws(claims: dict[str, Any], key: rsa.RSAPrivateKey, kid: str, *, typ: str) -> str:
    return jwt.encode(claims, key, algorithm="PS512", headers={"typ": typ, "kid": kid})


def unverified_header(token: str) -> dict[str, Any]:
    return jwt.get_unverified_header(token)


def verify_jws(token: str, key: rsa.RSAPublicKey) -> dict[str, Any]:
    """The payload of a PS512 JWS signed by ``key``; raises ``jwt.PyJWTError``. Claims are judged by the caller,
    against the kit clock."""
    return jwt.decode(token, key=key, algorithms=["PS512"],
                      options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                               "verify_aud": False, "verify_iss": False, "verify_sub": False,
                               "verify_jti": False})
