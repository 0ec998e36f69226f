"""HTTP surface of the OIDC / OAuth 2 provider: authorization (RFC 6749 §3.1, OIDC Core §3.1.2), token
(RFC 6749 §3.2), userinfo (OIDC Core §5.3), introspection (RFC 7662), revocation (RFC 7009) and RP-initiated
logout, plus discovery and JWKS (``discovery.py``). HTTP only: the rules live in the modules named below.

OAuth endpoints answer errors in RFC 6749 §5.2 JSON (see ``errors.py``) and *return* them instead of raising,
so that what an error deliberately changed (a replayed code's tokens revoked) is committed with the request.
"""

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import SessionDep
from services.nutzerkonto import identities
from services.nutzerkonto.login import flow
from services.nutzerkonto.oidc import authorize as authorization
from services.nutzerkonto.oidc import claims, client_auth, discovery, grants, introspection, pages, tokens
from services.nutzerkonto.oidc.errors import NO_STORE, OAuthError, invalid_client, invalid_request, invalid_token
from services.nutzerkonto.oidc.errors import redirect as redirect_to_client
from services.nutzerkonto.oidc.logout import logout as end_session
from services.nutzerkonto.oidc.models import OAuthClient
from services.nutzerkonto.oidc.provider import OidcDep, OidcProvider
from services.nutzerkonto.oidc.schemas import Introspection, TokenResponse, UserInfo
from services.nutzerkonto.trust import Level

router = APIRouter(tags=["oidc"])
router.include_router(discovery.router)

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 100  # an OAuth request has a dozen parameters at most


def _form_body(*fields: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """OpenAPI for a form body the endpoint parses itself (to refuse repeated parameters, RFC 6749 §3.2)."""
    schema = {"type": "object", "properties": {f: {"type": "string"} for f in fields}, "required": list(required)}
    return {"requestBody": {"required": True, "content": {FORM_TYPE: {"schema": schema}}}}


# OAuth endpoints answer errors in the protocol's own shape (RFC 6749 §5.2), which real clients parse.
_OAUTH_ERROR_BODY = {"application/json": {"schema": {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}}}}}
_OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "OAuth error (RFC 6749 §5.2)", "content": _OAUTH_ERROR_BODY},
    401: {"description": "invalid_client / invalid_token, with WWW-Authenticate", "content": _OAUTH_ERROR_BODY},
}
_CLIENT_AUTH = ("client_id", "client_secret", "client_assertion_type", "client_assertion")


def _now(request: Request) -> dt.datetime:
    return request.app.state.runtime.clock.now()


