"""The IdP side of the Web Browser SSO Profile (SAML 2.0 Profiles §4.1.4): decide whether an AuthnRequest may
start a login, and with which level and attributes.

Two kinds of refusal, on purpose: until the SP, its signature and its ACS URL are verified, nothing may be sent
anywhere (an error page, :class:`RequestRefused`); after that, a request the IdP cannot satisfy is answered to
the verified ACS with a SAML status (:class:`StatusFailure`), as Core §3.2.2.2 describes.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.nutzerkonto.attributes import BY_OID
from services.nutzerkonto.login import flow
from services.nutzerkonto.models import LoginRequest
from services.nutzerkonto.saml import providers, signatures, xml
from services.nutzerkonto.saml.metadata import POST_SSO_PATH, REDIRECT_SSO_PATH
from services.nutzerkonto.saml.providers import ServiceProvider
from services.nutzerkonto.saml.requests import AuthnRequest, RedirectMessage
from services.nutzerkonto.saml.responses import (
    INVALID_NAMEID_POLICY,
    NO_AUTHN_CONTEXT,
    NO_PASSIVE,
    REQUESTER,
    RESPONDER,
    Answer,
)
from services.nutzerkonto.trust import Level, Method, parse_level

# How far an SP's clock may be off, and how old a request may be (Shibboleth's defaults are of this order).
CLOCK_SKEW = dt.timedelta(minutes=3)
MAX_REQUEST_AGE = dt.timedelta(minutes=5)
_NAMEID_FORMATS = {None, "", xml.NAMEID_TRANSIENT, xml.NAMEID_UNSPECIFIED}


class RequestRefused(Exception):
    """The request cannot be answered at all; the German message goes on an error page (400)."""


class StatusFailure(Exception):
    """The request is authentic but cannot be satisfied; answered to the ACS with this status."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.message)
        self.answer = answer


@dataclass
class Verified:
    """An authentic request from a registered SP, with the ACS URL the answer goes to."""

    request: AuthnRequest
    sp: ServiceProvider
    acs_url: str
    relay_state: str | None


def _signature_check(request: AuthnRequest, sp: ServiceProvider, redirect: RedirectMessage | None) -> bool:
    """Verify the SP's signature; True when the request was signed. Unsigned is refused when the SP's metadata
    says ``AuthnRequestsSigned="true"``; a signature that is present must always verify."""
    try:
        if redirect is not None:
            # Bindings §3.4.4.1: over the Redirect binding only the query-string signature counts.
            if redirect.signature is None:
                if sp.authn_requests_signed:
                    raise RequestRefused("Die Anfrage ist nicht signiert, der Dienst muss sie aber signieren "
                                         "(AuthnRequestsSigned in seinen Metadaten).")
                return False
            if not redirect.sig_alg:
                raise RequestRefused("Der Parameter SigAlg fehlt.")
            signatures.verify_query(redirect.signed_octets, redirect.sig_alg, redirect.signature,
                                    sp.signing_certificates)
            return True
        if signatures.enveloped_signature(request.root) is None:
            if sp.authn_requests_signed:
                raise RequestRefused("Die Anfrage ist nicht signiert, der Dienst muss sie aber signieren "
                                     "(AuthnRequestsSigned in seinen Metadaten).")
            return False
        signatures.verify_enveloped(request.root, sp.signing_certificates)
        return True
    except signatures.SignatureError as exc:
        raise RequestRefused(str(exc)) from exc


def _acs_url(request: AuthnRequest, sp: ServiceProvider) -> str:
    """The ACS the answer goes to: only ever one from the SP's metadata (Profiles §4.1.4.1)."""
    if request.protocol_binding not in (None, xml.BINDING_POST):
        raise RequestRefused("Antworten werden nur über das HTTP-POST-Binding zugestellt (ProtocolBinding).")
    if request.acs_url is not None and request.acs_index is not None:
        raise RequestRefused("AssertionConsumerServiceURL und -Index dürfen nicht zusammen vorkommen.")
    posts = [e for e in sp.endpoints() if e.binding == xml.BINDING_POST]
    if request.acs_url is not None:
        if not any(e.url == request.acs_url for e in posts):
            raise RequestRefused("Die AssertionConsumerServiceURL steht nicht in den Metadaten des Dienstes.")
        return request.acs_url
    if request.acs_index is not None:
        match = next((e for e in posts if e.index == request.acs_index), None)
        if match is None:
            raise RequestRefused("Den AssertionConsumerServiceIndex gibt es in den Metadaten des Dienstes nicht.")
        return match.url
    return next((e for e in posts if e.is_default), posts[0]).url


