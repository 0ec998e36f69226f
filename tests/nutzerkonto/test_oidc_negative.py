"""The negative suite, after the OpenID conformance suite's server tests (oidcc-ensure-registered-redirect-uri,
oidcc-codereuse, oidcc-idtoken-unsigned, ...) and RFC 9700: what an attacker or a broken client tries must fail,
and must fail the way the standards say."""

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from gateway.app import Gateway
from kit.problems import Problem
from kit.tokens import AccessTokenVerifier, JWKSCache
from tests.nutzerkonto.oidc_tools import (
    ISSUER,
    SPA,
    SPA_CALLBACK,
    WEB,
    WEB_CALLBACK,
    WEB_SECRET,
    authorize_url,
    code_for,
    introspect,
    login,
    oidc_suite,
    pkce_pair,
    query,
    redeem,
    set_clock,
    tokens_for,
)


@pytest.fixture
async def op(gateway_settings, suite_settings) -> AsyncIterator[tuple[Gateway, httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    async with oidc_suite(gateway_settings, suite_settings) as running:
        yield running


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _segment(value: dict[str, object]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


async def _userinfo(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/nutzerkonto/userinfo", headers={"Authorization": f"Bearer {token}"})


# --- the authorization endpoint ------------------------------------------------------------------------------

@pytest.mark.parametrize("redirect_uri", [
    "https://evil.example/callback",
    "http://localhost:5173/callback/",               # trailing slash
    "http://localhost:5174/callback",                # other port
    "http://LOCALHOST:5173/callback",                # case
    "http://localhost:5173/callback?next=evil",      # extra query
    "http://localhost:5173/callback/../evil",        # path games
    "http://localhost:5173@evil.example/callback",   # userinfo trick
    "http://localhost:5173/callbackx",               # prefix match
])
async def test_unregistered_and_near_miss_redirect_uris_are_never_redirected_to(
        op: tuple[Gateway, httpx.AsyncClient], redirect_uri: str) -> None:
    _, client = op
    url = authorize_url(redirect_uri=redirect_uri, challenge=pkce_pair()[1])
    page = await client.get(url, headers={"Accept": "text/html"})
    assert page.status_code == 400 and "location" not in page.headers
    assert page.headers["content-type"].startswith("text/html") and "nicht registriert" in page.text
    problem = await client.get(url)
    assert problem.status_code == 400 and "location" not in problem.headers
    assert problem.headers["content-type"] == "application/problem+json"


async def test_unknown_client_or_repeated_redirect_uri_get_a_page(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    unknown = await client.get(authorize_url("no-such-client", challenge=pkce_pair()[1]))
    assert unknown.status_code == 400 and "location" not in unknown.headers
    twice = await client.get(authorize_url(challenge=pkce_pair()[1]) + "&redirect_uri=https%3A%2F%2Fevil.example")
    assert twice.status_code == 400 and "location" not in twice.headers
    missing = await client.get("/nutzerkonto/authorize?response_type=code&client_id=demo-onlineantrag")
    assert missing.status_code == 400 and "location" not in missing.headers


_CHALLENGE = pkce_pair()[1]


@pytest.mark.parametrize(("params", "error"), [
    ({"response_type": "token", "code_challenge": _CHALLENGE, "code_challenge_method": "S256"},
     "unsupported_response_type"),
    ({"code_challenge": _CHALLENGE, "code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge": _CHALLENGE}, "invalid_request"),  # method omitted means plain
    ({"code_challenge": "too-short", "code_challenge_method": "S256"}, "invalid_request"),
    ({}, "invalid_request"),  # a public client without PKCE
    ({"scope": "postfach", "code_challenge": _CHALLENGE, "code_challenge_method": "S256"}, "invalid_scope"),
    ({"prompt": "none", "code_challenge": _CHALLENGE, "code_challenge_method": "S256"}, "login_required"),
    ({"request": "eyJhbGciOiJub25lIn0.e30.", "code_challenge": _CHALLENGE, "code_challenge_method": "S256"},
     "request_not_supported"),
    ({"resource": "https://elsewhere.example/", "code_challenge": _CHALLENGE, "code_challenge_method": "S256"},
     "invalid_target"),
])
async def test_errors_after_the_redirect_uri_is_verified_go_back_to_it(
        op: tuple[Gateway, httpx.AsyncClient], params: dict[str, str], error: str) -> None:
    _, client = op
    url = authorize_url(**params)
    answer = await client.get(url)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(SPA_CALLBACK + "?")
    back = query(location)
    assert back["error"] == error and back["state"] == query(url)["state"] and back["iss"] == ISSUER
    assert "code" not in back


# --- the token endpoint: codes and PKCE -------------------------------------------------------------------------

async def test_code_replay_revokes_every_token_issued_from_the_code(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    code, verifier = await code_for(client)
    first = await redeem(client, code, verifier)
    assert first.status_code == 200
    tokens = first.json()
    renewed = await client.post("/nutzerkonto/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": SPA})
    assert renewed.status_code == 200

    replay = await redeem(client, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    for token in (tokens["access_token"], renewed.json()["access_token"], renewed.json()["refresh_token"]):
        assert (await introspect(client, token)) == {"active": False}
    assert (await _userinfo(client, tokens["access_token"])).status_code == 401
    listed = (await client.get("/_emulator/nutzerkonto/tokens", params={"client_id": SPA})).json()
    assert {t["revoked_reason"] for t in listed} == {"code-replay"}


async def test_pkce_verifier_missing_wrong_or_without_challenge(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    code, verifier = await code_for(client)
    missing = await redeem(client, code, None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"
    assert (await redeem(client, code, verifier)).status_code == 400  # a failed attempt burns the code

    code, _ = await code_for(client)
    wrong = await redeem(client, code, pkce_pair()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"

    # A confidential client may omit PKCE; then a verifier at the token endpoint is a downgrade attempt.
    back = await login(client, authorize_url(WEB, redirect_uri=WEB_CALLBACK))
    downgrade = await redeem(client, query(back)["code"], pkce_pair()[0], redirect_uri=WEB_CALLBACK,
                             auth=(WEB, WEB_SECRET))
    assert downgrade.status_code == 400 and downgrade.json()["error"] == "invalid_grant"


async def test_code_is_bound_to_client_redirect_uri_and_lifetime(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    code, verifier = await code_for(client)
    other_client = await redeem(client, code, verifier, auth=(WEB, WEB_SECRET))
    assert other_client.status_code == 400 and other_client.json()["error"] == "invalid_grant"
    other_uri = await redeem(client, code, verifier, redirect_uri="http://127.0.0.1:5173/callback")
    assert other_uri.status_code == 400 and other_uri.json()["error"] == "invalid_grant"

    code, verifier = await code_for(client)
    await set_clock(client, advance="PT61S")
    expired = await redeem(client, code, verifier)
    assert expired.status_code == 400 and "expired" in expired.json()["error_description"]
    invented = await redeem(client, "invented-code", verifier)
    assert invented.status_code == 400 and invented.json()["error"] == "invalid_grant"


async def test_nonce_is_echoed_exactly(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    tokens = await tokens_for(client, nonce="Ω-nonce with spaces")
    payload = tokens["id_token"].split(".")[1]
    assert json.loads(base64.urlsafe_b64decode(payload + "=="))["nonce"] == "Ω-nonce with spaces"


async def test_refresh_token_reuse_revokes_the_family(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    tokens = await tokens_for(client)

    async def use(refresh_token: str) -> httpx.Response:
        return await client.post("/nutzerkonto/token", data={
            "grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": SPA})

    second = (await use(tokens["refresh_token"])).json()
    reuse = await use(tokens["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert "family" in reuse.json()["error_description"]
    for token in (second["refresh_token"], second["access_token"], tokens["access_token"]):
        assert (await introspect(client, token)) == {"active": False}
    assert (await use(second["refresh_token"])).json()["error"] == "invalid_grant"
    stolen = await client.post("/nutzerkonto/token", data={
        "grant_type": "refresh_token", "refresh_token": second["refresh_token"]}, auth=(WEB, WEB_SECRET))
    assert stolen.json()["error"] == "invalid_grant"


async def test_token_endpoint_refuses_malformed_requests(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    as_json = await client.post("/nutzerkonto/token", json={"grant_type": "client_credentials"})
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    repeated = await client.post("/nutzerkonto/token", content="grant_type=refresh_token&grant_type=x&client_id="
                                 "demo-onlineantrag", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert repeated.status_code == 400 and "repeated" in repeated.json()["error_description"]
    unknown = await client.post("/nutzerkonto/token", data={"grant_type": "password", "client_id": SPA})
    assert unknown.json()["error"] == "unsupported_grant_type"
    public = await client.post("/nutzerkonto/token", data={"grant_type": "client_credentials", "client_id": SPA})
    assert public.json()["error"] == "unauthorized_client"


# --- tokens presented to userinfo, introspection and the kit verifier ----------------------------------------------

async def test_unsigned_and_key_confused_tokens_are_refused(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    gateway, client = op
    tokens = await tokens_for(client)
    header, payload, _ = tokens["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    unsigned = f"{_segment({'alg': 'none', 'typ': 'at+jwt'})}.{payload}."
    # HS256 "signed" with the provider's public key, the classic RS/HS confusion attack.
    jwk = (await client.get("/nutzerkonto/jwks")).json()["keys"][0]
    nutzerkonto = gateway.upstreams["nutzerkonto"].app  # type: ignore[union-attr]
    public_pem = nutzerkonto.state.nutzerkonto.keys.active.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'at+jwt', 'kid': jwk['kid']})}.{payload}"
    confused = f"{signing_input}.{_b64(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())}"
    id_token_as_access = tokens["id_token"]
    for forged in (unsigned, confused, id_token_as_access, f"{header}.{payload}.{_b64(b'x' * 256)}"):
        answer = await _userinfo(client, forged)
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_token", forged
        assert (await introspect(client, forged)) == {"active": False}
    verifier = AccessTokenVerifier(JWKSCache.from_peer(gateway.peers, "nutzerkonto", "/jwks"), issuer=ISSUER,
                                   audience=claims["aud"], clock=nutzerkonto.state.runtime.clock)
    for forged in (unsigned, confused):
        with pytest.raises(Problem):
            await verifier.verify(forged)
    assert (await verifier.verify(tokens["access_token"]))["jti"] == claims["jti"]


async def test_expired_and_not_yet_valid_tokens_are_refused(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    await set_clock(client, freeze="2026-03-01T09:00:00Z")
    tokens = await tokens_for(client)
    await set_clock(client, advance="PT301S")
    assert (await _userinfo(client, tokens["access_token"])).status_code == 401
    assert (await introspect(client, tokens["access_token"])) == {"active": False}

    await set_clock(client, freeze="2026-03-02T09:00:00Z")
    future = await tokens_for(client)
    await set_clock(client, freeze="2026-03-02T08:00:00Z")  # an hour before they were issued
    answer = await _userinfo(client, future["access_token"])
    # Refused at the gateway ("issued in the future") or by the provider ("not valid yet"), whichever sees it first.
    assert answer.status_code == 401
    assert any(why in answer.json()["error_description"] for why in ("not valid yet", "issued in the future"))
    assert (await introspect(client, future["access_token"])) == {"active": False}


async def test_userinfo_needs_a_bearer_token_with_openid(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    bare = await client.get("/nutzerkonto/userinfo")
    assert bare.status_code == 401 and bare.headers["www-authenticate"].startswith("Bearer")
    service = await client.post("/nutzerkonto/token", data={"grant_type": "client_credentials"},
                                auth=("demo-fachverfahren", "demo-fachverfahren-secret"))
    answer = await _userinfo(client, service.json()["access_token"])
    assert answer.status_code == 403 and 'error="insufficient_scope"' in answer.headers["www-authenticate"]


async def test_introspection_requires_a_confidential_client(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    tokens = await tokens_for(client)
    public = await client.post("/nutzerkonto/introspect", data={"token": tokens["access_token"], "client_id": SPA})
    assert public.status_code == 401 and public.json()["error"] == "invalid_client"
    anonymous = await client.post("/nutzerkonto/introspect", data={"token": tokens["access_token"]})
    assert anonymous.status_code == 401