def _present(items: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    # RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were omitted."
    return [(k, v) for k, v in items if isinstance(v, str) and v != ""]


async def _client_request(request: Request, session: AsyncSession, provider: OidcProvider,
                          endpoint: str) -> tuple[dict[str, Any], OAuthClient]:
    """The form of a request to a client-authenticated endpoint (token, introspection, revocation) and its client."""
    form = await _oauth_form(request)
    client = await client_auth.authenticate(session, provider, form=form, now=_now(request),
                                            authorization=request.headers.get("authorization"), endpoint=endpoint)
    return form, client


async def _oauth_form(request: Request) -> dict[str, Any]:
    """The form parameters; resource/audience as lists (RFC 8707), every other parameter at most once."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        raise invalid_request(f"the request body must be {FORM_TYPE}")
    try:
        # RFC 6749 Appendix B: UTF-8, percent-encoded. parse_qsl is what the form parser does for this media type,
        # minus the multipart machinery, on the endpoint every Fachverfahren calls for each token.
        items = parse_qsl((await request.body()).decode("ascii"), keep_blank_values=True, errors="strict",
                          max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise invalid_request("the form body is not valid application/x-www-form-urlencoded UTF-8") from None
    values: dict[str, Any] = {}
    for name, value in _present(items):
        if name in authorization.MULTI_VALUED:
            values.setdefault(name, []).append(value)
        elif name in values:
            raise invalid_request(f"the parameter {name} is repeated")
        else:
            values[name] = value
    return values


def _login_path(request: Request, login_id: str) -> str:
    """The login page under whatever prefix the gateway gave this service (root_path in process, the
    X-Forwarded-Prefix header of the remote upstream in compose)."""
    prefix = request.scope.get("root_path", "")
    if not prefix:
        forwarded = request.headers.get("x-forwarded-prefix", "")
        prefix = forwarded if forwarded.startswith("/") and not forwarded.startswith("//") else ""
    return f"{prefix.rstrip('/')}/login/{login_id}"


async def _authorize(request: Request, session: SessionDep, provider: OidcProvider,
                     params: list[tuple[str, str]]) -> Response:
    try:
        checked = await authorization.validate(session, params)
    except authorization.NotRedirectable as refused:
        return pages.bad_request_page(request, refused.detail)
    except authorization.RedirectableError as error:
        return redirect_to_client(error.redirect_uri, {
            "error": error.error, "error_description": error.description, "state": error.state,
            "iss": provider.issuer})
    now = _now(request)
    login = await flow.start_login(
        session, now=now, ttl=dt.timedelta(seconds=provider.settings.login_ttl_seconds), protocol="oidc",
        client_id=checked.client.client_id, display_name=checked.client.client_name, min_level=checked.min_level,
        requested_attributes=[flow.RequestedAttribute(n) for n in claims.requested_attribute_names(checked.scope)],
        protocol_state=checked.protocol_state(),
    )
    return RedirectResponse(_login_path(request, login.id), status_code=303, headers=NO_STORE)


_AUTHORIZE_DOC: dict[int | str, dict[str, Any]] = {
    303: {"description": "To the login page; errors after the redirect URI is verified go to the client"},
    400: {"description": "Unknown client or unregistered redirect_uri: a page, never a redirect"},
}
_AUTHORIZE_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
                     "code_challenge_method", "acr_values", "prompt", "resource")


@router.get("/authorize", name="oidc_authorize", response_class=HTMLResponse, responses=_AUTHORIZE_DOC,
            status_code=303)
async def authorize(request: Request, session: SessionDep, provider: OidcDep) -> Response:
    """Authorization request (OIDC Core §3.1.2.1): code flow with PKCE S256; the user logs in on the page."""
    return await _authorize(request, session, provider, _present(list(request.query_params.multi_items())))


@router.post("/authorize", name="oidc_authorize_post", response_class=HTMLResponse, responses=_AUTHORIZE_DOC,
             status_code=303, openapi_extra=_form_body(*_AUTHORIZE_FIELDS))
async def authorize_post(request: Request, session: SessionDep, provider: OidcDep) -> Response:
    """The same request as a form POST (OIDC Core §3.1.2.1)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        return pages.bad_request_page(request, f"Die Anfrage muss als {FORM_TYPE} gesendet werden.")
    return await _authorize(request, session, provider, _present(list((await request.form()).multi_items())))


@router.post("/token", name="oidc_token", response_model=TokenResponse,
             responses={**_OAUTH_ERRORS, 429: {"description": "slow_down"}},
             openapi_extra=_form_body("grant_type", "code", "redirect_uri", "code_verifier", "refresh_token",
                                      "scope", "resource", *_CLIENT_AUTH, required=("grant_type",)))
async def token(request: Request, session: SessionDep, provider: OidcDep) -> Response:
    """Token request (RFC 6749 §3.2): authorization_code, refresh_token or client_credentials."""
    now = _now(request)
    try:
        form, client = await _client_request(request, session, provider, provider.token_endpoint)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise invalid_request("grant_type is missing")
        grant = grants.GRANTS.get(grant_type)
        if grant is None:
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type[:50]} is not supported")
        if grant_type not in client.grant_types:
            raise OAuthError("unauthorized_client", f"the client is not registered for {grant_type}")
        body = await grant(session, provider, client, form, now=now)
    except OAuthError as error:
        return error.response()
    return JSONResponse(body, headers=NO_STORE)


async def _userinfo(request: Request, session: SessionDep, provider: OidcProvider) -> Response:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        # RFC 6750 §3.1: a request without credentials gets the bare challenge, no error code.
        return JSONResponse({"error": "invalid_request", "error_description": "a bearer token is required"},
                            status_code=401, headers={**NO_STORE, "WWW-Authenticate": 'Bearer realm="nutzerkonto"'})
    try:
        _, row = await tokens.active_access_token(session, provider, value.strip(), now=_now(request))
        scope = row.scope.split()
        if "openid" not in scope:
            raise invalid_token("the token was not granted the openid scope", status=403,
                                error="insufficient_scope", scope="openid")
        identity = await identities.get_identity(session, row.identity_id) if row.identity_id else None
        if identity is None or row.level is None:
            raise invalid_token("the person this token was issued for no longer exists")
    except OAuthError as error:
        return error.response()
    return JSONResponse(claims.userinfo(identity, scope, Level(row.level)), headers=NO_STORE)


