"""The hosted checkout at ``transactionRedirectUrl`` (``/checkout/{transactionId}``): the user chooses a method,
walks its adapter's pages, and is sent back to the online service's ``redirectUrl`` with the final status.
Pages are German HTML; every form has "Abbrechen", which ends the payment as CANCELED."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kit.db import SessionDep
from services.bezahlplattform.adapters.base import CheckoutContext, Page, Redirect
from services.bezahlplattform.adapters.registry import ADAPTERS
from services.bezahlplattform.checkout import flow
from services.bezahlplattform.checkout.pages import render
from services.bezahlplattform.state import StateDep

router = APIRouter(tags=["Checkout"], include_in_schema=True)

_PAGES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "A checkout page"},
    303: {"description": "On to the next step, or back to the online service's redirectUrl"},
    404: {"description": "Unknown payment (an HTML page)"},
}


def _common(ctx: CheckoutContext) -> dict[str, Any]:
    return {"payment": ctx.payment, "endpoint": ctx.endpoint, "checkout_url": f"{ctx.base_url}/checkout/"
            f"{ctx.payment.id}", "description": ctx.payment.payment_request.get("description")}


def _answer(request: Request, ctx: CheckoutContext, result: Page | Redirect, adapter: str | None = None) -> Response:
    if isinstance(result, Redirect):
        return RedirectResponse(result.url, status_code=303)
    # Forms post back to the page they are on; the adapter tells steps apart by the path.
    context = {**_common(ctx), "adapter": adapter, "action": f"{ctx.base_url}{_below_service(request)}",
               **result.context}
    return render(request, result.template, context, result.status)


def _below_service(request: Request) -> str:
    """The request path below this service's mount point (behind the gateway ``/bezahlplattform`` is stripped)."""
    root = request.scope.get("root_path", "")
    path = request.url.path
    return path[len(root):] if root and path.startswith(root) else path


def _not_found(request: Request) -> HTMLResponse:
    return render(request, "message.html", {"heading": "Zahlung nicht gefunden",
                                            "text": "Zu dieser Adresse gibt es keine Zahlung. Bitte kehren Sie zum "
                                                    "Online-Dienst zurück und starten Sie die Zahlung erneut."}, 404)


def _finished(request: Request, ctx: CheckoutContext) -> Response:
    text = {"PAYED": "Diese Zahlung ist bereits bezahlt.", "FAILED": "Diese Zahlung ist fehlgeschlagen.",
            "CANCELED": "Diese Zahlung wurde abgebrochen."}[ctx.payment.status]
    return render(request, "message.html", {**_common(ctx), "heading": "Zahlung abgeschlossen", "text": text,
                                            "back": flow.back_url(ctx.payment)}, 410)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.get("/checkout/{transaction_id}", name="checkout_page", response_class=HTMLResponse, responses=_PAGES)
async def checkout_page(transaction_id: str, request: Request, session: SessionDep, state: StateDep) -> Response:
    ctx = await flow.context(session, state.runtime, state.base_url, transaction_id)
    if ctx is None:
        return _not_found(request)
    if ctx.payment.status != "INITIAL":
        return _finished(request, ctx)
    options = await flow.choices(ctx)
    usable = [c for c in options if c.reason is None]
    if len(options) == 1 and usable:  # the online service preselected exactly one method
        return RedirectResponse(ctx.url(usable[0].name), status_code=303)
    return render(request, "choose.html", {**_common(ctx), "choices": options, "error": None})


@router.post("/checkout/{transaction_id}", name="checkout_choose", response_class=HTMLResponse, responses=_PAGES)
async def checkout_choose(transaction_id: str, request: Request, session: SessionDep, state: StateDep) -> Response:
    ctx = await flow.context(session, state.runtime, state.base_url, transaction_id)
    if ctx is None:
        return _not_found(request)
    if ctx.payment.status != "INITIAL":
        return _finished(request, ctx)
    form = await _form(request)
    if form.get("action") == "cancel":
        return _answer(request, ctx, await flow.cancel(ctx, None))
    options = {c.name: c for c in await flow.choices(ctx)}
    choice = options.get(form.get("method", ""))
    if choice is None or choice.reason is not None:
        error = choice.reason if choice is not None else "Bitte wählen Sie eine Zahlungsart."
        return render(request, "choose.html", {**_common(ctx), "choices": list(options.values()), "error": error},
                      422)
    return RedirectResponse(ctx.url(choice.name), status_code=303)


async def _adapter_step(request: Request, session: SessionDep, state: StateDep, transaction_id: str, method: str,
                        step: str) -> Response:
    ctx = await flow.context(session, state.runtime, state.base_url, transaction_id)
    if ctx is None:
        return _not_found(request)
    if ctx.payment.status != "INITIAL":
        return _finished(request, ctx)
    adapter = ADAPTERS.get(method)
    options = {c.name: c for c in await flow.choices(ctx)}
    if adapter is None or method not in options:
        return render(request, "message.html", {**_common(ctx), "heading": "Zahlungsart nicht angeboten",
                                                "text": "Diese Zahlungsart wird für diese Zahlung nicht angeboten.",
                                                "back": f"{state.base_url}/checkout/{transaction_id}"}, 404)
    if request.method == "POST":
        form = await _form(request)
        if form.get("action") == "cancel":
            return _answer(request, ctx, await flow.cancel(ctx, method))
    reason = options[method].reason
    if reason is not None:
        return render(request, "message.html", {**_common(ctx), "heading": f"{adapter.label} nicht verfügbar",
                                                "text": reason, "back": f"{state.base_url}/checkout/"
                                                f"{transaction_id}"}, 409)
    if request.method == "POST":
        result = await adapter.submit(ctx, step, form)
    else:
        result = await adapter.show(ctx, step, dict(request.query_params))
    return _answer(request, ctx, await flow.settle(ctx, method, result), method)


@router.get("/checkout/{transaction_id}/{method}", name="checkout_method_page", response_class=HTMLResponse,
            responses=_PAGES)
async def checkout_method_page(transaction_id: str, method: str, request: Request, session: SessionDep,
                               state: StateDep) -> Response:
    """The method's first page (its form, or where it sends the user)."""
    return await _adapter_step(request, session, state, transaction_id, method, "")


@router.post("/checkout/{transaction_id}/{method}", name="checkout_method_submit", response_class=HTMLResponse,
             responses=_PAGES)
async def checkout_method_submit(transaction_id: str, method: str, request: Request, session: SessionDep,
                                 state: StateDep) -> Response:
    return await _adapter_step(request, session, state, transaction_id, method, "")


@router.get("/checkout/{transaction_id}/{method}/{step}", name="checkout_step_page", response_class=HTMLResponse,
            responses=_PAGES)
async def checkout_step_page(transaction_id: str, method: str, step: str, request: Request, session: SessionDep,
                             state: StateDep) -> Response:
    """A later step of a method (3-D Secure challenge, the bank's approval, PayPal's return)."""
    return await _adapter_step(request, session, state, transaction_id, method, step)


@router.post("/checkout/{transaction_id}/{method}/{step}", name="checkout_step_submit", response_class=HTMLResponse,
             responses=_PAGES)
async def checkout_step_submit(transaction_id: str, method: str, step: str, request: Request, session: SessionDep,
                               state: StateDep) -> Response:
    return await _adapter_step(request, session, state, transaction_id, method, step)
