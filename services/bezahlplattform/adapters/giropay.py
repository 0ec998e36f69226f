"""giropay (GiroCheckout): ended on 31.12.2024. Payments dated later by the emulator clock are refused with a clear
message; earlier dates walk the bank's approval page (``gcResultPayment=4000`` means success)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from services.bezahlplattform.adapters.base import Answer, CheckoutContext, Finish, Page, PaymentAdapter, Redirect

BERLIN = ZoneInfo("Europe/Berlin")
LAST_DAY = dt.date(2024, 12, 31)
ENDED = ("giropay wurde zum 31.12.2024 eingestellt. Zahlungen mit giropay sind seitdem nicht mehr möglich. "
         "Bitte wählen Sie eine andere Zahlungsart.")


class GiropayAdapter(PaymentAdapter):
    name = "giropay"
    label = "giropay"
    hint = "Online-Überweisung über Ihr Online-Banking"
    payment_method = "GIROPAY"
    method_detail = "giropay"

    def unavailable_reason(self, ctx: CheckoutContext) -> str | None:
        return ENDED if ctx.now.astimezone(BERLIN).date() > LAST_DAY else None

    async def show(self, ctx: CheckoutContext, step: str, query: dict[str, str]) -> Answer:
        if (reason := self.unavailable_reason(ctx)) is not None:
            return Page("message.html", {"heading": "giropay nicht mehr verfügbar", "text": reason,
                                         "back": f"{ctx.base_url}/checkout/{ctx.payment.id}"}, 410)
        if step == "":
            return Page("giropay.html", {"errors": {}, "bic": ""})
        if step == "bank" and (ctx.payment.checkout_state or {}).get("bic"):
            return Page("giropay_bank.html", {"bic": ctx.payment.checkout_state["bic"]})
        return Redirect(ctx.url(self.name))

    async def submit(self, ctx: CheckoutContext, step: str, form: dict[str, str]) -> Answer:
        if self.unavailable_reason(ctx) is not None:
            return await self.show(ctx, step, {})
        if step == "":
            bic = form.get("bic", "").strip().upper()
            if not re.fullmatch(r"[A-Z]{4}DE[A-Z0-9]{2}([A-Z0-9]{3})?", bic):
                return Page("giropay.html", {"errors": {"bic": "Bitte geben Sie die BIC einer deutschen Bank ein "
                                                                "(8 oder 11 Zeichen, z. B. GENODEF1S04)."},
                                             "bic": bic}, 422)
            ctx.remember(bic=bic)
            return Redirect(ctx.url(self.name, "bank"))
        if step == "bank":
            if form.get("result") == "approve":
                return Finish("PAYED", "gcResultPayment=4000 (Zahlung erfolgreich)", "giropay")
            return Finish("FAILED", "gcResultPayment=4502 (von der Bank abgelehnt)", "giropay")
        return Redirect(ctx.url(self.name))


ADAPTER = GiropayAdapter()
