"""Refunds of a paid payment transaction (an extension next to the XBezahldienste paths; the standard itself
defines none): ``POST …/{transactionId}/refunds`` with an amount in euros (omit it for the rest), ``GET`` lists them."""

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kit.db import SessionDep
from kit.schemas import Number, Timestamp, WireModel
from services.bezahlplattform.auth import CallerDep
from services.bezahlplattform.money import euros_to_cents
from services.bezahlplattform.refunds import service
from services.bezahlplattform.routing import XBezahldiensteRoute
from services.bezahlplattform.state import StateDep
from services.bezahlplattform.transactions.endpoints import (
    _ERRORS,
    EndpointId,
    OriginatorId,
    TransactionId,
    payment_for,
)

router = APIRouter(tags=["Erstattungen"], route_class=XBezahldiensteRoute)


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Annotated[Decimal, Field(gt=0, decimal_places=2, max_digits=11)] | None = Field(
        None, description="Euros; omitted means everything not yet refunded")
    currency: str = Field("EUR", pattern="^EUR$")
    reason: str | None = Field(None, max_length=250)


class RefundOut(WireModel):
    """A refund (always SUCCEEDED: the emulated acquirers refund at once)."""

    refundId: str
    transactionId: str
    amount: Number = Field(description="Euros")
    currency: Literal["EUR"]
    reason: str | None
    status: Literal["SUCCEEDED"]
    created: Timestamp


@router.post("/paymenttransaction/{originatorId}/{endpointId}/{transactionId}/refunds", name="create_refund",
             status_code=201, response_model=RefundOut,
             responses={**_ERRORS, 409: {"description": "Not paid, or more than was captured"}})
async def create_refund(originatorId: OriginatorId, endpointId: EndpointId, transactionId: TransactionId,
                        body: RefundRequest, caller: CallerDep, session: SessionDep,
                        state: StateDep) -> dict[str, Any]:
    payment = await payment_for(session, state, caller, originatorId, endpointId, transactionId)
    amount = euros_to_cents(body.amount) if body.amount is not None else None
    record = await service.refund(session, state.runtime, state.base_url, payment, amount_cents=amount,
                                  reason=body.reason, actor=caller.name)
    return service.describe(record)


@router.get("/paymenttransaction/{originatorId}/{endpointId}/{transactionId}/refunds", name="list_refunds",
            response_model=list[RefundOut], responses=_ERRORS)
async def list_refunds(originatorId: OriginatorId, endpointId: EndpointId, transactionId: TransactionId,
                       caller: CallerDep, session: SessionDep, state: StateDep) -> list[dict[str, Any]]:
    payment = await payment_for(session, state, caller, originatorId, endpointId, transactionId)
    return [service.describe(r) for r in await service.list_refunds(session, payment.id)]
