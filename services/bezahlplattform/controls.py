"""The Bezahlplattform's emulator controls (``/_emulator/bezahlplattform/...`` on the gateway): register online
services and offices, make a method unavailable, force the next outcome per method, set status progressions,
advance a held payment, and inspect the payments with their audit trail and the webhooks sent with their attempts."""

from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kit.db import SessionDep
from kit.emulator import control_router
from kit.faults import FaultSpec
from kit.problems import Problem
from services.bezahlplattform import audit, emulation
from services.bezahlplattform.adapters.registry import ADAPTERS
from services.bezahlplattform.models import Endpoint, Originator, Payment
from services.bezahlplattform.money import json_euros
from services.bezahlplattform.notifications import webhooks
from services.bezahlplattform.refunds import service as refunds
from services.bezahlplattform.registry import repository as registry
from services.bezahlplattform.registry.seed import ALL_METHODS
from services.bezahlplattform.state import StateDep
from services.bezahlplattform.transactions import repository, transitions
from services.bezahlplattform.transactions.schemas import HttpUrl
from services.bezahlplattform.transactions.view import iso_ms, render

router = control_router()

# Stripe's well-known test card numbers and what the emulated PSP does with them.
TEST_CARDS: dict[str, str] = {
    "4242424242424242": "success",
    "4000002500003155": "3-D Secure challenge, then success (or failure if the challenge is refused)",
    "4000000000000002": "declined: generic_decline",
    "4000000000009995": "declined: insufficient_funds",
    "4000000000000069": "declined: expired_card",
    "4000000000000127": "declined: incorrect_cvc",
    "4000000000000119": "declined: processing_error",
    "4000000000000341": "attaches, then fails on charge: card_declined",
}

Slug = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpointId: Slug = Field(examples=["071110000000"])
    name: str = Field(min_length=1, max_length=200, examples=["Stadt Koblenz"])
    serviceName: str = Field(min_length=1, max_length=200)
    kassenzeichenPrefix: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,8}$")] = "9"
    bookingDefaults: dict[str, Annotated[str, StringConstraints(max_length=250)]] = Field(default_factory=dict)
    requiredBookingKeys: list[Annotated[str, StringConstraints(max_length=50)]] = Field(default_factory=list)
    methods: list[Literal[tuple(ALL_METHODS)]] = Field(default_factory=lambda: list(ALL_METHODS))  # type: ignore[valid-type]
    iban: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")] = "DE02120300000000202051"
    bic: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{8,11}$")] = "BYLADEM1001"


class OriginatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    originatorId: Slug
    name: str = Field(min_length=1, max_length=200)
    basicUsername: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^:]+$")]
    basicPassword: str = Field(min_length=8, max_length=200)
    oauthClients: list[str] = Field(default_factory=list)
    webhookUrl: HttpUrl | None = None
    webhookSecret: str = Field(default="whsec_test", min_length=8, max_length=100)
    endpoints: list[EndpointIn] = Field(default_factory=list)


class OriginatorPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    webhookUrl: HttpUrl | None = None
    webhookSecret: str | None = Field(None, min_length=8, max_length=100)
    oauthClients: list[str] | None = None


def _endpoint(originator_id: str, body: EndpointIn, now: Any) -> Endpoint:
    return Endpoint(originator_id=originator_id, id=body.endpointId, name=body.name, service_name=body.serviceName,
                    kassenzeichen_prefix=body.kassenzeichenPrefix, booking_defaults=body.bookingDefaults,
                    required_booking_keys=body.requiredBookingKeys, methods=list(body.methods), iban=body.iban,
                    bic=body.bic, created_at=now)


@router.get("/originators", name="bezahlplattform_list_originators")
async def list_originators(session: SessionDep) -> list[dict[str, Any]]:
    endpoints = await registry.list_endpoints(session)
    return [registry.describe_originator(o, [e for e in endpoints if e.originator_id == o.id])
            for o in await registry.list_originators(session)]


@router.post("/originators", name="bezahlplattform_register_originator", status_code=201)
async def register_originator(body: OriginatorIn, session: SessionDep, state: StateDep) -> dict[str, Any]:
    """Register an online service with its credentials, webhook and offices (endpoints)."""
    now = state.runtime.clock.now()
    originator = Originator(id=body.originatorId, name=body.name, basic_username=body.basicUsername,
                            basic_password=body.basicPassword, oauth_clients=body.oauthClients,
                            webhook_url=body.webhookUrl, webhook_secret=body.webhookSecret, seeded=False,
                            created_at=now)
    session.add(originator)
    try:
        await session.flush()
        endpoints = [_endpoint(body.originatorId, e, now) for e in body.endpoints]
        session.add_all(endpoints)
        await session.flush()
    except IntegrityError as exc:
        raise Problem(409, f"Originator {body.originatorId!r} or Basic user {body.basicUsername!r} exists.",
                      type_="originator-exists") from exc
    await session.commit()
    state.credentials.invalidate()
    return registry.describe_originator(originator, endpoints)


