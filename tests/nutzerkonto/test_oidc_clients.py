"""Clients of the provider: the seeded and configured ones, client credentials for Fachverfahren and the suite's
services (accepted by the kit's verifier, as a resource server would check them), client authentication by
secret and by private_key_jwt, and the brute-force limit."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from gateway.app import Gateway
from kit.problems import Problem
from kit.tokens import AccessTokenVerifier, JWKSCache
from tests.nutzerkonto.oidc_tools import ISSUER, authlib_client, introspect, oidc_suite, set_clock

TOKEN = "/nutzerkonto/token"
FACHVERFAHREN = ("demo-fachverfahren", "demo-fachverfahren-secret")


@pytest.fixture
async def op(gateway_settings, suite_settings, monkeypatch) -> AsyncIterator[tuple[Gateway, httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the test issuer is http://testserver
    monkeypatch.setenv("BASISDIENSTE_NUTZERKONTO_CLIENTS", json.dumps([{
        "client_id": "stadt-koblenz-parkausweis", "client_secret": "parkausweis-secret",
        "grant_types": ["client_credentials"], "scopes": ["bezahlplattform"], "audiences": ["bezahlplattform"]}]))
    async with oidc_suite(gateway_settings, suite_settings) as running:
        yield running


def verifier_for(gateway: Gateway, audience: str) -> AccessTokenVerifier:
    """The kit's verifier as a resource server (``audience``) builds it, fetching the JWKS in process."""
    nutzerkonto = gateway.upstreams["nutzerkonto"].app  # type: ignore[union-attr]
    return AccessTokenVerifier(JWKSCache.from_peer(gateway.peers, "nutzerkonto", "/jwks"), issuer=ISSUER,
                               audience=audience, clock=nutzerkonto.state.runtime.clock)


async def client_credentials(client: httpx.AsyncClient, auth: tuple[str, str] = FACHVERFAHREN,
                             **data: str) -> httpx.Response:
    return await client.post(TOKEN, data={"grant_type": "client_credentials", **data}, auth=auth)


