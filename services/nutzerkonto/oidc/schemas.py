"""Response bodies of the OIDC / OAuth 2 provider, with the members the standards name: provider metadata (OIDC
Discovery 1.0 §3, RFC 8414 §2), the JWK Set (RFC 7517 §5), the token response (RFC 6749 §5.1, OIDC Core §3.1.3.3),
userinfo (OIDC Core §5.3.2) and introspection (RFC 7662 §2.2).

The endpoints write these bodies as ``JSONResponse``s themselves (for ``Cache-Control``/``no-store`` and the
media types); the models document them, they do not re-serialise them."""

from typing import Literal

from fastapi.responses import JSONResponse
from pydantic import Field

from kit.schemas import OpenWireModel, WireModel

TrustLevel = Literal["NORMAL", "SUBSTANTIELL", "HOCH", "UNTERGEORDNET"]


class ProviderMetadata(OpenWireModel):
    """OpenID Provider Metadata (OIDC Discovery §3) = Authorization Server Metadata (RFC 8414 §2)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    introspection_endpoint: str
    revocation_endpoint: str
    end_session_endpoint: str
    scopes_supported: list[str]
    response_types_supported: list[str]
    response_modes_supported: list[str]
    grant_types_supported: list[str]
    subject_types_supported: list[str]
    id_token_signing_alg_values_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    token_endpoint_auth_signing_alg_values_supported: list[str]
    introspection_endpoint_auth_methods_supported: list[str]
    introspection_endpoint_auth_signing_alg_values_supported: list[str]
    revocation_endpoint_auth_methods_supported: list[str]
    revocation_endpoint_auth_signing_alg_values_supported: list[str]
    code_challenge_methods_supported: list[str]
    acr_values_supported: list[str]
    claims_supported: list[str]
    claim_types_supported: list[str]
    claims_parameter_supported: bool
    request_parameter_supported: bool
    request_uri_parameter_supported: bool
    require_request_uri_registration: bool
    authorization_response_iss_parameter_supported: bool
    prompt_values_supported: list[str]
    ui_locales_supported: list[str]
    frontchannel_logout_supported: bool
    backchannel_logout_supported: bool


class RsaSigningKey(OpenWireModel):
    """A public RSA signing key (RFC 7518 §6.3.1) with its self-signed certificate (``x5c``, RFC 7517 §4.7)."""

    kty: Literal["RSA"]
    key_ops: list[str]
    n: str
    e: str
    kid: str
    use: Literal["sig"]
    alg: str
    x5c: list[str]


class JwkSet(WireModel):
    """The published signing keys: the active one first, then the one the last rotation retired."""

    keys: list[RsaSigningKey]


class JwkSetResponse(JSONResponse):
    media_type = "application/jwk-set+json"  # RFC 7517 §8.5


class TokenResponse(WireModel):
    """A successful token response; ``refresh_token`` when the client may refresh, ``id_token`` for ``openid``."""

    access_token: str = Field(description="An RFC 9068 JWT access token")
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    refresh_token: str | None = None
    id_token: str | None = None


class Address(WireModel):
    """The OIDC address claim (OIDC Core §5.1.1), composed of the BundID postal attributes."""

    street_address: str | None = None
    postal_code: str | None = None
    locality: str | None = None
    country: str | None = None
    formatted: str


class UserInfo(WireModel):
    """Claims about the person for the granted scopes (only those that have a value), and ``trust_levels``: the
    akdb:TrustLevel of each released claim, as the SAML assertion carries it on each attribute."""

    sub: str = Field(description="The bPK2, the pseudonym BundID gives every relying party")
    given_name: str | None = None
    family_name: str | None = None
    birthdate: str | None = None
    birth_name: str | None = None
    place_of_birth: str | None = None
    personal_title: str | None = None
    gender: str | None = None
    nationality: str | None = None
    email: str | None = None
    phone_number: str | None = None
    bpk2: str | None = None
    postkorb_handle: str | None = None
    eidas_issuing_country: str | None = None
    organization_name: str | None = None
    organization_pseudonym: str | None = None
    address: Address | None = None
    name: str | None = None
    email_verified: bool | None = None
    phone_number_verified: bool | None = None
    trust_levels: dict[str, TrustLevel] | None = None


class Introspection(OpenWireModel):
    """RFC 7662 §2.2: only ``active: false`` for a token that is not active; for an active one the claims of the
    access token (RFC 9068 §2.2) or, for a refresh token, what a resource server needs to decide."""

    active: bool
    token_type: Literal["Bearer", "refresh_token"] | None = None
    iss: str | None = None
    sub: str | None = None
    aud: str | list[str] | None = None
    exp: int | None = None
    iat: int | None = None
    jti: str | None = None
    client_id: str | None = None
    scope: str | None = None
    auth_time: int | None = None
    acr: str | None = None
    amr: list[str] | None = None
