"""The intake's own emulator controls (``/_emulator/rechnungseingang/...`` on the gateway): register receiving
authorities and Leitweg-IDs, register sender addresses of the mail channel, read the mails the intake "sent", and
list the invoices received with their validation reports and Laufzettel.

Failures on demand use the kit's faults with these operations: ``validation`` (the validator), ``virus-scan``,
``forwarding`` (delivery to the Behördenpostfach; the outbox retries) and ``erp-webhook``.
"""

from typing import Any

from fastapi import Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import defer

from kit.db import SessionDep
from kit.emulator import control_router
from kit.outbox import OutboxMessage
from kit.problems import Problem
from kit.zbp import behoerdenpostfach_uuid
from services.rechnungseingang.invoices import rendering
from services.rechnungseingang.invoices.repository import STATUSES
from services.rechnungseingang.models import Authority, Invoice, InvoiceEvent, LeitwegId, MailSender
from services.rechnungseingang.platform import leitweg
from services.rechnungseingang.registry import repository as registry
from services.rechnungseingang.state import StateDep

router = control_router()
FAULT_OPERATIONS = ("validation", "virus-scan", "forwarding", "erp-webhook")


def _checked_leitweg_id(value: str) -> str:
    result = leitweg.check(value)
    if not result.valid:
        raise ValueError(result.reason or "not a Leitweg-ID")
    return result.leitweg_id


class AuthorityIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "ars": "071110000000", "name": "Stadt Koblenz", "leitweg_ids": ["04011000-12345-03"],
        "client_id": "demo-fachverfahren"}]})

    ars: str = Field(pattern=r"^\d{12}$", description="Amtlicher Regionalschlüssel: names the Behördenpostfach")
    name: str = Field(min_length=1, max_length=300)
    leitweg_ids: list[str] = Field(default_factory=list, max_length=100)
    client_id: str | None = Field(None, max_length=200, description="OAuth client that may read its invoices")
    erp_webhook_url: str | None = Field(None, pattern=r"^https?://", max_length=2000)
    erp_webhook_secret: str | None = Field(None, min_length=8, max_length=200)

    @field_validator("leitweg_ids")
    @classmethod
    def _valid_ids(cls, values: list[str]) -> list[str]:
        return [_checked_leitweg_id(v) for v in values]


class LeitwegIdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    leitweg_id: str
    ars: str = Field(pattern=r"^\d{12}$")
    description: str | None = Field(None, max_length=300)

    @field_validator("leitweg_id")
    @classmethod
    def _valid(cls, value: str) -> str:
        return _checked_leitweg_id(value)


class SenderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", max_length=320)
    name: str = Field(min_length=1, max_length=300)
    supplier_sub: str | None = Field(None, max_length=200,
                                     description="Nutzerkonto subject whose invoice list shows this sender's mails")


@router.get("/authorities", name="rechnungseingang_list_authorities")
async def list_authorities(session: SessionDep) -> list[dict[str, Any]]:
    return [registry.describe(a, ids, behoerdenpostfach_uuid(a.ars))
            for a, ids in await registry.list_authorities(session)]


@router.post("/authorities", name="rechnungseingang_register_authority", status_code=201)
async def register_authority(body: AuthorityIn, session: SessionDep, request: Request) -> dict[str, Any]:
    """Register (or update) an authority and route the given Leitweg-IDs to it."""
    now = request.app.state.runtime.clock.now()
    authority = await session.get(Authority, body.ars)
    if authority is None:
        authority = Authority(ars=body.ars, name=body.name, seeded=False, created_at=now)
        session.add(authority)
    authority.name = body.name
    authority.client_id = body.client_id
    authority.erp_webhook_url = body.erp_webhook_url
    authority.erp_webhook_secret = body.erp_webhook_secret
    await session.flush()
    for value in body.leitweg_ids:
        await _route(session, value, body.ars, None, now)
    ids = [r.leitweg_id for r in (await session.scalars(select(LeitwegId).where(LeitwegId.ars == body.ars))).all()]
    return registry.describe(authority, sorted(ids), behoerdenpostfach_uuid(body.ars))


async def _route(session: SessionDep, value: str, ars: str, description: str | None, now: Any) -> None:
    row = await session.get(LeitwegId, value)
    if row is None:
        session.add(LeitwegId(leitweg_id=value, ars=ars, description=description, seeded=False, created_at=now))
    else:
        row.ars = ars
    await session.flush()


@router.delete("/authorities/{ars}", name="rechnungseingang_delete_authority", status_code=204)
async def delete_authority(ars: str, session: SessionDep) -> Response:
    authority = await session.get(Authority, ars)
    if authority is None:
        raise Problem(404, f"No authority {ars}.")
    await session.execute(delete(LeitwegId).where(LeitwegId.ars == ars))
    await session.delete(authority)
    return Response(status_code=204)


