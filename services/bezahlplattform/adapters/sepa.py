"""SEPA-Lastschrift: the payer gives IBAN and account holder and grants a mandate (reference and date recorded);
the IBAN is checked (length per country, MOD 97)."""

import secrets

from services.bezahlplattform.adapters import iban as ibans
from services.bezahlplattform.adapters.base import Answer, CheckoutContext, Finish, Page, PaymentAdapter
from services.bezahlplattform.models import SepaMandate

CREDITOR_ID = "DE98ZZZ09999999999"  # the test creditor identifier used by the Deutsche Bundesbank's examples


class SepaAdapter(PaymentAdapter):
    name = "sepa"
    label = "SEPA-Lastschrift"
    hint = "Der Betrag wird von Ihrem Konto eingezogen"
    payment_method = "OTHER"
    method_detail = "SEPA-Lastschrift"

    def _page(self, ctx: CheckoutContext, values: dict[str, str], errors: dict[str, str], status: int = 200) -> Page:
        return Page("sepa.html", {"values": values, "errors": errors, "creditor_id": CREDITOR_ID}, status)

    async def show(self, ctx: CheckoutContext, step: str, query: dict[str, str]) -> Answer:
        return self._page(ctx, {}, {})

    async def submit(self, ctx: CheckoutContext, step: str, form: dict[str, str]) -> Answer:
        holder = form.get("holder", "").strip()
        iban = ibans.normalise(form.get("iban", ""))
        errors: dict[str, str] = {}
        if not holder or len(holder) > 70:
            errors["holder"] = "Bitte geben Sie den Namen der Kontoinhaberin oder des Kontoinhabers ein."
        if (reason := ibans.problem(iban)) is not None:
            errors["iban"] = reason
        if form.get("mandate") != "yes":
            errors["mandate"] = "Ohne Ihr SEPA-Lastschriftmandat kann der Betrag nicht eingezogen werden."
        if errors:
            return self._page(ctx, {"holder": holder, "iban": form.get("iban", "")}, errors, 422)
        reference = f"BP-{ctx.payment.kassenzeichen}-{secrets.token_hex(3).upper()}"[:35]
        ctx.session.add(SepaMandate(reference=reference, payment_id=ctx.payment.id, iban=iban,
                                    account_holder=holder, signed_at=ctx.now))
        return Finish("PAYED", f"Mandat {reference}, IBAN {ibans.masked(iban)}", "SEPA-Lastschrift")


ADAPTER = SepaAdapter()
