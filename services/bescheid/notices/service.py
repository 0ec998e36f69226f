"""Issuing a Bescheid: check authority and template, give it the next number, render it, seal it at the
authority's PAdES level, deliver it into the addressee's Postfach, store it. One transaction: when anything is
refused (unknown addressee, TSA down) nothing is stored, no number is used up, nothing is delivered."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.problems import Problem
from kit.service import ServiceRuntime
from services.bescheid.delivery import postfach
from services.bescheid.models import Authority, Bescheid, Template
from services.bescheid.notices import repository
from services.bescheid.notices.schemas import BescheidIn
from services.bescheid.pki.endpoints import TSA_OPERATION
from services.bescheid.render.pdf import RenderInput, render
from services.bescheid.state import BescheidState

if TYPE_CHECKING:
    from services.bescheid.seal.sealer import SealMaterial

POSTFACH_CHANNEL = "postfach"
LONG_TERM = ("B-LT", "B-LTA")


async def _authority_and_template(session: AsyncSession, body: BescheidIn) -> tuple[Authority, Template]:
    authority = await repository.get_authority(session, body.authority)
    if authority is None:
        raise Problem(422, f"No authority {body.authority!r}.", type_="unknown-authority", title="Unknown authority",
                      errors=[{"in": "body", "pointer": "/authority", "detail": "unknown authority"}])
    template = await repository.get_template(session, body.template)
    if template is None or template.authority_id != authority.id:
        raise Problem(422, f"Authority {authority.id!r} has no template {body.template!r}.",
                      type_="unknown-template", title="Unknown template",
                      errors=[{"in": "body", "pointer": "/template", "detail": "unknown template of this authority"}])
    return authority, template


def seal_material(state: BescheidState, runtime: ServiceRuntime, authority_id: str, level: str) -> "SealMaterial":
    from services.bescheid.seal.sealer import LocalTimeStamper, SealMaterial  # pyHanko: see PKI.signer_for

    pki = state.pki
    assert pki.root is not None and pki.tsa is not None and pki.revocation is not None
    credential = pki.seal_for(authority_id)
    now = runtime.clock.now()
    long_term = level in LONG_TERM
    return SealMaterial(
        signer=pki.signer_for(authority_id),
        timestamper=LocalTimeStamper(pki.tsa, runtime.clock.now) if level != "B-B" else None,
        trust_root=pki.root.asn1,
        crl=pki.revocation.crl(now) if long_term else None,
        ocsps=[pki.revocation.ocsp_for(credential.certificate, now)] if long_term else [],
        moment=now,
    )


def _level_and_warnings(state: BescheidState, authority: Authority, requested: str | None) -> tuple[str, list[str]]:
    """The level to seal at and what is wrong with the seal certificate (emulator controls make it defective:
    the service seals all the same, as a misconfigured signing service would, and says so)."""
    level = requested or authority.pades_level
    credential = state.pki.seal_for(authority.id)
    assert state.pki.revocation is not None
    warnings = []
    if state.pki.revocation.status_of(credential.serial):
        warnings.append("seal-certificate-revoked")
    if credential.defect == "expired":
        warnings.append("seal-certificate-expired")
    if credential.defect == "no-qcstatement":
        warnings.append("seal-certificate-not-qualified")
    invalid = {"seal-certificate-revoked", "seal-certificate-expired"} & set(warnings)
    if invalid and level in LONG_TERM:
        # No validator accepts validation data for an invalid certificate, so none can be embedded.
        warnings.append(f"level-reduced-from-{level}")
        level = "B-T"
    return level, warnings


def _render_input(body: BescheidIn, authority: Authority, template: Template, number: str, date: dt.date,
                  now: dt.datetime) -> RenderInput:
    labels = template.fields
    shown = [(labels[key], body.fields[key]) for key in labels if key in body.fields]
    shown += [(key, value) for key, value in body.fields.items() if key not in labels]
    data = {"bescheidNummer": number, "authorityName": authority.name, "ars": authority.ars, **body.embedded_data()}
    data["date"] = date.isoformat()
    return RenderInput(
        authority_name=authority.name, authority_address=authority.address, service=template.service,
        title=template.title, greeting=template.greeting, closing=template.closing, number=number,
        aktenzeichen=body.aktenzeichen, date=date, addressee_name=body.addressee.name,
        addressee_address=body.addressee.address, tenor=body.tenor, begruendung=body.begruendung,
        rechtsbehelfsbelehrung=body.rechtsbehelfsbelehrung, fields=shown,
        fees=[(f.description, Decimal(f.amount)) for f in body.fees], kassenzeichen=body.kassenzeichen,
        data=data, created_at=now)


async def issue(session: AsyncSession, state: BescheidState, runtime: ServiceRuntime, body: BescheidIn, *,
                client_id: str, batch_id: str | None = None) -> Bescheid:
    authority, template = await _authority_and_template(session, body)
    level, warnings = _level_and_warnings(state, authority, body.pades_level)
    if level != "B-B":
        await runtime.faults.check(TSA_OPERATION)  # "TSA down": nothing is sealed without the timestamp
    now = runtime.clock.now()
    date = body.date or now.date()
    sequence = await repository.next_number(session, authority.id, date.year)
    number = f"{authority.number_prefix}-{date.year}-{sequence:06d}"
    material = seal_material(state, runtime, authority.id, level)
    doc = _render_input(body, authority, template, number, date, now)
    reason = f"Bescheid {number} der Behörde {authority.name} (TEST)"
    pdf = await state.run(_render_and_seal, doc, state.fonts, level, material, reason)

    bescheid = Bescheid(
        id=str(uuid.uuid4()), authority_id=authority.id, template_id=template.id, number=number,
        aktenzeichen=body.aktenzeichen, addressee_handle=str(body.addressee.postkorb_handle), client_id=client_id,
        data=doc.data, pdf=pdf, pades_level=level, seal_serial=str(state.pki.seal_for(authority.id).serial),
        seal_warnings=warnings, batch_id=batch_id, delivery_status="pending", delivery_error=None, message_id=None,
        provided_at=None, notified_at=None, retrieved_at=None, bekanntgabe=None, created_at=now)
    rule = body.bekanntgabe_rule or template.bekanntgabe_rule
    fields = postfach.message_fields(bescheid, authority, template,
                                     stork_qaa_level=body.stork_qaa_level or template.stork_qaa_level,
                                     external_url=state.settings.external_url)
    try:
        outcome = await postfach.send(state, fields=fields, filename=f"Bescheid-{number}.pdf", pdf=pdf, rule=rule,
                                      now=now)
    except postfach.DeliveryRetry as exc:
        # Issued all the same: the outbox delivers it when the Postfach is back (house rule 7).
        bescheid.delivery_error = str(exc)[:2000]
        runtime.outbox.enqueue(session, channel=POSTFACH_CHANNEL, target=f"bescheid:{bescheid.id}",
                               payload={"bescheidId": bescheid.id, "fields": fields, "rule": rule})
    else:
        postfach.record(bescheid, outcome)
    session.add(bescheid)
    await session.flush()
    return bescheid


def _render_and_seal(doc: RenderInput, fonts: Any, level: str, material: "SealMaterial", reason: str) -> bytes:
    from services.bescheid.seal.sealer import seal

    return seal(render(doc, fonts), level, material, reason=reason)
