"""Bearer-token checks as a client of a protected service sees them: which tokens pass, which get 401/403 with
which challenge, and how often the issuer's JWKS is fetched."""

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from fastapi import Depends, FastAPI
from joserfc import jwt as joserfc_jwt
from joserfc.jwk import ECKey, RSAKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from jwt.utils import der_to_raw_signature

from kit.clock import Clock
from kit.peers import Peers
from kit.problems import Problem, install_problem_handlers
from kit.tokens import AccessTokenVerifier, Claims, JWKSCache, install_token_verifier, require_token

ISSUER = "http://127.0.0.1:8000/nutzerkonto"
AUDIENCE = "postfach"
NOW = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_NEXT = rsa.generate_private_key(public_exponent=65537, key_size=2048)
STRANGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()


def public_jwk(key: Any, kid: str | None, alg: str | None = None) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        algorithm: Any = RSAAlgorithm
    else:
        algorithm = ECAlgorithm if isinstance(key, ec.EllipticCurvePrivateKey) else OKPAlgorithm
    jwk = algorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update({"use": "sig"}, **({"kid": kid} if kid else {}), **({"alg": alg} if alg else {}))
    return jwk


class Issuer:
    """Serves a JWK Set through the fetch callable and counts how often it is asked."""

    def __init__(self, *keys: dict[str, Any], delay: float = 0.0) -> None:
        self.keys = list(keys)
        self.calls = 0
        self.delay = delay
        self.down = False

    async def fetch(self) -> dict[str, Any]:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.down:
            raise httpx.ConnectError("issuer down")
        return {"keys": list(self.keys)}


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def claims(**overrides: Any) -> dict[str, Any]:
    iat = int(NOW.timestamp())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "erika",
        "client_id": "online-dienst",
        "jti": str(uuid.uuid4()),
        "iat": iat,
        "exp": iat + 300,
        "scope": "postfach:read postfach:write",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def mint(
    key: Any = RSA_KEY,
    kid: str | None = "rsa-1",
    alg: str = "RS256",
    typ: str | None = "at+jwt",
    **overrides: Any,
) -> str:
    headers = {k: v for k, v in {"kid": kid, "typ": typ}.items() if v is not None}
    return jwt.encode(claims(**overrides), key, algorithm=alg, headers=headers)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict[str, Any], secret: bytes | None) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest() if secret else b""
    return f"{signing_input}.{b64(signature)}"


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.freeze(NOW)
    return clock


@pytest.fixture
def monotonic() -> Monotonic:
    return Monotonic()


@pytest.fixture
def issuer() -> Issuer:
    return Issuer(public_jwk(RSA_KEY, "rsa-1", "RS256"), public_jwk(EC_KEY, "ec-1"))


@pytest.fixture
def verifier(issuer: Issuer, clock: Clock, monotonic: Monotonic) -> AccessTokenVerifier:
    return AccessTokenVerifier(
        JWKSCache(issuer.fetch, monotonic=monotonic), issuer=ISSUER, audience=AUDIENCE, clock=clock
    )


async def refused(verifier: AccessTokenVerifier, token: str, status: int = 401, **kwargs: Any) -> Problem:
    with pytest.raises(Problem) as caught:
        await verifier.verify(token, **kwargs)
    assert caught.value.status == status
    return caught.value


async def test_valid_rsa_and_ec_tokens_are_accepted(verifier: AccessTokenVerifier) -> None:
    # NOW lies in the past: these pass only because exp is checked against the kit clock, not wall time.
    assert (await verifier.verify(mint()))["sub"] == "erika"
    assert (await verifier.verify(mint(EC_KEY, "ec-1", "ES256"), scopes=["postfach:read"]))["client_id"]


async def test_eddsa_and_audience_lists_are_accepted(clock: Clock) -> None:
    issuer = Issuer(public_jwk(ED_KEY, "ed-1"))
    verifier = AccessTokenVerifier(
        JWKSCache(issuer.fetch), issuer=ISSUER, audience=["x", AUDIENCE], clock=clock
    )
    assert await verifier.verify(mint(ED_KEY, "ed-1", "EdDSA", aud=["other", AUDIENCE]))


async def test_expiry_follows_the_kit_clock_with_leeway(verifier: AccessTokenVerifier, clock: Clock) -> None:
    token = mint()
    clock.advance(dt.timedelta(seconds=300 + 29))
    assert await verifier.verify(token)
    clock.advance(dt.timedelta(seconds=2))
    problem = await refused(verifier, token)
    assert problem.type.endswith("invalid-token")
    assert problem.headers["WWW-Authenticate"] == (
        'Bearer error="invalid_token", error_description="the token has expired"'
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"nbf": int(NOW.timestamp()) + 120},
        {"iat": int(NOW.timestamp()) + 120},
        {"iss": "https://evil.example/nutzerkonto"},
        {"aud": "bezahlplattform"},
        {"aud": ["bezahlplattform", "bescheid"]},
        *({name: None} for name in ("exp", "iss", "aud", "sub", "iat", "client_id", "jti")),
        {"exp": "tomorrow"},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
