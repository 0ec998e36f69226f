"""The hosted checkout's logic between pages and adapters: which methods the user may choose, and what an adapter's
answer does (show a page, redirect, end the payment through a conditional state change, or leave it open)."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession

from kit.service import ServiceRuntime
from services.bezahlplattform import audit, emulation
from services.bezahlplattform.adapters.base import Answer, CheckoutContext, Finish, KeepOpen, Page, Redirect
from services.bezahlplattform.adapters.registry import ADAPTERS
from services.bezahlplattform.models import Endpoint, Payment
from services.bezahlplattform.transactions import repository, transitions

# A preselected XBezahldienste paymentMethod narrows the choice to these adapters.
PRESELECTION: dict[str, list[str]] = {
    "CREDITCARD": ["creditcard"], "PAYPAL": ["paypal"], "GIROPAY": ["giropay"], "PAYDIRECT": ["giropay"],
    "OTHER": ["sepa", "transfer"],
}


@dataclass
class Choice:
    name: str
    label: str
    hint: str
    reason: str | None  # why it cannot be chosen now, or None


async def choices(ctx: CheckoutContext) -> list[Choice]:
    controls = await emulation.all_controls(ctx.session)
    offered = [m for m in ctx.endpoint.methods if m in ADAPTERS]
    preselected = ctx.payment.payment_request.get("paymentMethod")
    if preselected in PRESELECTION:
        offered = [m for m in offered if m in PRESELECTION[preselected]]
    out = []
    for name in offered:
        adapter = ADAPTERS[name]
        control = controls.get(name)
        reason = adapter.unavailable_reason(ctx)
        if reason is None and control is not None and not control.available:
            reason = f"{adapter.label} ist derzeit nicht verfügbar. Bitte wählen Sie eine andere Zahlungsart."
        out.append(Choice(name, adapter.label, adapter.hint, reason))
    return out


def back_url(payment: Payment) -> str:
    """The online service's redirectUrl with the transaction id and final status added to its query."""
    parts = urlsplit(payment.redirect_url)
    extra = urlencode({"transactionId": payment.id, "status": payment.status})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


async def settle(ctx: CheckoutContext, adapter_name: str, answer: Answer) -> Page | Redirect:
    """Turn an adapter's answer into what the browser gets."""
    if isinstance(answer, Page | Redirect):
        return answer
    adapter = ADAPTERS[adapter_name]
    payment = ctx.payment
    if isinstance(answer, Finish):
        updated = await transitions.conclude(
            ctx.session, ctx.runtime, ctx.base_url, payment, adapter=adapter_name, status=answer.status,
            detail=answer.detail, actor=f"checkout:{adapter_name}", payment_method=adapter.payment_method,
            payment_method_detail=answer.method_detail or adapter.method_detail)
    else:
        assert isinstance(answer, KeepOpen)
        updated = await repository.update_if(
            ctx.session, payment.id, adapter=adapter_name, payment_method=adapter.payment_method,
            payment_method_detail=adapter.method_detail, status_detail=answer.detail, updated_at=ctx.now)
        if updated is not None:
            await audit.record(ctx.session, now=ctx.now, event="payment.awaiting_transfer",
                               actor=f"checkout:{adapter_name}", payment_id=payment.id, from_status="INITIAL",
                               to_status="INITIAL")
    final = updated or await repository.get(ctx.session, payment.id)
    assert final is not None
    return Redirect(back_url(final))


async def cancel(ctx: CheckoutContext, adapter_name: str | None) -> Redirect:
    adapter = ADAPTERS.get(adapter_name or "")
    values: dict[str, Any] = {}
    if adapter is not None:
        values = {"adapter": adapter.name, "payment_method": adapter.payment_method,
                  "payment_method_detail": adapter.method_detail}
    updated = await transitions.finish(ctx.session, ctx.runtime, ctx.base_url, ctx.payment.id, status="CANCELED",
                                       detail="Abbruch durch Nutzer", actor="checkout:user", **values)
    final = updated or await repository.get(ctx.session, ctx.payment.id)
    assert final is not None
    return Redirect(back_url(final))


async def context(session: AsyncSession, runtime: ServiceRuntime, base_url: str,
                  payment_id: str) -> CheckoutContext | None:
    payment = await repository.get(session, payment_id)
    if payment is None:
        return None
    endpoint = await session.get(Endpoint, (payment.originator_id, payment.endpoint_id))
    if endpoint is None:
        return None
    return CheckoutContext(session=session, runtime=runtime, base_url=base_url, payment=payment, endpoint=endpoint)
