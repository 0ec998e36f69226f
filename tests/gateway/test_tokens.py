"""The gateway refuses forged Nutzerkonto tokens before they reach a service, and lets good ones through."""

import base64
import hashlib
import hmac
import json

import httpx
import jwt
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CLIENT = ("demo-fachverfahren", "demo-fachverfahren-secret")


async def access_token(client: httpx.AsyncClient) -> str:
    answer = await client.post("/nutzerkonto/token", data={"grant_type": "client_credentials", "scope": "postfach"},
                               auth=CLIENT)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_a_valid_token_passes_and_a_tampered_one_is_refused(client: httpx.AsyncClient) -> None:
    token = await access_token(client)
    ok = await client.get("/postfach/health", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200

    header, _, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = ".".join([header, _b64({**claims, "scope": "postfach bescheid"}), signature])
    refused = await client.get("/postfach/health", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


async def test_unsigned_and_hs256_tokens_are_refused(client: httpx.AsyncClient) -> None:
    token = await access_token(client)
    claims = jwt.decode(token, options={"verify_signature": False})
    unsigned = ".".join([_b64({"alg": "none", "typ": "at+jwt"}), _b64(claims), ""])
    jwks = (await client.get("/nutzerkonto/jwks")).json()
    public_pem = jwt.PyJWK(jwks["keys"][0]).key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    # HS/RS confusion: an HMAC "signature" keyed with the published RSA public key.
    signing_input = ".".join([_b64({"alg": "HS256", "typ": "at+jwt", "kid": jwks["keys"][0]["kid"]}),
                              _b64(claims)]).encode()
    mac = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest()).decode().rstrip("=")
    confused = signing_input.decode() + "." + mac
    for forged in (unsigned, confused):
        answer = await client.get("/bescheid/health", headers={"Authorization": f"Bearer {forged}"})
        assert answer.status_code == 401


async def test_expiry_follows_the_emulator_clock(client: httpx.AsyncClient) -> None:
    token = await access_token(client)
    await client.post("/_emulator/clock", json={"advance": "PT2H"})
    expired = await client.get("/postfach/health", headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401
    assert "expired" in expired.headers["www-authenticate"]


async def test_tokens_of_other_issuers_are_left_to_the_service(client: httpx.AsyncClient) -> None:
    foreign = jwt.encode({"iss": "https://token.fit-connect.example", "sub": "x"}, "k" * 32, algorithm="HS256")
    for token in (foreign, "an-opaque-token"):
        answer = await client.get("/postfach/health", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