async def test_claims_that_do_not_fit_are_refused(
    verifier: AccessTokenVerifier, overrides: dict[str, Any]
) -> None:
    await refused(verifier, mint(**overrides))


async def test_missing_scope_is_403_with_the_needed_scope(verifier: AccessTokenVerifier) -> None:
    problem = await refused(
        verifier, mint(scope="postfach:read"), 403, scopes=["postfach:read", "postfach:admin"]
    )
    assert problem.type.endswith("insufficient-scope")
    challenge = problem.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="insufficient_scope"')
    assert 'scope="postfach:read postfach:admin"' in challenge
    await refused(verifier, mint(scope=None), 403, scopes=["postfach:read"])


async def test_alg_none_and_hs256_with_the_public_key_are_refused(verifier: AccessTokenVerifier) -> None:
    await refused(verifier, forged({"alg": "none", "typ": "at+jwt", "kid": "rsa-1"}, None))
    pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    problem = await refused(verifier, forged({"alg": "HS256", "typ": "at+jwt", "kid": "rsa-1"}, pem))
    assert "HS256" in (problem.detail or "")


async def test_critical_header_extensions_are_refused(verifier: AccessTokenVerifier) -> None:
    token = jwt.encode(claims(), RSA_KEY, "RS256", headers={"kid": "rsa-1", "typ": "at+jwt", "crit": ["exp"]})
    await refused(verifier, token)


async def test_alg_must_fit_the_key(verifier: AccessTokenVerifier) -> None:
    await refused(verifier, mint(alg="PS256"))  # the JWK pins alg RS256
    header = b64(json.dumps({"alg": "ES384", "kid": "ec-1", "typ": "at+jwt"}).encode())
    signing_input = f"{header}.{b64(json.dumps(claims()).encode())}"
    der = EC_KEY.sign(signing_input.encode(), ec.ECDSA(hashes.SHA384()))
    # P-256 keys sign ES256 only; pyjwt will not even mint this one, so it is signed by hand
    await refused(verifier, f"{signing_input}.{b64(der_to_raw_signature(der, EC_KEY.curve))}")
    await refused(verifier, mint(RSA_KEY, "ec-1", "RS256"))  # RSA signature against an EC key


async def test_typ_must_say_access_token(issuer: Issuer, verifier: AccessTokenVerifier, clock: Clock) -> None:
    await refused(verifier, mint(typ=None))
    await refused(verifier, mint(typ="JWT"))
    assert await verifier.verify(mint(typ="application/at+JWT"))
    lax = AccessTokenVerifier(
        JWKSCache(issuer.fetch), issuer=ISSUER, audience=AUDIENCE, clock=clock, require_typ=False
    )
    assert await lax.verify(mint(typ=None))


async def test_keys_not_in_the_jwks_are_refused(verifier: AccessTokenVerifier) -> None:
    await refused(verifier, mint(STRANGER, kid="rsa-1"))  # claims a published kid
    await refused(verifier, mint(STRANGER, kid="stranger"))
    await refused(verifier, mint(kid=None))  # two keys published: the token must say which


async def test_a_single_key_jwks_needs_no_kid(clock: Clock) -> None:
    issuer = Issuer(public_jwk(RSA_KEY, None))
    verifier = AccessTokenVerifier(JWKSCache(issuer.fetch), issuer=ISSUER, audience=AUDIENCE, clock=clock)
    assert await verifier.verify(mint(kid=None))


async def test_rotation_refetches_once_for_an_unknown_kid(
    issuer: Issuer, verifier: AccessTokenVerifier, monotonic: Monotonic
) -> None:
    await verifier.verify(mint())
    monotonic.now += 10
    issuer.keys.append(public_jwk(RSA_NEXT, "rsa-2"))
    assert await verifier.verify(mint(RSA_NEXT, "rsa-2"))
    assert issuer.calls == 2
    assert await verifier.verify(mint(RSA_NEXT, "rsa-2"))
    assert issuer.calls == 2


async def test_unknown_kids_refetch_at_most_once_per_interval(
    issuer: Issuer, verifier: AccessTokenVerifier, monotonic: Monotonic
) -> None:
    await verifier.verify(mint())
    monotonic.now += 10
    for _ in range(50):
        await refused(verifier, mint(STRANGER, kid=str(uuid.uuid4())))
    assert issuer.calls == 2
    monotonic.now += 9
    await refused(verifier, mint(STRANGER, kid="again"))
    assert issuer.calls == 2
    monotonic.now += 1
    await refused(verifier, mint(STRANGER, kid="again"))
    assert issuer.calls == 3


async def test_concurrent_requests_on_a_cold_cache_fetch_once(clock: Clock) -> None:
    issuer = Issuer(public_jwk(RSA_KEY, "rsa-1"), delay=0.05)
    verifier = AccessTokenVerifier(JWKSCache(issuer.fetch), issuer=ISSUER, audience=AUDIENCE, clock=clock)
    results = await asyncio.gather(*(verifier.verify(mint()) for _ in range(20)))
    assert len(results) == 20
    assert issuer.calls == 1


