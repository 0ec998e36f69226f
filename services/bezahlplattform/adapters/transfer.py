"""Überweisung with Kassenzeichen: the page shows the Kasse's account and the Kassenzeichen as Verwendungszweck;
the payment stays INITIAL until a bank statement (camt.053) with that Kassenzeichen and amount is imported."""

from services.bezahlplattform.adapters.base import Answer, CheckoutContext, KeepOpen, Page, PaymentAdapter


class TransferAdapter(PaymentAdapter):
    name = "transfer"
    label = "Überweisung"
    hint = "Sie überweisen selbst; die Zahlung gilt als eingegangen, sobald die Kasse sie verbucht"
    payment_method = "OTHER"
    method_detail = "Überweisung"

    async def show(self, ctx: CheckoutContext, step: str, query: dict[str, str]) -> Answer:
        return Page("transfer.html", {})

    async def submit(self, ctx: CheckoutContext, step: str, form: dict[str, str]) -> Answer:
        return KeepOpen("Überweisung angekündigt; offen bis zum Zahlungseingang")


ADAPTER = TransferAdapter()