@router.post("/leitweg-ids", name="rechnungseingang_route_leitweg_id", status_code=201)
async def route_leitweg_id(body: LeitwegIdIn, session: SessionDep, request: Request) -> dict[str, Any]:
    """Route a Leitweg-ID to a registered authority (e.g. a BT-10 value of the KoSIT testsuite to Koblenz)."""
    authority = await session.get(Authority, body.ars)
    if authority is None:
        raise Problem(404, f"No authority {body.ars}; register it first.")
    await _route(session, body.leitweg_id, body.ars, body.description, request.app.state.runtime.clock.now())
    return {"leitweg_id": body.leitweg_id, "ars": body.ars, "authority": authority.name}


@router.delete("/leitweg-ids/{leitweg_id}", name="rechnungseingang_unroute_leitweg_id", status_code=204)
async def unroute_leitweg_id(leitweg_id: str, session: SessionDep) -> Response:
    row = await session.get(LeitwegId, leitweg_id)
    if row is None:
        raise Problem(404, f"Leitweg-ID {leitweg_id} is not routed.")
    await session.delete(row)
    return Response(status_code=204)


def _sender(row: MailSender) -> dict[str, Any]:
    return {"address": row.address, "name": row.name, "supplier_sub": row.supplier_sub, "seeded": row.seeded}


@router.get("/senders", name="rechnungseingang_list_senders")
async def list_senders(session: SessionDep) -> list[dict[str, Any]]:
    return [_sender(s) for s in await registry.list_senders(session)]


@router.post("/senders", name="rechnungseingang_register_sender", status_code=201)
async def register_sender(body: SenderIn, session: SessionDep, request: Request) -> dict[str, Any]:
    """Allow mail from this address on the SMTP channel."""
    address = str(body.address).lower()
    row = await session.get(MailSender, address)
    if row is None:
        row = MailSender(address=address, name=body.name, seeded=False,
                         created_at=request.app.state.runtime.clock.now())
        session.add(row)
    row.name = body.name
    row.supplier_sub = body.supplier_sub
    await session.flush()
    return _sender(row)


@router.delete("/senders/{address}", name="rechnungseingang_delete_sender", status_code=204)
async def delete_sender(address: str, session: SessionDep) -> Response:
    row = await registry.sender(session, address)
    if row is None:
        raise Problem(404, f"No sender {address}.")
    await session.delete(row)
    return Response(status_code=204)


@router.get("/mails", name="rechnungseingang_list_mails")
async def list_mails(session: SessionDep, to: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The answers the mail channel sent (captured, never delivered), newest first; ``to`` filters by recipient."""
    query = select(OutboxMessage).where(OutboxMessage.channel == "mail")
    if to:
        query = query.where(OutboxMessage.target == to.strip().lower())
    rows = await session.scalars(query.order_by(OutboxMessage.id.desc()).limit(min(max(limit, 1), 1000)))
    return [{"id": m.id, "to": m.target, **m.payload, "status": m.status,
             "created_at": m.created_at.isoformat().replace("+00:00", "Z")} for m in rows]


@router.get("/invoices", name="rechnungseingang_list_invoices")
async def list_invoices(session: SessionDep, state: StateDep, status: str | None = None,
                        limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """Invoices of every supplier and channel, newest first, each with its validation report (without the parsed
    invoice) and its Laufzettel; ``status`` filters (received, validated, rejected, forwarded, retrieved)."""
    if status is not None and status not in STATUSES:
        raise Problem(422, f"Unknown status {status!r}; one of {', '.join(STATUSES)}.", type_="validation-error")
    # The documents themselves stay in the database: a list of a hundred invoices need not carry megabytes.
    query = (select(Invoice).options(*(defer(c, raiseload=True) for c in (Invoice.xml, Invoice.report_varl,
                                                                           Invoice.summary)))
             .order_by(Invoice.received_at.desc(), Invoice.id).limit(limit))
    if status:
        query = query.where(Invoice.status == status)
    invoices = (await session.scalars(query)).all()
    steps: dict[str, list[InvoiceEvent]] = {i.id: [] for i in invoices}
    if steps:
        events = await session.scalars(select(InvoiceEvent).where(InvoiceEvent.invoice_id.in_(steps))
                                       .order_by(InvoiceEvent.at, InvoiceEvent.id))
        for event in events:
            steps[event.invoice_id].append(event)
    base = state.settings.external_url
    return [{**rendering.describe(i, base),
             "report": {k: v for k, v in (i.report or {}).items() if k != "invoice"},
             "laufzettel": rendering.laufzettel_json(i, steps[i.id])["steps"]} for i in invoices]
