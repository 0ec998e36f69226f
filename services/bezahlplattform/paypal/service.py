"""PayPal Orders v2 as an emulated PayPal: create an order (intent CAPTURE or AUTHORIZE), the buyer approves it on
the ``approve`` link's page, the merchant captures it. ``PayPal-Request-Id`` makes create and capture idempotent
(same id → the same order or capture, not a second one). Errors use PayPal's own shape (name, message, details
with ``issue``). No HTTP here."""

import secrets
import string
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.problems import Problem
from kit.service import ServiceRuntime
from services.bezahlplattform.models import PaypalOrder
from services.bezahlplattform.money import AmountError, cents_to_euros, euros_to_cents

_ALPHABET = string.ascii_uppercase + string.digits
PAYPAL_TYPE = "https://developer.paypal.com/api/rest/reference/orders/v2/errors/"


def paypal_id(length: int = 17) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def paypal_error(status: int, name: str, issue: str, description: str) -> Problem:
    message = {422: "The requested action could not be performed, semantically incorrect, or failed business "
                    "validation.", 404: "The specified resource does not exist.",
               400: "Request is not well-formed, syntactically incorrect, or violates schema."}.get(status, name)
    return Problem(status, description, type_=PAYPAL_TYPE + "#" + issue, title=name, name=name, message=message,
                   debug_id=uuid.uuid4().hex[:13], details=[{"issue": issue, "description": description}])


def _value(cents: int) -> str:
    return f"{cents_to_euros(cents):.2f}"


def parse_create(body: dict[str, Any]) -> tuple[str, int, list[dict[str, Any]], str | None, str | None, bool]:
    """intent, cents, purchase units, return and cancel URL, whether payment_source.paypal was given."""
    intent = body.get("intent")
    if intent not in ("CAPTURE", "AUTHORIZE"):
        raise paypal_error(400, "INVALID_REQUEST", "INVALID_PARAMETER_VALUE", "intent must be CAPTURE or AUTHORIZE.")
    units = body.get("purchase_units")
    if not isinstance(units, list) or len(units) != 1 or not isinstance(units[0], dict):
        raise paypal_error(400, "INVALID_REQUEST", "INVALID_ARRAY_LENGTH",
                           "purchase_units must hold exactly one purchase unit here.")
    amount = units[0].get("amount") or {}
    if amount.get("currency_code") != "EUR":
        raise paypal_error(422, "UNPROCESSABLE_ENTITY", "CURRENCY_NOT_SUPPORTED",
                           "Only EUR is accepted by this platform.")
    try:
        cents = euros_to_cents(str(amount.get("value")))
    except AmountError as exc:
        raise paypal_error(400, "INVALID_REQUEST", "INVALID_PARAMETER_VALUE", f"amount.value: {exc}.") from None
    source = (body.get("payment_source") or {}).get("paypal")
    context = (source or {}).get("experience_context") or body.get("application_context") or {}
    return_url, cancel_url = context.get("return_url"), context.get("cancel_url")
    for url in (return_url, cancel_url):
        if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            raise paypal_error(400, "INVALID_REQUEST", "INVALID_PARAMETER_SYNTAX",
                               "return_url and cancel_url must be http(s) URLs.")
    unit = {k: v for k, v in units[0].items() if k in ("reference_id", "description", "custom_id", "invoice_id",
                                                          "soft_descriptor")}
    unit.setdefault("reference_id", "default")
    unit["amount"] = {"currency_code": "EUR", "value": _value(cents)}
    return intent, cents, [unit], return_url, cancel_url, source is not None


async def create(session: AsyncSession, runtime: ServiceRuntime, *, client: str, request_id: str | None,
                 intent: str, cents: int, units: list[dict[str, Any]], return_url: str | None,
                 cancel_url: str | None, payment_id: str | None = None,
                 payer_action: bool = False) -> tuple[PaypalOrder, bool]:
    """The order for this PayPal-Request-Id (created once); second value: whether it was created now."""
    if request_id:
        existing = await by_request_id(session, client, request_id)
        if existing is not None:
            return existing, False
    now = runtime.clock.now()
    order = PaypalOrder(id=paypal_id(), client=client, request_id=request_id, capture_request_id=None, intent=intent,
                        status="PAYER_ACTION_REQUIRED" if payer_action else "CREATED", amount_cents=cents,
                        currency="EUR", purchase_units=units, return_url=return_url, cancel_url=cancel_url,
                        payment_id=payment_id, payer_id=None, capture_id=None, created_at=now, updated_at=now)
    try:
        async with session.begin_nested():
            session.add(order)
    except IntegrityError:
        # A concurrent create with the same PayPal-Request-Id won; answer with its order.
        existing = await by_request_id(session, client, request_id or "")
        if existing is None:
            raise
        return existing, False
    return order, True