@router.patch("/originators/{originator_id}", name="bezahlplattform_update_originator")
async def update_originator(originator_id: str, body: OriginatorPatch, session: SessionDep,
                            state: StateDep) -> dict[str, Any]:
    originator = await registry.get_originator(session, originator_id)
    if originator is None:
        raise Problem(404, f"No originator {originator_id!r}.")
    changes = body.model_dump(exclude_unset=True)
    if "webhookUrl" in changes:
        originator.webhook_url = changes["webhookUrl"]
    if changes.get("webhookSecret"):
        originator.webhook_secret = changes["webhookSecret"]
    if changes.get("oauthClients") is not None:
        originator.oauth_clients = changes["oauthClients"]
    await session.commit()
    state.credentials.invalidate()
    return registry.describe_originator(originator, await registry.list_endpoints(session, originator_id))


@router.post("/originators/{originator_id}/endpoints", name="bezahlplattform_register_endpoint", status_code=201)
async def register_endpoint(originator_id: str, body: EndpointIn, session: SessionDep,
                            state: StateDep) -> dict[str, Any]:
    if await registry.get_originator(session, originator_id) is None:
        raise Problem(404, f"No originator {originator_id!r}.")
    endpoint = _endpoint(originator_id, body, state.runtime.clock.now())
    session.add(endpoint)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Problem(409, f"Endpoint {body.endpointId!r} exists for {originator_id!r}.",
                      type_="endpoint-exists") from exc
    await session.commit()
    state.credentials.invalidate()
    return registry.describe_endpoint(endpoint)


Method = Annotated[str, Path(description="Adapter name: creditcard, paypal, giropay, sepa, transfer")]


def _known(method: str) -> str:
    if method not in ADAPTERS:
        raise Problem(404, f"No payment method {method!r}; known: {', '.join(sorted(ADAPTERS))}.")
    return method


@router.get("/methods", name="bezahlplattform_list_methods")
async def list_methods(session: SessionDep) -> list[dict[str, Any]]:
    rows = await emulation.all_controls(session)
    return [emulation.describe(name, rows.get(name)) for name in ADAPTERS]


class MethodPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    available: bool | None = None
    progression: Literal["immediate", "manual", "time"] | None = Field(
        None, description="immediate: final at once; manual: held until /payments/{id}/progress (or afterReads "
                          "status reads); time: final afterSeconds later (kit clock)")
    afterSeconds: int | None = Field(None, ge=0, le=30 * 86400)
    afterReads: int | None = Field(None, ge=1, le=1000)


@router.patch("/methods/{method}", name="bezahlplattform_update_method")
async def update_method(method: Method, body: MethodPatch, session: SessionDep) -> dict[str, Any]:
    row = await emulation.control(session, _known(method), for_update=True)
    if body.available is not None:
        row.available = body.available
    if body.progression is not None:
        if body.progression == "time" and body.afterSeconds is None:
            raise Problem(422, "progression 'time' needs afterSeconds.", type_="validation-error")
        row.progression = body.progression
        row.after_seconds = body.afterSeconds if body.progression == "time" else None
        row.after_reads = body.afterReads if body.progression == "manual" else None
    return emulation.describe(method, row)


class ForcedOutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["PAYED", "FAILED", "CANCELED"]
    statusDetail: str | None = Field(None, max_length=250)


@router.post("/methods/{method}/next-outcome", name="bezahlplattform_force_next_outcome", status_code=201)
async def force_next_outcome(method: Method, body: ForcedOutcomeIn, session: SessionDep) -> dict[str, Any]:
    """The next checkout finished with this method ends so, whatever the user enters; queued, one per payment."""
    row = await emulation.control(session, _known(method), for_update=True)
    row.forced_outcomes = [*row.forced_outcomes, body.model_dump(exclude_none=True)]
    return emulation.describe(method, row)


