"""The bescheid service's emulator controls (``/_emulator/bescheid/...`` on the gateway): list every Bescheid issued,
make an authority's seal defective (revoked, expired, without QCStatement) and download a tampered copy of a sealed
Bescheid.
"TSA down" is the kit fault ``tsa.timestamp`` (``POST /_emulator/faults {"operation": "tsa.timestamp",
"status": 503}``): the TSA endpoint answers 503 and Bescheide above B-B are refused."""

import datetime as dt
from typing import Literal

from fastapi import Query, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import defer

from kit.db import SessionDep
from kit.emulator import control_router
from kit.problems import Problem
from services.bescheid.models import Bescheid, Revocation
from services.bescheid.notices import repository
from services.bescheid.notices.endpoints import describe
from services.bescheid.notices.schemas import BescheidOut, PadesLevel
from services.bescheid.pki.revocation import RevokedEntry
from services.bescheid.pki.store import AuthorityIdentity
from services.bescheid.seal.tamper import tamper
from services.bescheid.state import BescheidDep

router = control_router()


@router.get("/bescheide", name="bescheid_list_bescheide")
async def list_bescheide(session: SessionDep, request: Request, authority: str | None = None,
                         limit: int = Query(100, ge=1, le=1000)) -> list[BescheidOut]:
    """Every Bescheid issued, by any client, newest first, with its seal and its delivery state as last stored
    (the Postfach is not asked: reading changes nothing)."""
    query = (select(Bescheid).options(defer(Bescheid.pdf, raiseload=True))
             .order_by(Bescheid.created_at.desc(), Bescheid.number.desc()).limit(limit))
    if authority:
        query = query.where(Bescheid.authority_id == authority)
    return [describe(b, request) for b in (await session.scalars(query)).all()]


class AuthoritySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    padesLevel: PadesLevel  # camelCase like the rest of the API


@router.patch("/authorities/{authority_id}", name="bescheid_set_authority_level")
async def set_authority_level(authority_id: str, body: AuthoritySettings, session: SessionDep) -> dict[str, str]:
    """Seal this authority's notices at another PAdES level from now on (until the next reset)."""
    authority = await repository.get_authority(session, authority_id)
    if authority is None:
        raise Problem(404, f"No authority {authority_id!r}.", type_="authority-not-found")
    authority.pades_level = body.padesLevel
    return {"authority": authority.id, "padesLevel": authority.pades_level}


class SealCertificateState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["valid", "revoked", "expired", "no-qcstatement"]


@router.post("/authorities/{authority_id}/seal-certificate", name="bescheid_set_seal_certificate")
async def set_seal_certificate(authority_id: str, body: SealCertificateState, session: SessionDep,
                               state: BescheidDep, request: Request) -> dict[str, object]:
    """``revoked``: the authority's seal certificate is revoked now (CRL and OCSP say so); ``expired`` /
    ``no-qcstatement``: it seals with a certificate that expired yesterday / lacks the QCStatements;
    ``valid``: back to its regular, unrevoked certificate. A reset restores every authority."""
    authority = await repository.get_authority(session, authority_id)
    if authority is None:
        raise Problem(404, f"No authority {authority_id!r}.", type_="authority-not-found")
    now = request.app.state.runtime.clock.now()
    pki = state.pki
    assert pki.revocation is not None
    identity = AuthorityIdentity(authority.id, authority.name, authority.organization_identifier)
    if body.state == "valid":
        pki.restore_seal(authority.id)
        serial = str(pki.seal_for(authority.id).serial)
        row = await session.get(Revocation, serial)
        if row is not None:
            await session.delete(row)
    elif body.state == "revoked":
        pki.restore_seal(authority.id)
        serial = str(pki.seal_for(authority.id).serial)
        if await session.get(Revocation, serial) is None:
            session.add(Revocation(serial=serial, reason="key_compromise", revoked_at=now - dt.timedelta(seconds=1)))
    else:
        pki.use_defective_seal(identity, body.state, now)
    await session.flush()
    revocations = (await session.scalars(select(Revocation))).all()
    pki.revocation.set_revoked([RevokedEntry(int(r.serial), r.revoked_at, r.reason) for r in revocations])
    credential = pki.seal_for(authority.id)
    return {"authority": authority.id, "state": body.state, "certificate_serial": str(credential.serial),
            "not_after": credential.certificate.not_valid_after_utc.isoformat()}


@router.get("/bescheide/{bescheid_id}/tampered.pdf", name="bescheid_tampered_pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "No such Bescheid"}})
async def tampered_pdf(bescheid_id: str, session: SessionDep) -> Response:
    """A copy of the sealed PDF with one character changed inside the signed byte range: every validator
    must report it broken (pdfsig: "Digest Mismatch")."""
    bescheid = await repository.get_bescheid(session, bescheid_id)
    if bescheid is None:
        raise Problem(404, f"No Bescheid {bescheid_id}.", type_="bescheid-not-found")
    return Response(tamper(bescheid.pdf), media_type="application/pdf",
                    headers={"Content-Disposition":
                             f'attachment; filename="Bescheid-{bescheid.number}-manipuliert.pdf"'})
