"""The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636, RFC 9700 §2.1, §4.1).

The order of the checks is the security property: until ``client_id`` and an *exactly* registered
``redirect_uri`` are established, every error is a page shown to the user (:class:`NotRedirectable`) and never a
redirect, so the endpoint cannot be used as an open redirector. After that, errors go back to the client.

``acr_values`` lists STORK-QAA-Level-N or eIDAS LoA URIs "in order of preference" (OIDC Core §3.1.2.1); the
emulator takes the *lowest* listed level as the minimum the login must reach, since every listed value is
acceptable to the client, and the reached level (which may be higher) comes back as ``acr``. Values that are
neither are ignored, as OIDC makes ``acr_values`` a voluntary claim.
"""

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.nutzerkonto.oidc import clients
from services.nutzerkonto.oidc.models import OAuthClient
from services.nutzerkonto.trust import Level, parse_level

_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256, no padding (RFC 7636 §4.2)
# Parameters that may be repeated: RFC 8707 allows several resource indicators.
MULTI_VALUED = frozenset({"resource", "audience"})


class NotRedirectable(Exception):
    """The request cannot be answered at the redirect URI: shown as a 400 page, never redirected."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class RedirectableError(Exception):
    """An error the client learns at its (verified) redirect URI (RFC 6749 §4.1.2.1)."""

    def __init__(self, error: str, description: str, *, redirect_uri: str, state: str | None) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state


@dataclass(frozen=True)
class AuthorizationRequest:
    client: OAuthClient
    redirect_uri: str
    state: str | None
    nonce: str | None
    scope: list[str]
    code_challenge: str | None
    acr_values: list[str]
    min_level: Level
    audiences: list[str]

    def protocol_state(self) -> dict[str, Any]:
        """What the finisher needs after the login page, stored with the LoginRequest."""
        return {"client_id": self.client.client_id, "redirect_uri": self.redirect_uri, "state": self.state,
                "nonce": self.nonce, "scope": self.scope, "code_challenge": self.code_challenge,
                "acr_values": self.acr_values, "audiences": self.audiences}


def allowed_audiences(client: OAuthClient, requested: list[str]) -> list[str] | None:
    """The requested resource servers if the client may ask for all of them (RFC 8707 §2), else None."""
    permitted = {*client.audiences, client.client_id}
    return requested if all(r in permitted for r in requested) else None


def minimum_level(acr_values: list[str]) -> Level:
    levels = [level for level in (parse_level(v) for v in acr_values) if level is not None]
    return min(levels) if levels else Level.STORK_1


async def validate(session: AsyncSession, params: list[tuple[str, str]]) -> AuthorizationRequest:
    """The checked request, or :class:`NotRedirectable` / :class:`RedirectableError`."""
    values: dict[str, list[str]] = {}
    for name, value in params:
        values.setdefault(name, []).append(value)

    def single(name: str) -> str | None:
        found = values.get(name)
        return found[0] if found else None

    for name in ("client_id", "redirect_uri"):
        if len(values.get(name, [])) > 1:
            raise NotRedirectable(f"Der Parameter {name} ist mehrfach angegeben.")
    client_id = single("client_id")
    if not client_id:
        raise NotRedirectable("Die Anfrage nennt keinen Online-Dienst (client_id fehlt).")
    client = await clients.get_client(session, client_id)
    if client is None:
        raise NotRedirectable(f"Der Online-Dienst {client_id!r} ist nicht registriert.")
    redirect_uri = single("redirect_uri")
    if not redirect_uri:
        raise NotRedirectable("Die Anfrage nennt keine Rücksprungadresse (redirect_uri fehlt).")
    if redirect_uri not in client.redirect_uris:  # exact string comparison (RFC 9700 §4.1.3)
        raise NotRedirectable(f"Die Rücksprungadresse {redirect_uri!r} ist für {client_id!r} nicht registriert.")

    state = single("state")

    def fail(error: str, description: str) -> RedirectableError:
        return RedirectableError(error, description, redirect_uri=redirect_uri, state=state)

    repeated = sorted(n for n, v in values.items() if len(v) > 1 and n not in MULTI_VALUED)
    if repeated:
        raise fail("invalid_request", f"parameters must not be repeated: {', '.join(repeated)}")
    if "request" in values:
        raise fail("request_not_supported", "request objects are not supported")
    if "request_uri" in values:
        raise fail("request_uri_not_supported", "request_uri is not supported")
    response_type = single("response_type")
    if not response_type:
        raise fail("invalid_request", "response_type is missing")
    if response_type != "code":
        raise fail("unsupported_response_type", "only the authorization code flow (response_type=code) is offered")
    if single("response_mode") not in (None, "query"):
        raise fail("invalid_request", "only response_mode=query is supported")
    if "authorization_code" not in client.grant_types:
        raise fail("unauthorized_client", "this client is not registered for the authorization code grant")

    requested_scope = (single("scope") or "").split()
    scope = [s for s in dict.fromkeys(requested_scope) if s in client.scopes]
    if not scope:
        raise fail("invalid_scope", "none of the requested scopes is allowed for this client")

    challenge, method = single("code_challenge"), single("code_challenge_method")
    if method is not None and method != "S256":
        raise fail("invalid_request", "code_challenge_method must be S256 (plain is not accepted)")
    if challenge is not None and method is None:
        # RFC 7636 §4.3: a missing method means plain, which RFC 9700 §2.1.1 tells us not to accept.
        raise fail("invalid_request", "code_challenge_method is missing (plain is not accepted; use S256)")
    if challenge is not None and not _S256_CHALLENGE.fullmatch(challenge):
        raise fail("invalid_request", "code_challenge is not a base64url SHA-256 (43 characters)")
    if challenge is None and client.client_type == "public":
        raise fail("invalid_request", "PKCE (code_challenge with S256) is required for public clients")

    prompt = (single("prompt") or "").split()
    if "none" in prompt:
        if len(prompt) > 1:
            raise fail("invalid_request", "prompt=none cannot be combined with other values")
        # No single sign-on session exists here: every login shows the login page (OIDC Core §3.1.2.6).
        raise fail("login_required", "the user must log in; prompt=none cannot be satisfied")

    requested_audiences = [a for n in MULTI_VALUED for a in values.get(n, [])]
    audiences = allowed_audiences(client, requested_audiences)
    if audiences is None:
        raise fail("invalid_target", "the client may not ask for tokens for this resource")

    acr_values = (single("acr_values") or "").split()
    return AuthorizationRequest(
        client=client, redirect_uri=redirect_uri, state=state, nonce=single("nonce"), scope=scope,
        code_challenge=challenge, acr_values=acr_values, min_level=minimum_level(acr_values),
        audiences=list(dict.fromkeys(audiences)),
    )
