"""The authorization code flow with PKCE as an independent relying party (Authlib) runs it: discovery, login on
the page, tokens, ID token checks, userinfo, refresh rotation, introspection, revocation, logout, trust levels."""

import base64
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oauth2.rfc9207 import AuthorizationServerMetadata as IssuerMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc.jwt import JWTClaimsRegistry

from gateway.app import Gateway
from tests.nutzerkonto.oidc_tools import (
    ISSUER,
    SPA,
    SPA_CALLBACK,
    WEB,
    WEB_CALLBACK,
    WEB_SECRET,
    authlib_client,
    authorize_url,
    introspect,
    login,
    oidc_suite,
    pkce_pair,
    query,
    tokens_for,
    verified_claims,
)


@pytest.fixture
async def op(gateway_settings, suite_settings, monkeypatch) -> AsyncIterator[tuple[Gateway, httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the test issuer is http://testserver
    async with oidc_suite(gateway_settings, suite_settings) as running:
        yield running


async def test_discovery_documents_are_valid_for_authlib(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    oidc = (await client.get("/nutzerkonto/.well-known/openid-configuration")).json()
    OpenIDProviderMetadata(oidc).validate()
    oauth = await client.get("/nutzerkonto/.well-known/oauth-authorization-server")
    AuthorizationServerMetadata(oauth.json()).validate(metadata_classes=[IssuerMetadata])
    assert oidc["issuer"] == ISSUER
    assert oidc["code_challenge_methods_supported"] == ["S256"]
    assert oidc["authorization_response_iss_parameter_supported"] is True
    assert "STORK-QAA-Level-4" in oidc["acr_values_supported"]
    assert "http://eidas.europa.eu/LoA/high" in oidc["acr_values_supported"]
    jwks = await client.get(oidc["jwks_uri"].removeprefix("http://testserver"))
    assert "max-age" in jwks.headers["cache-control"]
    assert all(k["kty"] == "RSA" and "d" not in k for k in jwks.json()["keys"])


async def _authlib_login(gateway: Gateway, client: httpx.AsyncClient, *, acr_values: str | None = None,
                         method: str = "eID", identity: str = "erika-mustermann",
                         scope: str = "openid profile address email bundid") -> tuple[Any, dict[str, Any], str]:
    """Authlib builds the request and redeems the code; the login page is driven over HTTP."""
    rp = authlib_client(gateway, SPA, redirect_uri=SPA_CALLBACK, scope=scope)
    verifier = "v" * 20 + base64.urlsafe_b64encode(hashlib.sha256(b"flow").digest()).decode().rstrip("=")
    extra = {"nonce": "n-0S6_WzA2Mj"} | ({"acr_values": acr_values} if acr_values else {})
    url, state = rp.create_authorization_url(f"{ISSUER}/authorize", code_verifier=verifier, **extra)
    callback = await login(client, url.removeprefix("http://testserver"), identity=identity, method=method)
    assert callback.startswith(SPA_CALLBACK + "?")
    params = query(callback)
    assert params["state"] == state
    assert params["iss"] == ISSUER  # RFC 9207
    token = await rp.fetch_token(f"{ISSUER}/token", authorization_response=callback, code_verifier=verifier)
    return rp, token, verifier


async def test_authlib_code_flow_with_pkce_and_a_verified_id_token(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    gateway, client = op
    rp, token, _ = await _authlib_login(gateway, client)
    assert token["token_type"] == "Bearer" and token["expires_in"] == 300
    assert set(token["scope"].split()) == {"openid", "profile", "address", "email", "bundid"}
    claims = await verified_claims(client, token["id_token"])
    JWTClaimsRegistry(iss={"essential": True, "value": ISSUER}, aud={"essential": True, "value": SPA},
                      nonce={"essential": True, "value": "n-0S6_WzA2Mj"}, exp={"essential": True},
                      auth_time={"essential": True}).validate(claims)
    digest = hashlib.sha256(token["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert claims["azp"] == SPA and claims["amr"] == ["hwk", "pin"]
    assert claims["acr"] == "STORK-QAA-Level-4"  # eID reaches level 4; no acr_values asked for
    seed = (await client.get("/_emulator/seed")).json()["nutzerkonto"]
    erika = next(i for i in seed["identities"] if i["id"] == "erika-mustermann")
    assert claims["sub"] == erika["attributes"]["bPK2"]

    userinfo = (await rp.get(f"{ISSUER}/userinfo")).json()
    assert userinfo["sub"] == claims["sub"]
    assert (userinfo["given_name"], userinfo["family_name"], userinfo["birthdate"]) == (
        "Erika", "Mustermann", "1964-08-12")
    assert userinfo["birth_name"] == "Gabler"
    assert userinfo["address"]["locality"] == "Köln" and userinfo["address"]["postal_code"] == "51147"
    assert userinfo["email"] == "erika.mustermann@example.org" and userinfo["email_verified"] is False
    assert userinfo["postkorb_handle"] == erika["attributes"]["legacyPostkorbHandle"]
    assert userinfo["trust_levels"]["given_name"] == "HOCH"
    assert userinfo["trust_levels"]["email"] != "HOCH"  # typed in by the citizen, never eID-verified
    assert "phone_number" not in userinfo  # the phone scope was not asked for

    access = await verified_claims(client, token["access_token"])
    assert access["client_id"] == SPA and access["postkorb_handle"] == userinfo["postkorb_handle"]


async def test_access_token_of_the_code_flow_is_an_rfc9068_jwt(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    token = await tokens_for(client)
    header = token["access_token"].split(".")[0]
    assert b'"typ":"at+jwt"' in base64.urlsafe_b64decode(header + "==")
    claims = await verified_claims(client, token["access_token"])
    assert {"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope", "acr", "auth_time"} <= set(claims)


@pytest.mark.parametrize(("acr_values", "method", "expected_acr"), [
    ("STORK-QAA-Level-1", "Benutzername", "STORK-QAA-Level-1"),
    ("STORK-QAA-Level-3", "Elster", "STORK-QAA-Level-3"),
    ("STORK-QAA-Level-4", "eID", "STORK-QAA-Level-4"),
    ("http://eidas.europa.eu/LoA/low", "Benutzername", "http://eidas.europa.eu/LoA/low"),
    ("http://eidas.europa.eu/LoA/substantial", "Elster", "http://eidas.europa.eu/LoA/substantial"),
    ("http://eidas.europa.eu/LoA/high", "eID", "http://eidas.europa.eu/LoA/high"),
    # Several values: the lowest is the minimum; the reached level is what comes back.
    ("STORK-QAA-Level-4 STORK-QAA-Level-3", "Elster", "STORK-QAA-Level-3"),
])
async def test_each_trust_level_through_acr_values(op: tuple[Gateway, httpx.AsyncClient], acr_values: str,
                                                   method: str, expected_acr: str) -> None:
    gateway, client = op
    _, token, _ = await _authlib_login(gateway, client, acr_values=acr_values, method=method)
    assert (await verified_claims(client, token["id_token"]))["acr"] == expected_acr


async def test_authorization_by_form_post_and_userinfo_by_post(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    verifier, challenge = pkce_pair()
    start = await client.post("/nutzerkonto/authorize", data=query(authorize_url(challenge=challenge, nonce="n")))
    assert start.status_code == 303 and start.headers["location"].startswith("/nutzerkonto/login/")
    back = await client.post(start.headers["location"], data={"identity": "max-mustermann", "method": "Elster",
                                                              "action": "login"})
    code = query(back.headers["location"])["code"]
    token = (await client.post("/nutzerkonto/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": SPA_CALLBACK, "code_verifier": verifier,
        "client_id": SPA})).json()
    userinfo = await client.post("/nutzerkonto/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert userinfo.status_code == 200 and userinfo.json()["given_name"] == "Max"
    assert userinfo.json()["trust_levels"]["given_name"] == "SUBSTANTIELL"


async def test_eidas_login_of_a_foreign_citizen(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    gateway, client = op
    rp, token, _ = await _authlib_login(gateway, client, acr_values="http://eidas.europa.eu/LoA/high",
                                        method="eIDAS", identity="elodie-martin")
    assert (await verified_claims(client, token["id_token"]))["acr"] == "http://eidas.europa.eu/LoA/high"
    userinfo = (await rp.get(f"{ISSUER}/userinfo")).json()
    assert userinfo["given_name"] == "Élodie" and userinfo["eidas_issuing_country"] == "FR"


async def test_a_weaker_method_than_requested_yields_no_code(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    start = await client.get(authorize_url(challenge=pkce_pair()[1], acr_values="STORK-QAA-Level-4"))
    page = start.headers["location"]
    refused = await client.post(page, data={"identity": "erika-mustermann", "method": "Benutzername",
                                            "action": "login"})
    assert refused.status_code == 422 and "location" not in refused.headers


async def test_refresh_rotation_with_authlib(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    gateway, client = op
    rp, token, _ = await _authlib_login(gateway, client)
    first_refresh = token["refresh_token"]
    renewed = await rp.refresh_token(f"{ISSUER}/token", refresh_token=first_refresh)
    assert renewed["refresh_token"] != first_refresh and renewed["access_token"] != token["access_token"]
    again = await verified_claims(client, renewed["id_token"])
    before = await verified_claims(client, token["id_token"])
    assert (again["sub"], again["auth_time"], again["aud"]) == (before["sub"], before["auth_time"], before["aud"])
    assert "nonce" not in again
    assert (await introspect(client, first_refresh)) == {"active": False}
    assert (await introspect(client, renewed["refresh_token"]))["active"] is True

    narrower = await client.post("/nutzerkonto/token", data={
        "grant_type": "refresh_token", "refresh_token": renewed["refresh_token"], "client_id": SPA,
        "scope": "openid"})
    assert narrower.json()["scope"] == "openid"
    # The rotated refresh token keeps the full scope of the grant (RFC 6749 §6).
    full = await introspect(client, narrower.json()["refresh_token"])
    assert set(full["scope"].split()) == {"openid", "profile", "address", "email", "bundid"}


async def test_introspection_and_revocation(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    token = await tokens_for(client)
    active = await introspect(client, token["access_token"])
    assert active["active"] is True and active["client_id"] == SPA and active["iss"] == ISSUER
    assert active["token_type"] == "Bearer" and "openid" in active["scope"]

    revoked = await client.post("/nutzerkonto/revoke", data={"token": token["access_token"], "client_id": SPA})
    assert revoked.status_code == 200
    assert (await introspect(client, token["access_token"])) == {"active": False}
    userinfo = await client.get("/nutzerkonto/userinfo",
                                headers={"Authorization": f"Bearer {token['access_token']}"})
    assert userinfo.status_code == 401 and "invalid_token" in userinfo.headers["www-authenticate"]

    # Revoking the refresh token ends the grant: its access tokens go with it (RFC 7009 §2.1).
    other = await tokens_for(client)
    assert (await client.post("/nutzerkonto/revoke", data={
        "token": other["refresh_token"], "token_type_hint": "refresh_token", "client_id": SPA})).status_code == 200
    assert (await introspect(client, other["refresh_token"]))["active"] is False
    assert (await introspect(client, other["access_token"]))["active"] is False
    # Unknown tokens are no error (RFC 7009 §2.2).
    assert (await client.post("/nutzerkonto/revoke", data={"token": "nonsense", "client_id": SPA})).status_code == 200


async def test_a_client_cannot_revoke_another_clients_token(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    token = await tokens_for(client)
    answer = await client.post("/nutzerkonto/revoke", data={"token": token["access_token"]}, auth=(WEB, WEB_SECRET))
    assert answer.status_code == 200
    assert (await introspect(client, token["access_token"]))["active"] is True


async def test_confidential_web_client_with_basic_auth(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    gateway, client = op
    rp = authlib_client(gateway, WEB, WEB_SECRET, redirect_uri=WEB_CALLBACK, scope="openid bundid")
    url, _ = rp.create_authorization_url(f"{ISSUER}/authorize", code_verifier="x" * 64)
    callback = await login(client, url.removeprefix("http://testserver"), identity="musterbau-gmbh",
                           method="Elster")
    token = await rp.fetch_token(f"{ISSUER}/token", authorization_response=callback, code_verifier="x" * 64)
    claims = await verified_claims(client, token["id_token"])
    assert claims["aud"] == WEB and claims["acr"] == "STORK-QAA-Level-3"
    userinfo = (await rp.get(f"{ISSUER}/userinfo")).json()
    assert userinfo["organization_pseudonym"] and "given_name" not in userinfo


async def test_rp_initiated_logout_ends_the_session_and_its_tokens(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    token = await tokens_for(client)
    sid = (await verified_claims(client, token["id_token"]))["sid"]
    answer = await client.get("/nutzerkonto/logout", params={
        "id_token_hint": token["id_token"], "post_logout_redirect_uri": "http://localhost:5173/", "state": "bye"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "http://localhost:5173/?state=bye"
    sessions = (await client.get("/_emulator/nutzerkonto/sessions")).json()
    assert next(s for s in sessions if s["sid"] == sid)["active"] is False
    assert (await introspect(client, token["access_token"]))["active"] is False
    refresh = await client.post("/nutzerkonto/token", data={
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": SPA})
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


async def test_logout_refuses_an_unregistered_target(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    token = await tokens_for(client)
    answer = await client.get("/nutzerkonto/logout", params={
        "id_token_hint": token["id_token"], "post_logout_redirect_uri": "https://evil.example/"},
        headers={"Accept": "text/html"})
    assert answer.status_code == 400 and "location" not in answer.headers
    assert "nicht als Abmeldeziel registriert" in answer.text
    assert (await introspect(client, token["access_token"]))["active"] is True  # nothing ended
    page = await client.get("/nutzerkonto/logout", params={"id_token_hint": token["id_token"]},
                            headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Sie sind abgemeldet" in page.text


@pytest.mark.parametrize(("outcome", "error"), [("cancel", "access_denied"), ("error", "server_error")])
async def test_cancel_and_technical_failure_reach_the_client(op: tuple[Gateway, httpx.AsyncClient], outcome: str,
                                                             error: str) -> None:
    _, client = op
    assert (await client.post("/_emulator/nutzerkonto/next-login", json={"outcome": outcome})).status_code == 201
    url = authorize_url(challenge=pkce_pair()[1])
    back = query(await login(client, url))
    assert back["error"] == error and back["iss"] == ISSUER
    assert back["state"] == query(url)["state"] and "code" not in back


async def test_tokens_verify_across_a_key_rotation(op: tuple[Gateway, httpx.AsyncClient]) -> None:
    _, client = op
    before = await tokens_for(client)
    rotated = (await client.post("/_emulator/nutzerkonto/keys/rotate")).json()
    after = await tokens_for(client)
    kids = [k["kid"] for k in (await client.get("/nutzerkonto/jwks")).json()["keys"]]
    assert kids[0] == rotated["active_kid"] and len(kids) == 2
    for token in (before, after):
        assert (await verified_claims(client, token["id_token"]))["iss"] == ISSUER
        assert (await introspect(client, token["access_token"]))["active"] is True
