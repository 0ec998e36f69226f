"""Provider metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2) and the JWK Set (RFC 7517) with every
published key: the active one and the one retired by the last rotation, so tokens signed just before a rotation
still verify. The JWKS may be cached briefly; verifiers refetch at once when they meet an unknown ``kid``."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.nutzerkonto.keys import ALG
from services.nutzerkonto.oidc.claims import SCOPE_CLAIMS, SUPPORTED_CLAIMS
from services.nutzerkonto.oidc.client_auth import ASSERTION_ALGS
from services.nutzerkonto.oidc.clients import AUTH_METHODS, GRANT_TYPES, SECRET_METHODS
from services.nutzerkonto.oidc.provider import OidcDep, OidcProvider
from services.nutzerkonto.oidc.schemas import JwkSet, JwkSetResponse, ProviderMetadata
from services.nutzerkonto.trust import Level, eidas, stork

router = APIRouter(tags=["oidc"])

JWKS_MAX_AGE_SECONDS = 300


def metadata(provider: OidcProvider) -> dict[str, Any]:
    confidential = [*SECRET_METHODS, "private_key_jwt"]
    return {
        "issuer": provider.issuer,
        "authorization_endpoint": provider.url("/authorize"),
        "token_endpoint": provider.token_endpoint,
        "userinfo_endpoint": provider.url("/userinfo"),
        "jwks_uri": provider.url("/jwks"),
        "introspection_endpoint": provider.url("/introspect"),
        "revocation_endpoint": provider.url("/revoke"),
        "end_session_endpoint": provider.url("/logout"),
        "scopes_supported": list(SCOPE_CLAIMS),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALG],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
        "introspection_endpoint_auth_methods_supported": confidential,
        "introspection_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": [*(stork(level) for level in Level),
                                 *dict.fromkeys(eidas(level) for level in Level)],
        "claims_supported": SUPPORTED_CLAIMS,
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
        "authorization_response_iss_parameter_supported": True,
        "prompt_values_supported": ["none", "login"],
        "ui_locales_supported": ["de"],
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": False,
    }


@router.get("/.well-known/openid-configuration", name="oidc_discovery", response_model=ProviderMetadata)
async def openid_configuration(provider: OidcDep) -> JSONResponse:
    """OpenID Provider Configuration (OIDC Discovery §4)."""
    return JSONResponse(metadata(provider), headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE_SECONDS}"})


@router.get("/.well-known/oauth-authorization-server", name="oauth_authorization_server_metadata",
            response_model=ProviderMetadata)
async def authorization_server_metadata(provider: OidcDep) -> JSONResponse:
    """Authorization Server Metadata (RFC 8414 §3); the same document, as RFC 8414 §2 allows."""
    return JSONResponse(metadata(provider), headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE_SECONDS}"})


@router.get("/jwks", name="oidc_jwks", response_model=JwkSet, response_class=JwkSetResponse)
async def jwks(provider: OidcDep) -> JSONResponse:
    """The signing keys (active first, then retired), as ``application/jwk-set+json`` (RFC 7517 §8.5)."""
    return JSONResponse(provider.keys.jwks(), media_type="application/jwk-set+json",
                        headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE_SECONDS}"})