_USERINFO_DOC: dict[int | str, dict[str, Any]] = {
    401: {"description": "invalid_token (RFC 6750 §3.1)"}, 403: {"description": "insufficient_scope"}}


@router.get("/userinfo", name="oidc_userinfo", response_model=UserInfo, responses=_USERINFO_DOC)
async def userinfo(request: Request, session: SessionDep, provider: OidcDep) -> Response:
    """Claims about the logged-in person for the granted scopes (OIDC Core §5.3), with per-claim trust levels."""
    return await _userinfo(request, session, provider)


@router.post("/userinfo", name="oidc_userinfo_post", response_model=UserInfo, responses=_USERINFO_DOC)
async def userinfo_post(request: Request, session: SessionDep, provider: OidcDep) -> Response:
    """The same as GET (OIDC Core §5.3.1); the token goes in the Authorization header."""
    return await _userinfo(request, session, provider)


@router.post("/introspect", name="oidc_introspect", response_model=Introspection, responses=_OAUTH_ERRORS,
             openapi_extra=_form_body("token", "token_type_hint", *_CLIENT_AUTH, required=("token",)))
async def introspect(request: Request, session: SessionDep, provider: OidcDep) -> Response:
    """Token introspection (RFC 7662) for confidential clients, typically resource servers."""
    now = _now(request)
    try:
        form, client = await _client_request(request, session, provider, provider.url("/introspect"))
        if client.client_type == "public":
            raise invalid_client("public clients cannot introspect tokens (RFC 7662 §2.1)")
        if not form.get("token"):
            raise invalid_request("token is missing")
        body = await introspection.introspect(session, provider, form["token"], now=now)
    except OAuthError as error:
        return error.response()
    return JSONResponse(body, headers=NO_STORE)


@router.post("/revoke", name="oidc_revoke", response_class=Response,
             responses={200: {"description": "Revoked, or nothing to revoke: no body (RFC 7009 §2.2)"},
                        **_OAUTH_ERRORS},
             openapi_extra=_form_body("token", "token_type_hint", *_CLIENT_AUTH, required=("token",)))
async def revoke(request: Request, session: SessionDep, provider: OidcDep) -> Response:
    """Token revocation (RFC 7009): 200 whether or not there was anything to revoke."""
    now = _now(request)
    try:
        form, client = await _client_request(request, session, provider, provider.url("/revoke"))
        if not form.get("token"):
            raise invalid_request("token is missing")
        await introspection.revoke_token(session, provider, client, form["token"], now=now)
    except OAuthError as error:
        return error.response()
    return Response(status_code=200, headers=NO_STORE)


async def _logout(request: Request, session: SessionDep, provider: OidcProvider,
                  params: list[tuple[str, str]]) -> Response:
    try:
        outcome = await end_session(session, provider, dict(params), now=_now(request))
    except authorization.NotRedirectable as refused:
        return pages.bad_request_page(request, refused.detail)
    if outcome.redirect_to is not None:
        return RedirectResponse(outcome.redirect_to, status_code=303, headers=NO_STORE)
    return pages.logged_out_page(request, ended=outcome.ended_session)


_LOGOUT_DOC: dict[int | str, dict[str, Any]] = {
    303: {"description": "Back to the registered post_logout_redirect_uri, with state"},
    400: {"description": "Invalid id_token_hint or unregistered post_logout_redirect_uri (a page)"},
}


@router.get("/logout", name="oidc_logout", response_class=HTMLResponse, responses=_LOGOUT_DOC)
async def logout(request: Request, session: SessionDep, provider: OidcDep) -> Response:
    """RP-Initiated Logout 1.0 §2: ends the session named by id_token_hint and revokes its tokens."""
    return await _logout(request, session, provider, _present(list(request.query_params.multi_items())))


@router.post("/logout", name="oidc_logout_post", response_class=HTMLResponse, responses=_LOGOUT_DOC,
             openapi_extra=_form_body("id_token_hint", "client_id", "post_logout_redirect_uri", "state"))
async def logout_post(request: Request, session: SessionDep, provider: OidcDep) -> Response:
    return await _logout(request, session, provider, _present(list((await request.form()).multi_items())))