async def test_keys_expire_after_ttl_and_survive_an_issuer_outage(
    issuer: Issuer, verifier: AccessTokenVerifier, monotonic: Monotonic
) -> None:
    await verifier.verify(mint())
    monotonic.now += 299
    await verifier.verify(mint())
    assert issuer.calls == 1
    monotonic.now += 2
    issuer.down = True
    assert await verifier.verify(mint())  # stale keys beat refusing every token
    assert issuer.calls == 2


async def test_an_unreachable_issuer_is_503_not_401(issuer: Issuer, verifier: AccessTokenVerifier) -> None:
    issuer.down = True
    problem = await refused(verifier, mint(), 503)
    assert "WWW-Authenticate" not in problem.headers


async def test_http_fetch_honours_cache_control_max_age(clock: Clock, monotonic: Monotonic) -> None:
    calls = 0

    def serve(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(
            200,
            json={"keys": [public_jwk(RSA_KEY, "rsa-1")]},
            headers={"Cache-Control": "public, max-age=60"},
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as client:
        jwks = JWKSCache.from_url("https://idp.test/jwks", client=client, monotonic=monotonic)
        verifier = AccessTokenVerifier(jwks, issuer=ISSUER, audience=AUDIENCE, clock=clock)
        await verifier.verify(mint())
        monotonic.now += 59
        await verifier.verify(mint())
        assert calls == 1
        monotonic.now += 2
        await verifier.verify(mint())
        assert calls == 2


async def test_tokens_minted_by_joserfc_are_accepted(clock: Clock) -> None:
    rsa_key = RSAKey.generate_key(2048, parameters={"kid": "jr-rsa"})
    ec_key = ECKey.generate_key("P-256", parameters={"kid": "jr-ec"})
    issuer = Issuer(rsa_key.as_dict(private=False), ec_key.as_dict(private=False))
    verifier = AccessTokenVerifier(JWKSCache(issuer.fetch), issuer=ISSUER, audience=AUDIENCE, clock=clock)
    for key, alg in ((rsa_key, "RS256"), (rsa_key, "PS256"), (ec_key, "ES256")):
        header = {"alg": alg, "kid": key.kid, "typ": "at+jwt"}
        token = joserfc_jwt.encode(header, claims(), key, algorithms=[alg])
        assert (await verifier.verify(token, scopes=["postfach:write"]))["sub"] == "erika"
    assert issuer.calls == 1


def protected_app(verifier: AccessTokenVerifier) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_token_verifier(app, verifier)

    @app.get("/nachrichten")
    async def nachrichten(
        token: Annotated[dict[str, Any], Depends(require_token("postfach:read"))],
    ) -> dict[str, str]:
        return {"sub": token["sub"]}

    @app.get("/me")
    async def me(token: Claims) -> dict[str, str]:
        return {"client_id": token["client_id"]}

    return app


async def test_protected_route_answers_problems_with_challenges(verifier: AccessTokenVerifier) -> None:
    app = protected_app(verifier)
    schemes = app.openapi()["components"]["securitySchemes"]
    assert [s["scheme"] for s in schemes.values()] == ["bearer"]  # generated clients learn to send the token
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        missing = await client.get("/nachrichten")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert missing.headers["content-type"] == "application/problem+json"

        basic = await client.get("/nachrichten", headers={"Authorization": "Basic dXNlcjpwdw=="})
        assert basic.status_code == 401

        bad = await client.get("/nachrichten", headers={"Authorization": f"Bearer {mint(STRANGER)}"})
        assert bad.status_code == 401
        assert bad.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
        assert bad.json()["status"] == 401
        assert bad.json()["type"].endswith("invalid-token")

        narrow = await client.get("/nachrichten", headers={"Authorization": f"Bearer {mint(scope='other')}"})
        assert narrow.status_code == 403
        assert 'error="insufficient_scope", ' in narrow.headers["www-authenticate"]
        assert narrow.headers["content-type"] == "application/problem+json"

        ok = await client.get("/nachrichten", headers={"Authorization": f"bearer {mint()}"})
        assert ok.status_code == 200
        assert ok.json() == {"sub": "erika"}
        assert (
            await client.get("/me", headers={"Authorization": f"BEARER {mint(scope=None)}"})
        ).status_code == 200


async def test_jwks_from_a_peer_in_the_same_process(clock: Clock) -> None:
    idp = FastAPI()

    @idp.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return {"keys": [public_jwk(RSA_KEY, "rsa-1")]}

    peers = Peers(apps={"nutzerkonto": idp})
    try:
        verifier = AccessTokenVerifier(
            JWKSCache.from_peer(peers, "nutzerkonto", "/jwks"), issuer=ISSUER, audience=AUDIENCE, clock=clock
        )
        assert (await verifier.verify(mint()))["sub"] == "erika"
    finally:
        await peers.aclose()
