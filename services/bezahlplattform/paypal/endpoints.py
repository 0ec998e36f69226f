"""PayPal Orders v2 HTTP shape for online services that call PayPal directly (``/v2/checkout/orders``), and the
buyer's approve page (``/paypal/checkoutnow?token=…``) that the ``approve`` link points to. Callers authenticate
like on the XBezahldienste API (HTTP Basic of the online service, or a Nutzerkonto token)."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from kit.db import SessionDep
from services.bezahlplattform.auth import CallerDep
from services.bezahlplattform.checkout.pages import render as render_page
from services.bezahlplattform.money import german
from services.bezahlplattform.paypal import service
from services.bezahlplattform.paypal.schemas import Order
from services.bezahlplattform.state import StateDep

api_router = APIRouter(prefix="/v2/checkout/orders", tags=["PayPal Orders v2"])
pages_router = APIRouter(prefix="/paypal", tags=["PayPal Orders v2"])

RequestId = Annotated[str | None, Header(alias="PayPal-Request-Id", max_length=108)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "INVALID_REQUEST"}, 401: {"description": "No or wrong credentials"},
    404: {"description": "RESOURCE_NOT_FOUND"}, 422: {"description": "UNPROCESSABLE_ENTITY (details[].issue)"},
}


async def _order(session: SessionDep, order_id: str, client: str | None = None) -> Any:
    order = await service.get(session, order_id)
    if order is None or (client is not None and order.client != client):
        raise service.paypal_error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID",
                                   "Specified resource ID does not exist. Please check the resource ID and try again.")
    return order


@api_router.post("", name="paypal_create_order", status_code=201, response_model=Order,
                 responses={200: {"model": Order, "description": "The order created before for this "
                                                                  "PayPal-Request-Id"}, **_ERRORS})
async def create_order(caller: CallerDep, session: SessionDep, state: StateDep, request_id: RequestId = None,
                       body: Annotated[dict[str, Any] | None, Body(examples=[{
                           "intent": "CAPTURE", "purchase_units": [{"reference_id": "711202600000017",
                                                                    "amount": {"currency_code": "EUR",
                                                                               "value": "30.00"}}],
                           "payment_source": {"paypal": {"experience_context": {
                               "return_url": "https://onlinedienst.example/paypal/ok",
                               "cancel_url": "https://onlinedienst.example/paypal/abbruch"}}}}])] = None,
                       ) -> JSONResponse:
    """Create an order; send the buyer to the ``approve`` (or ``payer-action``) link."""
    intent, cents, units, return_url, cancel_url, payer_action = service.parse_create(body or {})
    order, created = await service.create(session, state.runtime, client=caller.name, request_id=request_id,
                                          intent=intent, cents=cents, units=units, return_url=return_url,
                                          cancel_url=cancel_url, payer_action=payer_action)
    return JSONResponse(service.render(order, state.base_url), status_code=201 if created else 200)


# The stored purchase unit keeps the caller's member order: get and capture document the order, not re-serialise it.
@api_router.get("/{order_id}", name="paypal_get_order", response_model=None,
                responses={200: {"model": Order, "description": "The order"}, **_ERRORS})
async def get_order(order_id: str, caller: CallerDep, session: SessionDep, state: StateDep) -> dict[str, Any]:
    return service.render(await _order(session, order_id, caller.name), state.base_url)


@api_router.post("/{order_id}/capture", name="paypal_capture_order", status_code=201, response_model=None,
                 responses={201: {"model": Order, "description": "The completed order with its capture"},
                            **_ERRORS})
async def capture_order(order_id: str, caller: CallerDep, session: SessionDep, state: StateDep,
                        request_id: RequestId = None) -> dict[str, Any]:
    """Capture an approved order (once; the same PayPal-Request-Id answers with the same capture)."""
    order = await service.capture(session, state.runtime, await _order(session, order_id, caller.name),
                                  request_id=request_id)
    return service.render(order, state.base_url)


def _with_query(url: str, **params: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


@pages_router.get("/checkoutnow", name="paypal_approve_page", response_class=HTMLResponse)
async def approve_page(token: str, request: Request, session: SessionDep) -> Response:
    order = await service.get(session, token)
    if order is None or order.status not in ("CREATED", "PAYER_ACTION_REQUIRED"):
        return render_page(request, "message.html", {"heading": "Bestellung nicht verfügbar",
                                                     "text": "Diese PayPal-Bestellung gibt es nicht oder sie ist "
                                                             "bereits abgeschlossen."}, 404)
    payee = order.purchase_units[0].get("description") or "den Händler"
    return render_page(request, "paypal_approve.html", {"payee": payee, "amount": german(order.amount_cents)})


@pages_router.post("/checkoutnow", name="paypal_approve", response_class=HTMLResponse)
async def approve(token: str, request: Request, session: SessionDep, state: StateDep) -> Response:
    order = await service.get(session, token)
    if order is None:
        return await approve_page(token, request, session)
    action = (await request.form()).get("action")
    if action == "approve":
        approved = await service.approve(session, state.runtime, order)
        if approved is None:
            return await approve_page(token, request, session)
        if approved.return_url:
            return RedirectResponse(_with_query(approved.return_url, token=approved.id, PayerID=approved.payer_id
                                                or ""), status_code=303)
        return render_page(request, "message.html", {"heading": "Zahlung bestätigt",
                                                     "text": "Sie können dieses Fenster schließen."})
    if order.cancel_url:
        # The order stays CREATED, as at PayPal; the merchant decides what a cancel means.
        return RedirectResponse(_with_query(order.cancel_url, token=order.id), status_code=303)
    return render_page(request, "message.html", {"heading": "Zahlung abgebrochen", "text": "Sie haben abgebrochen."})
