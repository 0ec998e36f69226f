"""XBezahldienste HTTP API: create a payment transaction and pull its status, plus the platform's cancel and the
audit trail of one payment."""

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from kit.db import SessionDep
from services.bezahlplattform import audit
from services.bezahlplattform.auth import Caller, CallerDep
from services.bezahlplattform.errors import xbd_problem
from services.bezahlplattform.models import Endpoint, Payment
from services.bezahlplattform.routing import XBezahldiensteRoute
from services.bezahlplattform.state import StateDep
from services.bezahlplattform.transactions import repository, service, transitions
from services.bezahlplattform.transactions.schemas import AuditEvent, PaymentRequest, PaymentTransaction
from services.bezahlplattform.transactions.view import render

router = APIRouter(tags=["XBezahldienste"], route_class=XBezahldiensteRoute)

OriginatorId = Annotated[str, Path(max_length=64, description="The online service (e.g. its LeiKa key)")]
EndpointId = Annotated[str, Path(max_length=64, description="The responsible office (e.g. its ARS)")]
TransactionId = Annotated[str, Path(max_length=44)]

_TRANSACTION: dict[int | str, dict[str, Any]] = {200: {"description": "PaymentTransaction: paymentRequest and "
                                                            "paymentInformation"}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "VALIDATION_ERROR, CALCULATION_ERROR or BOOKING_DATA_MISSING"},
    401: {"description": "No or wrong credentials"},
    403: {"description": "FORBIDDEN: the caller may not act for this originator"},
    404: {"description": "NO_VALID_ORIGINATOR_OR_ENDPOINT, or no such transaction"},
}


async def endpoint_for(state: StateDep, caller: Caller, originator_id: str, endpoint_id: str) -> Endpoint:
    endpoint = await state.credentials.endpoint(originator_id, endpoint_id)
    if endpoint is None:
        raise xbd_problem("NO_VALID_ORIGINATOR_OR_ENDPOINT", f"No endpoint {endpoint_id!r} for originator "
                          f"{originator_id!r} is registered at this platform.")
    if not caller.may_act_for(originator_id):
        raise xbd_problem("FORBIDDEN", f"These credentials may not act for originator {originator_id!r}.")
    return endpoint


async def payment_for(session: SessionDep, state: StateDep, caller: Caller, originator_id: str, endpoint_id: str,
                      transaction_id: str) -> Payment:
    await endpoint_for(state, caller, originator_id, endpoint_id)
    payment = await repository.get_for(session, originator_id, endpoint_id, transaction_id)
    if payment is None:
        raise xbd_problem("NOT_FOUND", f"No payment transaction {transaction_id!r} here.")
    return payment


@router.post("/paymenttransaction/{originatorId}/{endpointId}", name="create_payment_transaction",
             response_model=PaymentTransaction, responses={**_TRANSACTION, **_ERRORS,
                        409: {"description": "PAYMENT_EXISTS: the requestId was used before"}})
async def create_payment_transaction(originatorId: OriginatorId, endpointId: EndpointId, body: PaymentRequest,
                                     caller: CallerDep, session: SessionDep, state: StateDep) -> JSONResponse:
    """Create a payment transaction; the user pays at ``paymentInformation.transactionRedirectUrl``."""
    endpoint = await endpoint_for(state, caller, originatorId, endpointId)
    originator = await state.credentials.originator(originatorId)
    payment = await service.create(session, state.runtime, state.base_url, endpoint, body, actor=caller.name,
                                   originator=originator)
    # The body is plain JSON types already: no need for FastAPI's generic encoder and response validation.
    return JSONResponse(render(payment, state.base_url))


@router.get("/paymenttransaction/{originatorId}/{endpointId}/{transactionId}", name="get_payment_transaction",
            response_model=PaymentTransaction, responses={**_TRANSACTION, **_ERRORS})
async def get_payment_transaction(originatorId: OriginatorId, endpointId: EndpointId, transactionId: TransactionId,
                                  caller: CallerDep, session: SessionDep, state: StateDep) -> JSONResponse:
    """The transaction's current status (the standard is pull-based: read it after the user comes back)."""
    payment = await payment_for(session, state, caller, originatorId, endpointId, transactionId)
    payment = await service.read(session, state.runtime, state.base_url, payment)
    return JSONResponse(render(payment, state.base_url))


@router.post("/paymenttransaction/{originatorId}/{endpointId}/{transactionId}/cancel",
             name="cancel_payment_transaction", response_model=PaymentTransaction, response_model_exclude_unset=True,
             responses={**_ERRORS, 409: {"description": "Not open any more"}})
async def cancel_payment_transaction(originatorId: OriginatorId, endpointId: EndpointId,
                                     transactionId: TransactionId, caller: CallerDep, session: SessionDep,
                                     state: StateDep) -> dict[str, Any]:
    """The online service withdraws an open payment (INITIAL → CANCELED); a paid one is refunded instead."""
    payment = await payment_for(session, state, caller, originatorId, endpointId, transactionId)
    canceled = await transitions.finish(session, state.runtime, state.base_url, payment.id, status="CANCELED",
                                        detail="Abbruch durch den Online-Dienst", actor=caller.name)
    if canceled is None:
        raise xbd_problem("UNSPECIFIED", f"The payment is {payment.status}, not INITIAL; only open payments can be "
                          "canceled (refund a paid one).", currentStatus=payment.status)
    return render(canceled, state.base_url)


@router.get("/paymenttransaction/{originatorId}/{endpointId}/{transactionId}/audit", name="payment_audit_trail",
            response_model=list[AuditEvent], responses=_ERRORS)
async def payment_audit_trail(originatorId: OriginatorId, endpointId: EndpointId, transactionId: TransactionId,
                              caller: CallerDep, session: SessionDep, state: StateDep) -> list[dict[str, Any]]:
    """Every event of this payment, oldest first, from the append-only audit log."""
    payment = await payment_for(session, state, caller, originatorId, endpointId, transactionId)
    return await audit.trail(session, payment.id)