async def test_seed_lists_the_clients_with_their_test_secrets(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    seeded = {c["client_id"]: c for c in (await client.get("/_emulator/seed")).json()["nutzerkonto"]["clients"]}
    assert {"demo-onlineantrag", "demo-fachverfahren-web", "demo-fachverfahren", "postfach", "bezahlplattform",
            "bescheid", "rechnungseingang", "stadt-koblenz-parkausweis"} <= set(seeded)
    assert seeded["demo-onlineantrag"]["client_type"] == "public"
    assert seeded["demo-onlineantrag"]["client_secret"] is None
    assert seeded["demo-onlineantrag"]["redirect_uris"] == ["http://localhost:5173/callback",
                                                            "http://127.0.0.1:5173/callback"]
    assert seeded["stadt-koblenz-parkausweis"]["source"] == "config"
    # Every secret the seed shows works.
    for client_id, entry in seeded.items():
        if "client_credentials" in entry["grant_types"]:
            answer = await client_credentials(client, (client_id, entry["client_secret"]))
            assert answer.status_code == 200, (client_id, answer.text)


async def test_client_credentials_token_passes_the_kit_verifier(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    gateway, client = op
    answer = await client_credentials(client, scope="postfach")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert "id_token" not in body and "refresh_token" not in body and body["scope"] == "postfach"
    claims = await verifier_for(gateway, "postfach").verify(body["access_token"], scopes=["postfach"])
    assert claims["sub"] == claims["client_id"] == "demo-fachverfahren"  # RFC 9068 §2.2: no resource owner

    with pytest.raises(Problem) as wrong_audience:
        await verifier_for(gateway, "bescheid").verify(body["access_token"])
    assert wrong_audience.value.status == 401 and "audience" in (wrong_audience.value.detail or "")

    header, payload, signature = body["access_token"].split(".")
    tampered_payload = jwt.utils.base64url_encode(json.dumps(
        {**jwt.decode(body["access_token"], options={"verify_signature": False}), "scope": "postfach bescheid"},
    ).encode()).decode()
    for tampered in (f"{header}.{tampered_payload}.{signature}", f"{header}.{payload}.{signature[:-4]}AAAA"):
        with pytest.raises(Problem) as refused:
            await verifier_for(gateway, "postfach").verify(tampered)
        assert refused.value.status == 401


async def test_resource_indicator_chooses_the_audience(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    gateway, client = op
    answer = await client_credentials(client, resource="bescheid")
    claims = await verifier_for(gateway, "bescheid").verify(answer.json()["access_token"])
    assert claims["aud"] == "bescheid"
    refused = await client_credentials(client, resource="https://elsewhere.example/")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"
    too_wide = await client_credentials(client, scope="postfach openid")
    assert too_wide.status_code == 400 and too_wide.json()["error"] == "invalid_scope"


async def test_services_get_tokens_for_each_other(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    gateway, client = op
    answer = await client_credentials(client, ("bescheid", "bescheid-secret"), resource="postfach")
    claims = await verifier_for(gateway, "postfach").verify(answer.json()["access_token"])
    assert claims["client_id"] == "bescheid"
    own = await client_credentials(client, ("bescheid", "bescheid-secret"), resource="bezahlplattform")
    assert own.status_code == 200


async def test_authlib_client_credentials_and_expiry_at_the_verifier(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    gateway, client = op
    rp = authlib_client(gateway, *FACHVERFAHREN)
    token = await rp.fetch_token(f"{ISSUER}/token", grant_type="client_credentials")
    await verifier_for(gateway, "postfach").verify(token["access_token"])
    await set_clock(client, advance="PT331S")  # 300 s lifetime plus the verifier's 30 s leeway
    with pytest.raises(Problem) as expired:
        await verifier_for(gateway, "postfach").verify(token["access_token"])
    assert "expired" in (expired.value.detail or "")
    assert (await introspect(client, token["access_token"])) == {"active": False}


async def test_unknown_client_and_wrong_secret_are_invalid_client(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    for auth in (("nobody", "secret"), ("demo-fachverfahren", "wrong")):
        answer = await client_credentials(client, auth)
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"] == "invalid_client"
        assert answer.headers["www-authenticate"].startswith("Basic")
        assert answer.headers["cache-control"] == "no-store"
    # A confidential client must authenticate the way it registered; client_id alone is not enough.
    bare = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": "demo-fachverfahren"})
    assert bare.status_code == 401 and bare.json()["error"] == "invalid_client"
    both = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_secret": "x"},
                             auth=FACHVERFAHREN)
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"


async def test_brute_force_on_a_client_secret_is_rate_limited(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    await set_clock(client, freeze="2026-03-01T09:00:00Z")
    for _ in range(10):
        assert (await client_credentials(client, ("demo-fachverfahren", "guess"))).status_code == 401
    locked = await client_credentials(client, ("demo-fachverfahren", "guess"))
    assert locked.status_code == 429 and locked.json()["error"] == "slow_down"
    assert int(locked.headers["retry-after"]) > 0
    # Locked means locked: the right secret does not help until the window has passed.
    assert (await client_credentials(client)).status_code == 429
    # Other clients are not affected.
    assert (await client_credentials(client, ("postfach", "postfach-secret"))).status_code == 200
    await set_clock(client, advance="PT61S")
    assert (await client_credentials(client)).status_code == 200


async def test_client_registered_through_the_api_with_client_secret_post(
        op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    created = await client.post("/_emulator/nutzerkonto/clients", json={
        "client_id": "hundesteuer", "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["client_credentials"], "scopes": ["postfach"], "audiences": ["postfach"],
        "default_audience": "postfach"})
    assert created.status_code == 201, created.text
    secret = created.json()["client_secret"]
    assert secret and len(secret) >= 24
    answer = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": "hundesteuer",
                                            "client_secret": secret})
    assert answer.status_code == 200, answer.text
    basic = await client_credentials(client, ("hundesteuer", secret))
    assert basic.status_code == 401  # registered for client_secret_post, so Basic is refused

    for bad in ({"client_id": "x", "client_type": "public", "grant_types": ["client_credentials"]},
                {"client_id": "y", "redirect_uris": ["https://app.example/cb#frag"]},
                {"client_id": "z", "token_endpoint_auth_method": "private_key_jwt"}):
        assert (await client.post("/_emulator/nutzerkonto/clients", json=bad)).status_code == 422
    assert (await client.delete("/_emulator/nutzerkonto/clients/hundesteuer")).status_code == 204
    assert (await client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": "hundesteuer",
                                           "client_secret": secret})).status_code == 401


def _rsa_client(client_id: str) -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return key, {"client_id": client_id, "grant_types": ["client_credentials"], "scopes": ["postfach"],
                 "audiences": ["postfach"], "jwks": {"keys": [{**public, "use": "sig", "kid": "k1"}]}}


async def test_private_key_jwt_with_authlib_and_jti_replay(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    gateway, client = op
    key, registration = _rsa_client("fachverfahren-jwt")
    created = await client.post("/_emulator/nutzerkonto/clients", json=registration)
    assert created.json()["token_endpoint_auth_method"] == "private_key_jwt"

    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    rp = authlib_client(gateway, "fachverfahren-jwt", pem.decode(), token_endpoint_auth_method="private_key_jwt")
    rp.register_client_auth_method(PrivateKeyJWT(f"{ISSUER}/token"))
    token = await rp.fetch_token(f"{ISSUER}/token", grant_type="client_credentials", resource="postfach")
    claims = await verifier_for(gateway, "postfach").verify(token["access_token"])
    assert claims["client_id"] == "fachverfahren-jwt"

    now = int(time.time())
    assertion = jwt.encode({"iss": "fachverfahren-jwt", "sub": "fachverfahren-jwt", "aud": f"{ISSUER}/token",
                            "jti": uuid.uuid4().hex, "iat": now, "exp": now + 60}, key, algorithm="RS256",
                           headers={"kid": "k1"})
    form = {"grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion}
    assert (await client.post(TOKEN, data=form)).status_code == 200
    replay = await client.post(TOKEN, data=form)
    assert replay.status_code == 401 and "replay" in replay.json()["error_description"]

    def assertion_with(**changes: Any) -> dict[str, str]:
        claims = {"iss": "fachverfahren-jwt", "sub": "fachverfahren-jwt", "aud": f"{ISSUER}/token",
                  "jti": uuid.uuid4().hex, "iat": now, "exp": now + 60, **changes}
        return {**form, "client_assertion": jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})}

    for changes in ({"aud": "https://other.example/token"}, {"exp": now - 120}, {"iss": "someone-else"}):
        refused = await client.post(TOKEN, data=assertion_with(**changes))
        assert refused.status_code == 401, changes
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode({"iss": "fachverfahren-jwt", "sub": "fachverfahren-jwt", "aud": f"{ISSUER}/token",
                         "jti": uuid.uuid4().hex, "exp": now + 60}, stranger, algorithm="RS256",
                        headers={"kid": "k1"})
    assert (await client.post(TOKEN, data={**form, "client_assertion": forged})).status_code == 401


async def test_controls_list_issued_tokens_and_revoke_them(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    token = (await client_credentials(client)).json()["access_token"]
    listed = (await client.get("/_emulator/nutzerkonto/tokens", params={"client_id": "demo-fachverfahren"})).json()
    assert [t["kind"] for t in listed] == ["access"] and listed[0]["active"] is True
    revoked = await client.post("/_emulator/nutzerkonto/tokens/revoke", json={"client_id": "demo-fachverfahren"})
    assert revoked.json() == {"revoked": 1}
    assert (await introspect(client, token)) == {"active": False}
    assert (await client.post("/_emulator/nutzerkonto/tokens/revoke", json={})).status_code == 422
    # A reset empties the log; the seeded clients come back.
    assert (await client.post("/_emulator/reset")).status_code == 200
    assert (await client.get("/_emulator/nutzerkonto/tokens")).json() == []
    assert (await client_credentials(client)).status_code == 200


async def test_a_client_credentials_token_opens_an_eid_session(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    """The seeded web client reads ID cards through the eID API with a token from this provider."""
    _, client = op
    answer = await client_credentials(client, ("demo-fachverfahren-web", "demo-fachverfahren-web-secret"),
                                      scope="eid", resource="nutzerkonto")
    assert answer.status_code == 200, answer.text
    session = await client.post("/nutzerkonto/eid/sessions", headers={
        "Authorization": f"Bearer {answer.json()['access_token']}"}, json={
        "UseOperations": {"GivenNames": "REQUIRED", "FamilyNames": "REQUIRED"},
        "RefreshAddress": "http://localhost:8080/eid/fertig"})
    assert session.status_code == 201, session.text
    without_scope = await client_credentials(client, ("demo-fachverfahren", "demo-fachverfahren-secret"))
    refused = await client.post("/nutzerkonto/eid/sessions", headers={
        "Authorization": f"Bearer {without_scope.json()['access_token']}"}, json={
        "UseOperations": {"GivenNames": "REQUIRED"}, "RefreshAddress": "http://localhost:8080/eid/fertig"})
    assert refused.status_code == 401  # meant for the postfach, not for the Nutzerkonto


async def test_a_changed_or_deleted_client_counts_at_once(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    """The token endpoint caches clients; registering, replacing, deleting and resetting must not leave it stale."""
    _, client = op
    request = {"grant_type": "client_credentials", "scope": "postfach"}
    registration = {"client_id": "wechselnd", "client_secret": "erstes-geheimnis",
                    "grant_types": ["client_credentials"], "scopes": ["postfach"], "audiences": ["postfach"]}
    assert (await client.post("/_emulator/nutzerkonto/clients", json=registration)).status_code == 201
    assert (await client.post(TOKEN, data=request, auth=("wechselnd", "erstes-geheimnis"))).status_code == 200

    replaced = {**registration, "client_secret": "zweites-geheimnis"}
    assert (await client.post("/_emulator/nutzerkonto/clients", json=replaced)).status_code == 201
    assert (await client.post(TOKEN, data=request, auth=("wechselnd", "erstes-geheimnis"))).status_code == 401
    assert (await client.post(TOKEN, data=request, auth=("wechselnd", "zweites-geheimnis"))).status_code == 200

    assert (await client.delete("/_emulator/nutzerkonto/clients/wechselnd")).status_code == 204
    assert (await client.post(TOKEN, data=request, auth=("wechselnd", "zweites-geheimnis"))).status_code == 401

    assert (await client.post("/_emulator/nutzerkonto/clients", json=replaced)).status_code == 201
    assert (await client.post(TOKEN, data=request, auth=("wechselnd", "zweites-geheimnis"))).status_code == 200
    assert (await client.post("/_emulator/reset")).status_code == 200
    assert (await client.post(TOKEN, data=request, auth=("wechselnd", "zweites-geheimnis"))).status_code == 401


async def test_concurrent_client_credentials_tokens_are_all_logged(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    """The group commit (oidc/token_log.py) writes every token before answering: each one of a burst is in the
    token log, introspects as active and can be revoked."""
    _, client = op
    answers = await asyncio.gather(*[
        client.post("/nutzerkonto/token", data={"grant_type": "client_credentials"},
                    auth=FACHVERFAHREN) for _ in range(24)])
    assert [a.status_code for a in answers] == [200] * 24
    tokens = [a.json()["access_token"] for a in answers]
    logged = (await client.get("/_emulator/nutzerkonto/tokens", params={"client_id": "demo-fachverfahren"})).json()
    issued = {jwt.decode(t, options={"verify_signature": False})["jti"] for t in tokens}
    assert issued <= {row["jti"] for row in logged}
    for token in tokens[:3]:
        assert (await introspect(client, token))["active"] is True
    revoked = await client.post("/nutzerkonto/revoke", data={"token": tokens[0]}, auth=FACHVERFAHREN)
    assert revoked.status_code == 200
    assert (await introspect(client, tokens[0]))["active"] is False
