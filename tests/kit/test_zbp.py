"""kit.zbp builds what BundID's ZBP accepts: checked here with independent code — the signature with
``cryptography``'s verifier, the author token with joserfc, the UUIDs against uuid5 computed by hand."""

import base64
import datetime as dt
import hashlib
import json
import uuid

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import load_pem_x509_certificate
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey

from kit.zbp import ZbpAuthor, behoerdenpostfach_uuid, message_multipart

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def author() -> ZbpAuthor:
    return ZbpAuthor.generate("Stadt Koblenz Bescheidstelle")


def test_behoerdenpostfach_uuid_is_uuid5_of_the_ars_urn() -> None:
    expected = uuid.uuid5(uuid.NAMESPACE_URL, "urn:basisdienste:behoerdenpostfach:071110000000")
    assert behoerdenpostfach_uuid("071110000000") == str(expected)
    assert behoerdenpostfach_uuid("073150000000") != behoerdenpostfach_uuid("071110000000")
    for bad in ("07111", "07111000000x", " 071110000000"):
        with pytest.raises(ValueError):
            behoerdenpostfach_uuid(bad)


def test_envelope_signature_and_author_token_verify_independently(author: ZbpAuthor) -> None:
    fields = {"mailboxUuid": str(uuid.uuid4()), "stork_qaa_level": 3, "sender": "Stadt Koblenz",
              "title": "Ihr Bescheid über Hundesteuer", "content": "Sehr geehrte Frau Mustermann, …",
              "service": "Hundesteuer"}
    envelope = author.envelope(fields, now=NOW)
    assert set(envelope) == {"content", "sha512sum", "authorToken", "authorCertificate"}
    assert isinstance(envelope["content"], str) and json.loads(envelope["content"]) == fields

    certificate = load_pem_x509_certificate(envelope["authorCertificate"].encode())
    signature = base64.b64decode(envelope["sha512sum"])
    certificate.public_key().verify(signature, envelope["content"].encode("utf-8"), padding.PKCS1v15(),
                                    hashes.SHA512())
    with pytest.raises(InvalidSignature):
        certificate.public_key().verify(signature, envelope["content"].replace("Hund", "Katz").encode(),
                                        padding.PKCS1v15(), hashes.SHA512())

    key = RSAKey.import_key(certificate.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    token = jose_jwt.decode(envelope["authorToken"], key, algorithms=["RS512"])
    assert token.header["alg"] == "RS512"
    assert token.claims["exp"] - token.claims["iat"] == 1800
    assert token.claims["iat"] == int(NOW.timestamp())
    assert token.claims["signer"] == "Stadt Koblenz Bescheidstelle"
    assert token.claims["roles"] == ["THIRD_PARTY"]


def test_multipart_lists_each_attachment_with_its_sha512_and_length(author: ZbpAuthor) -> None:
    pdf = b"%PDF-1.7 test" * 100
    parts = message_multipart(author, {"mailboxUuid": "x", "content": "c"}, [("bescheid.pdf", pdf,
                                                                               "application/pdf")],
                              now=NOW, bekanntgabe_rule="vwvfg41_2a")
    names = [name for name, _ in parts]
    assert names == ["message", "attachments", "bekanntgabeRule"]
    envelope = json.loads(parts[0][1][1])
    listed = json.loads(envelope["content"])["attachments"]
    assert listed == [{"filename": "bescheid.pdf", "sha512sum": hashlib.sha512(pdf).hexdigest(),
                       "contentLength": len(pdf)}]
    assert parts[1][1] == ("bescheid.pdf", pdf, "application/pdf")
    with pytest.raises(ValueError):
        message_multipart(author, {"content": "c"}, [], now=NOW, bekanntgabe_rule="sofort")


def test_a_certificate_of_another_key_is_refused(author: ZbpAuthor) -> None:
    other = ZbpAuthor.generate("Jemand anderes")
    with pytest.raises(ValueError):
        ZbpAuthor(author.key, other.certificate)