async def by_request_id(session: AsyncSession, client: str, request_id: str) -> PaypalOrder | None:
    return await session.scalar(select(PaypalOrder).where(PaypalOrder.client == client,
                                                          PaypalOrder.request_id == request_id))


async def get(session: AsyncSession, order_id: str) -> PaypalOrder | None:
    return await session.get(PaypalOrder, order_id)


async def _move(session: AsyncSession, runtime: ServiceRuntime, order: PaypalOrder, from_status: tuple[str, ...],
                **values: Any) -> PaypalOrder | None:
    statement = (update(PaypalOrder).where(PaypalOrder.id == order.id, PaypalOrder.status.in_(from_status))
                 .values(updated_at=runtime.clock.now(), **values).returning(PaypalOrder)
                 .execution_options(populate_existing=True, synchronize_session=False))
    return (await session.scalars(statement)).one_or_none()


async def approve(session: AsyncSession, runtime: ServiceRuntime, order: PaypalOrder) -> PaypalOrder | None:
    return await _move(session, runtime, order, ("CREATED", "PAYER_ACTION_REQUIRED"), status="APPROVED",
                       payer_id=paypal_id(13))


async def void(session: AsyncSession, runtime: ServiceRuntime, order: PaypalOrder) -> PaypalOrder | None:
    return await _move(session, runtime, order, ("CREATED", "PAYER_ACTION_REQUIRED"), status="VOIDED")


async def capture(session: AsyncSession, runtime: ServiceRuntime, order: PaypalOrder, *,
                  request_id: str | None) -> PaypalOrder:
    if order.status == "COMPLETED" and request_id and order.capture_request_id == request_id:
        return order  # the same capture call again: PayPal answers with the first capture
    if order.intent != "CAPTURE":
        raise paypal_error(422, "UNPROCESSABLE_ENTITY", "ACTION_DOES_NOT_MATCH_INTENT",
                           "The order was created with intent AUTHORIZE; this platform captures CAPTURE orders only.")
    if order.status == "COMPLETED":
        raise paypal_error(422, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED", "The order was already captured.")
    if order.status != "APPROVED":
        raise paypal_error(422, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED",
                           "The payer has not yet approved the order for payment.")
    captured = await _move(session, runtime, order, ("APPROVED",), status="COMPLETED", capture_id=paypal_id(),
                           capture_request_id=request_id)
    if captured is None:  # a concurrent capture won
        raise paypal_error(422, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED", "The order was already captured.")
    return captured


def approve_url(base_url: str, order: PaypalOrder) -> str:
    return f"{base_url}/paypal/checkoutnow?token={order.id}"


def render(order: PaypalOrder, base_url: str) -> dict[str, Any]:
    api = f"{base_url}/v2/checkout/orders/{order.id}"
    body: dict[str, Any] = {"id": order.id, "intent": order.intent, "status": order.status,
                            "create_time": order.created_at.isoformat().replace("+00:00", "Z"),
                            "purchase_units": [dict(u) for u in order.purchase_units]}
    links = [{"href": api, "rel": "self", "method": "GET"}]
    if order.status in ("CREATED", "PAYER_ACTION_REQUIRED"):
        rel = "payer-action" if order.status == "PAYER_ACTION_REQUIRED" else "approve"
        links += [{"href": approve_url(base_url, order), "rel": rel, "method": "GET"},
                  {"href": api, "rel": "update", "method": "PATCH"}]
    if order.status == "APPROVED":
        links.append({"href": f"{api}/capture", "rel": "capture", "method": "POST"})
    if order.payer_id:
        body["payer"] = {"payer_id": order.payer_id, "email_address": "sb-kaeufer@personal.example.com",
                         "name": {"given_name": "Erika", "surname": "Mustermann"}}
    if order.status == "COMPLETED":
        body["purchase_units"][0]["payments"] = {"captures": [{
            "id": order.capture_id, "status": "COMPLETED", "amount": {"currency_code": "EUR",
                                                                      "value": _value(order.amount_cents)},
            "final_capture": True, "create_time": order.updated_at.isoformat().replace("+00:00", "Z")}]}
    body["links"] = links
    return body
