"""How a login that a SAML AuthnRequest started is answered: a Response over the HTTP-POST binding to the ACS
the request was verified against (SAML 2.0 Profiles §4.1.4.2 to 4.1.4.5), signed (XML-DSig), its Assertion signed
and, when the SP has an encryption key, encrypted (XML-Enc).
"""

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.nutzerkonto.attributes import (
    ASSERTION_PROVED_BY_OID,
    ATTRIBUTES,
    BY_NAME,
    FIXED_TRUST,
    LOGIN_ATTRIBUTE_TRUST,
    QAA_LEVEL_OID,
    SELF_DECLARED,
    VERSION_OID,
    friendly_name,
)
from services.nutzerkonto.login.flow import Failure
from services.nutzerkonto.models import Identity, LoginRequest
from services.nutzerkonto.saml import encryption, pages, providers, responses, sso
from services.nutzerkonto.saml.providers import ServiceProvider
from services.nutzerkonto.saml.responses import Answer, Released
from services.nutzerkonto.saml.signatures import Signer
from services.nutzerkonto.state import Nutzerkonto
from services.nutzerkonto.trust import SELF_DECLARED_TRUST, Level, acr_for, stork, trust_name

# The value the BundID simulator sends in the Version attribute (SelectViewController: "2021.7.1").
BUNDID_VERSION = "2021.7.1"


def released_attributes(login: LoginRequest, identity: Identity) -> list[Released]:
    """The requested attributes the identity has (all it has when none were named), then the login's own."""
    level = Level(login.level or Level.STORK_1)
    if login.protocol_state.get("attributes_requested"):
        names = list(dict.fromkeys(a["name"] for a in login.requested_attributes))
    else:
        names = [a.name for a in ATTRIBUTES]
    released: list[Released] = []
    for name in names:
        value = identity.attributes.get(name)
        if name not in BY_NAME or value is None or str(value) == "":
            continue
        trust = FIXED_TRUST.get(name) or (SELF_DECLARED_TRUST if name in SELF_DECLARED else trust_name(level))
        released.append(Released(BY_NAME[name].oid, friendly_name(BY_NAME[name]), str(value), trust))
    return [*released,
            Released(QAA_LEVEL_OID, "EID-CITIZEN-QAA-LEVEL", stork(level), LOGIN_ATTRIBUTE_TRUST),
            Released(ASSERTION_PROVED_BY_OID, "AssertionProvedBy", login.method or "", LOGIN_ATTRIBUTE_TRUST),
            Released(VERSION_OID, "Version", BUNDID_VERSION, LOGIN_ATTRIBUTE_TRUST)]


class SamlFinisher:
    """The ``saml`` protocol's :class:`~services.nutzerkonto.login.flow.Finisher`, and the one place that signs."""

    def __init__(self, state: Nutzerkonto) -> None:
        self.state = state
        self.signer = Signer(state.keys)
        self.encrypter = encryption.Encrypter()

    async def succeed(self, request: Request, session: AsyncSession, login: LoginRequest,
                      identity: Identity) -> Response:
        saved = login.protocol_state
        sp = await providers.get(session, saved["sp_entity_id"])
        if sp is None:
            return self._gone(request, saved["sp_entity_id"])
        now = request.app.state.runtime.clock.now()
        reached = Level(login.level or Level.STORK_1)
        reported = Level(sso.reported_level(saved["comparison"], saved["levels"], int(reached)))
        if reported < login.min_level:  # flow.mark_succeeded refuses this first; the promise is kept here too
            return self.answer_status(request, sp=sp, acs_url=saved["acs_url"], in_response_to=saved["request_id"],
                                      relay_state=saved["relay_state"], answer=responses.FAILED,
                                      service=login.display_name)
        entity_id = self.state.settings.entity_id
        root = responses.response(idp_entity_id=entity_id, destination=saved["acs_url"],
                                  in_response_to=saved["request_id"], now=now, answer=Answer(responses.SUCCESS))
        assertion = responses.assertion(
            idp_entity_id=entity_id, sp_entity_id=sp.entity_id, acs_url=saved["acs_url"],
            in_response_to=saved["request_id"], now=now, authn_instant=login.finished_at or now,
            class_ref=acr_for(reported, saved["class_refs"]), attributes=released_attributes(login, identity))
        root.append(assertion)
        if sp.sign_assertion:
            self.signer.sign(assertion, after=assertion[0], inclusive_prefixes=("xs",))
        if sp.encrypt_assertion and sp.encryption_certificate:
            self.encrypter.encrypt_assertion(assertion, sp.encryption_certificate,
                                             sp.encryption_method or encryption.AES256_GCM)
        if sp.sign_response:
            self.signer.sign(root, after=root[0])
        return pages.post_form(request, action=saved["acs_url"], saml_response=responses.encode(root),
                               relay_state=saved["relay_state"], service=login.display_name)

    async def fail(self, request: Request, session: AsyncSession, login: LoginRequest,
                   reason: Failure) -> Response:
        saved = login.protocol_state
        sp = await providers.get(session, saved["sp_entity_id"])
        if sp is None:
            return self._gone(request, saved["sp_entity_id"])
        answer = responses.CANCELLED if reason == "cancelled" else responses.FAILED
        return self.answer_status(request, sp=sp, acs_url=saved["acs_url"], in_response_to=saved["request_id"],
                                  relay_state=saved["relay_state"], answer=answer, service=login.display_name)

    def answer_status(self, request: Request, *, sp: ServiceProvider, acs_url: str, in_response_to: str,
                      relay_state: str | None, answer: Answer, service: str) -> Response:
        """A Response without assertion. Always signed, whatever the SP's settings: an unsigned error status
        could be forged by anyone to break a login."""
        now = request.app.state.runtime.clock.now()
        root = responses.response(idp_entity_id=self.state.settings.entity_id, destination=acs_url,
                                  in_response_to=in_response_to, now=now, answer=answer)
        self.signer.sign(root, after=root[0])
        return pages.post_form(request, action=acs_url, saml_response=responses.encode(root),
                               relay_state=relay_state, service=service)

    @staticmethod
    def _gone(request: Request, entity_id: str) -> Response:
        return pages.error_page(request, "Der Online-Dienst ist nicht mehr registriert; die Anmeldung kann ihm "
                                "nicht übermittelt werden.", issuer=entity_id, status_code=410)
