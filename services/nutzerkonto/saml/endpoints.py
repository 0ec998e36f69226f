"""The IdP's HTTP surface (SAML 2.0 Bindings and Metadata): metadata at ``/saml/metadata`` (and at the entityID
path ``/idp``, where BundID publishes its own), and the SSO endpoints in Shibboleth's layout, as BundID has them:
``/idp/profile/SAML2/Redirect/SSO`` and ``/idp/profile/SAML2/POST/SSO``.

A request that cannot be verified gets a German error page (400) and is never redirected anywhere; once the SP and
its ACS are verified, failures go back to the ACS as SAML statuses. Nothing a browser sends here can cause a 500.
"""

import datetime as dt

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kit.db import SessionDep
from kit.schemas import text_body
from services.nutzerkonto.saml import pages, sso, xml
from services.nutzerkonto.saml.finisher import SamlFinisher
from services.nutzerkonto.saml.metadata import METADATA_MEDIA_TYPE, POST_SSO_PATH, REDIRECT_SSO_PATH, idp_metadata
from services.nutzerkonto.saml.requests import AuthnRequest, RedirectMessage, decode_post, decode_redirect
from services.nutzerkonto.saml.requests import read_authn_request as read
from services.nutzerkonto.saml.xml import SamlXmlError
from services.nutzerkonto.state import Nutzerkonto, NutzerkontoDep

router = APIRouter(tags=["saml"])

_METADATA_DOC = {200: text_body(METADATA_MEDIA_TYPE, "SAML 2.0 metadata of the IdP (md:EntityDescriptor)")}
_SSO_DOC = {
    200: {"description": "A self-submitting form that carries a SAML error status to the SP's ACS",
          "content": {"text/html": {}}},
    303: {"description": "On to the login page"},
    400: {"description": "The request cannot be answered: German HTML error page", "content": {"text/html": {}}},
}


def _metadata(state: Nutzerkonto) -> Response:
    body = idp_metadata(entity_id=state.settings.entity_id, base_url=state.settings.external_url,
                        keys=state.keys.published)
    return Response(body, media_type=METADATA_MEDIA_TYPE)


@router.get("/saml/metadata", name="saml_metadata", response_class=Response, responses=_METADATA_DOC)
async def metadata(state: NutzerkontoDep) -> Response:
    """The IdP's metadata: entityID, signing certificates, SSO endpoints for both bindings."""
    return _metadata(state)


@router.get("/idp", name="saml_metadata_at_entity_id", response_class=Response, responses=_METADATA_DOC)
async def metadata_at_entity_id(state: NutzerkontoDep) -> Response:
    """The same metadata at the entityID's path (BundID's metadata URL is its entityID, https://id.bund.de/idp)."""
    return _metadata(state)


def _finisher(state: Nutzerkonto) -> SamlFinisher:
    finisher = state.finishers["saml"]
    assert isinstance(finisher, SamlFinisher)
    return finisher


async def _answer(request: Request, session: SessionDep, state: Nutzerkonto, authn: AuthnRequest, *,
                  redirect: RedirectMessage | None, relay_state: str | None) -> Response:
    now = request.app.state.runtime.clock.now()
    try:
        verified = await sso.verify(session, authn, redirect=redirect, relay_state=relay_state,
                                    base_url=state.settings.external_url, now=now)
    except sso.RequestRefused as exc:
        return pages.error_page(request, str(exc), issuer=authn.issuer)
    binding = xml.BINDING_REDIRECT if redirect is not None else xml.BINDING_POST
    try:
        login = await sso.start(session, verified, binding=binding, now=now,
                                ttl=dt.timedelta(seconds=state.settings.login_ttl_seconds))
    except sso.StatusFailure as exc:
        return _finisher(state).answer_status(
            request, sp=verified.sp, acs_url=verified.acs_url, in_response_to=authn.id, relay_state=relay_state,
            answer=exc.answer, service=authn.organization_display_name or verified.sp.name)
    # Behind the gateway the service lives under /nutzerkonto: the page's URL must carry that prefix.
    return RedirectResponse(request.scope.get("root_path", "") + "/login/" + login.id, status_code=303)


@router.get(REDIRECT_SSO_PATH, name="saml_sso_redirect", response_class=HTMLResponse, responses=_SSO_DOC)
async def sso_redirect(request: Request, session: SessionDep, state: NutzerkontoDep) -> Response:
    """HTTP-Redirect binding: ``SAMLRequest`` (DEFLATE, base64), ``RelayState``, ``SigAlg``, ``Signature``."""
    try:
        message = decode_redirect(request.scope.get("query_string", b""))
        authn = read(xml.parse(message.xml))
    except SamlXmlError as exc:
        return pages.error_page(request, str(exc))
    return await _answer(request, session, state, authn, redirect=message, relay_state=message.relay_state)


@router.post(POST_SSO_PATH, name="saml_sso_post", response_class=HTMLResponse, responses=_SSO_DOC,
             openapi_extra={"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                 "type": "object", "required": ["SAMLRequest"],
                 "properties": {"SAMLRequest": {"type": "string"}, "RelayState": {"type": "string"}}}}}}})
async def sso_post(request: Request, session: SessionDep, state: NutzerkontoDep) -> Response:
    """HTTP-POST binding: ``SAMLRequest`` (base64, enveloped XML signature) and ``RelayState`` as form fields."""
    try:
        form = await request.form(max_files=0, max_fields=16)
    except (StarletteHTTPException, ValueError):
        return pages.error_page(request, "Das Formular der Anfrage ist fehlerhaft.")
    saml_request, relay_state = form.get("SAMLRequest"), form.get("RelayState")
    if not isinstance(relay_state, str):
        relay_state = None
    try:
        authn = read(xml.parse(decode_post(saml_request if isinstance(saml_request, str) else None, relay_state)))
    except SamlXmlError as exc:
        return pages.error_page(request, str(exc))
    return await _answer(request, session, state, authn, redirect=None, relay_state=relay_state)