@router.post("/payments/{payment_id}/progress", name="bezahlplattform_progress_payment")
async def progress_payment(payment_id: str, session: SessionDep, state: StateDep) -> dict[str, Any]:
    """Make a held outcome (manual progression) final now."""
    payment = await repository.get(session, payment_id)
    if payment is None:
        raise Problem(404, f"No payment {payment_id!r}.")
    done = await transitions.apply_pending(session, state.runtime, state.base_url, payment, actor="emulator",
                                           force=True)
    if done is None:
        raise Problem(409, f"Payment {payment_id} holds no pending outcome (status {payment.status}).",
                      type_="nothing-pending")
    return render(done, state.base_url)


def _payment(payment: Payment, trail: list[dict[str, Any]]) -> dict[str, Any]:
    pending = None
    if payment.pending_status is not None:
        pending = {"status": payment.pending_status, "statusDetail": payment.pending_detail,
                   "dueAt": iso_ms(payment.pending_due_at) if payment.pending_due_at else None,
                   "afterReads": payment.pending_after_reads}
    return {"transactionId": payment.id, "originatorId": payment.originator_id, "endpointId": payment.endpoint_id,
            "requestId": payment.request_id, "status": payment.status, "statusDetail": payment.status_detail,
            "paymentMethod": payment.payment_method, "adapter": payment.adapter,
            "grosAmount": json_euros(payment.gros_amount_cents), "currency": payment.currency,
            "capturedAmount": json_euros(payment.captured_cents),
            "refundedAmount": json_euros(payment.refunded_cents), "purpose": payment.purpose,
            "kassenzeichen": payment.kassenzeichen, "pending": pending, "createdAt": iso_ms(payment.created_at),
            "updatedAt": iso_ms(payment.updated_at),
            "completedAt": iso_ms(payment.completed_at) if payment.completed_at else None, "audit": trail}


@router.get("/payments", name="bezahlplattform_list_payments")
async def list_payments(session: SessionDep, originatorId: str | None = None,
                        status: Literal["INITIAL", "PAYED", "FAILED", "CANCELED"] | None = None,
                        limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """Payments of every online service, newest first, each with its audit trail (oldest event first); reading
    them changes nothing (no status read is counted)."""
    query = select(Payment).order_by(Payment.created_at.desc(), Payment.id.desc()).limit(limit)
    if originatorId:
        query = query.where(Payment.originator_id == originatorId)
    if status:
        query = query.where(Payment.status == status)
    payments = (await session.scalars(query)).all()
    trails = await audit.trails(session, [p.id for p in payments])
    return [_payment(p, trails[p.id]) for p in payments]


@router.get("/webhooks", name="bezahlplattform_list_webhooks")
async def list_webhooks(session: SessionDep, limit: int = 100) -> list[dict[str, Any]]:
    """Webhooks queued and sent, newest first, each with its attempts (status code or error, time)."""
    return await webhooks.list_webhooks(session, limit=min(max(limit, 1), 1000))


class WebhookFault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: int | None = Field(None, ge=400, le=599, description="Fail deliveries as if the receiver answered so")
    delayMs: int = Field(0, ge=0, le=120_000)
    times: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _does_something(self) -> "WebhookFault":
        # Checked here, so a fault that would do nothing is a 422 of this body and not a failure building FaultSpec.
        if self.status is None and self.delayMs == 0:
            raise ValueError("give status, delayMs or both: a fault that does nothing is refused")
        return self


@router.post("/webhooks/faults", name="bezahlplattform_webhook_fault", status_code=201)
async def webhook_fault(body: WebhookFault, request: Request) -> dict[str, Any]:
    """Delay or fail webhook deliveries (the fault point ``webhook.deliver``); cleared by DELETE /_emulator/faults."""
    spec = FaultSpec(operation="webhook.deliver", status=body.status, delay_ms=body.delayMs, times=body.times,
                     detail="webhook delivery failed by the emulator")
    return request.app.state.runtime.faults.add(spec).model_dump()


class ChargebackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unauthorised: bool = Field(False, description="Not authorised by the debtor: 13 months to reclaim, not 8 weeks")


@router.post("/payments/{payment_id}/chargeback", name="bezahlplattform_chargeback", status_code=201)
async def chargeback(payment_id: str, body: ChargebackIn, session: SessionDep, state: StateDep) -> dict[str, Any]:
    """The debtor's bank reclaims a SEPA-Lastschrift (Rücklastschrift) within the reclaim period (kit clock)."""
    payment = await repository.get(session, payment_id)
    if payment is None:
        raise Problem(404, f"No payment {payment_id!r}.")
    record = await refunds.chargeback(session, state.runtime, state.base_url, payment,
                                      unauthorised=body.unauthorised)
    return refunds.describe(record)