async def verify(session: AsyncSession, request: AuthnRequest, *, redirect: RedirectMessage | None,
                 relay_state: str | None, base_url: str, now: dt.datetime) -> Verified:
    """Everything that must hold before an answer may go anywhere; refuses with :class:`RequestRefused`."""
    sp = await providers.get(session, request.issuer)
    if sp is None:
        raise RequestRefused(f"Der Dienst {request.issuer!r} ist nicht registriert.")
    signed = _signature_check(request, sp, redirect)
    acs_url = _acs_url(request, sp)
    expected = base_url + (REDIRECT_SSO_PATH if redirect is not None else POST_SSO_PATH)
    if request.destination is not None and request.destination != expected:
        raise RequestRefused(f"Die Anfrage ist an {request.destination!r} adressiert, nicht an {expected!r}.")
    if signed and request.destination is None:  # Bindings §3.4.5.2 / §3.5.5.2: signed messages name their target
        raise RequestRefused("Eine signierte Anfrage muss ihr Ziel (Destination) nennen.")
    if request.issue_instant > now + CLOCK_SKEW:
        raise RequestRefused("Die Anfrage ist in der Zukunft ausgestellt (IssueInstant); bitte die Uhr prüfen.")
    if request.issue_instant < now - MAX_REQUEST_AGE - CLOCK_SKEW:
        raise RequestRefused("Die Anfrage ist zu alt (IssueInstant). Bitte starten Sie die Anmeldung neu.")
    # Only now, with the signature checked, may the ID be recorded: otherwise anyone could burn an SP's IDs.
    if not await providers.first_use(session, sp_entity_id=sp.entity_id, request_id=request.id, now=now,
                                     keep_until=request.issue_instant + MAX_REQUEST_AGE + 2 * CLOCK_SKEW):
        raise RequestRefused("Diese Anfrage wurde bereits verwendet (wiederholte ID).")
    return Verified(request=request, sp=sp, acs_url=acs_url, relay_state=relay_state)


def requested_level(request: AuthnRequest) -> Level:
    """The minimum level the login must reach (Core §3.3.2.2.1 comparison rules over STORK/eIDAS levels)."""
    if not request.class_refs:
        return Level.STORK_1
    levels = [lv for lv in (parse_level(r) for r in request.class_refs) if lv is not None]
    if not levels:
        raise StatusFailure(Answer(REQUESTER, NO_AUTHN_CONTEXT,
                                   "Unsupported AuthnContextClassRef; use STORK-QAA-Level-1..4 or eIDAS LoA."))
    if request.comparison == "maximum":
        return Level.STORK_1
    if request.comparison == "better":
        if max(levels) == Level.STORK_4:
            raise StatusFailure(Answer(REQUESTER, NO_AUTHN_CONTEXT, "No level better than STORK-QAA-Level-4."))
        return Level(min(levels) + 1)
    return Level(min(levels))  # minimum, and exact (answered with the highest listed level reached)


def reported_level(comparison: str, requested: list[int], reached: int) -> int:
    """The level to put in AuthnContextClassRef: the one reached, or for ``exact``/``maximum`` the highest
    requested level the login satisfies (a stronger login satisfies a weaker class truthfully)."""
    if comparison == "exact" and requested:
        return max(lv for lv in requested if lv <= reached)
    if comparison == "maximum" and requested:
        return min(reached, max(requested))
    return reached


async def start(session: AsyncSession, verified: Verified, *, binding: str, now: dt.datetime,
                ttl: dt.timedelta) -> LoginRequest:
    """Start the login page for a verified request, or :class:`StatusFailure` when it cannot be satisfied."""
    request = verified.request
    if request.name_id_format not in _NAMEID_FORMATS:
        raise StatusFailure(Answer(REQUESTER, INVALID_NAMEID_POLICY, "BundID issues transient NameIDs only."))
    min_level = requested_level(request)
    if request.is_passive:  # there is no single sign-on session to answer from without the citizen
        raise StatusFailure(Answer(RESPONDER, NO_PASSIVE, "Passive authentication is not possible."))
    wanted = [flow.RequestedAttribute(BY_OID[oid].name, required)
              for oid, required in request.requested_attributes or [] if oid in BY_OID]
    state: dict[str, Any] = {
        "request_id": request.id, "acs_url": verified.acs_url, "relay_state": verified.relay_state,
        "sp_entity_id": verified.sp.entity_id, "binding": binding, "comparison": request.comparison,
        "class_refs": request.class_refs,
        "levels": [int(lv) for lv in (parse_level(r) for r in request.class_refs) if lv is not None],
        "attributes_requested": request.requested_attributes is not None,
        "online_service_id": request.online_service_id, "authn_methods": request.authn_methods,
    }
    if request.authn_methods:
        # The login page offers only the methods the service allows (BundID's AllowedMethods / AuthnMethods).
        named = {m.lower() for m in request.authn_methods}
        state["allowed_methods"] = [str(m) for m in Method if str(m).lower() in named]
    return await flow.start_login(
        session, now=now, ttl=ttl, protocol="saml", client_id=verified.sp.entity_id,
        display_name=(request.organization_display_name or verified.sp.name)[:300], min_level=min_level,
        requested_attributes=wanted, protocol_state=state,
    )
