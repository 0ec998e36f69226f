"""PayPal on the hosted checkout: the platform creates an Orders v2 order, sends the buyer to its approve page, and
captures the order when PayPal sends the buyer back (``return``), or records the cancel (``cancel``)."""

from services.bezahlplattform.adapters.base import Answer, CheckoutContext, Finish, Page, PaymentAdapter, Redirect
from services.bezahlplattform.paypal import service as orders


class PaypalAdapter(PaymentAdapter):
    name = "paypal"
    label = "PayPal"
    hint = "Bezahlen mit Ihrem PayPal-Konto"
    payment_method = "PAYPAL"
    method_detail = "PayPal"

    async def show(self, ctx: CheckoutContext, step: str, query: dict[str, str]) -> Answer:
        if step in ("return", "cancel"):
            order = await orders.get(ctx.session, query.get("token", ""))
            if order is None or order.payment_id != ctx.payment.id:
                return Page("message.html", {"heading": "PayPal-Bestellung unbekannt",
                                             "text": "PayPal hat eine unbekannte Bestellung zurückgemeldet."}, 400)
            if step == "cancel":
                await orders.void(ctx.session, ctx.runtime, order)
                return Finish("CANCELED", "Abbruch bei PayPal", "PayPal")
            captured = await orders.capture(ctx.session, ctx.runtime, order, request_id=f"checkout-{order.id}")
            return Finish("PAYED", f"PayPal-Capture {captured.capture_id}", "PayPal")
        return Page("paypal.html", {})

    async def submit(self, ctx: CheckoutContext, step: str, form: dict[str, str]) -> Answer:
        payment = ctx.payment
        order, _ = await orders.create(
            ctx.session, ctx.runtime, client="checkout", request_id=f"checkout-{payment.id}", intent="CAPTURE",
            cents=payment.gros_amount_cents,
            units=[{"reference_id": payment.kassenzeichen, "description": payment.purpose,
                    "invoice_id": payment.kassenzeichen,
                    "amount": {"currency_code": "EUR", "value": f"{payment.gros_amount_cents / 100:.2f}"}}],
            return_url=ctx.url(self.name, "return"), cancel_url=ctx.url(self.name, "cancel"), payment_id=payment.id)
        if order.status not in ("CREATED", "PAYER_ACTION_REQUIRED"):
            return Page("message.html", {"heading": "PayPal-Bestellung abgeschlossen",
                                         "text": "Diese PayPal-Bestellung ist bereits abgeschlossen."}, 409)
        return Redirect(orders.approve_url(ctx.base_url, order))


ADAPTER = PaypalAdapter()
