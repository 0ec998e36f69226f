"""Credit card through an emulated PSP, with Stripe's well-known test numbers: 4242… succeeds, 4000002500003155
asks for a 3-D Secure challenge on its own page, the 4000… decline numbers fail with their decline reason."""

import re
from typing import Any

from services.bezahlplattform.adapters.base import (
    Answer,
    CheckoutContext,
    Finish,
    Page,
    PaymentAdapter,
    Redirect,
)
from services.bezahlplattform.kasse.kassenzeichen import luhn_valid

THREE_DS = "4000002500003155"
DECLINES: dict[str, str] = {
    "4000000000000002": "card_declined: generic_decline",
    "4000000000009995": "card_declined: insufficient_funds",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
    "4000000000000341": "card_declined: charge failed after the card was attached",
}
DECLINE_TEXT: dict[str, str] = {
    "4000000000000002": "Die Karte wurde abgelehnt.",
    "4000000000009995": "Die Karte ist nicht ausreichend gedeckt.",
    "4000000000000069": "Die Karte ist abgelaufen.",
    "4000000000000127": "Die Kartenprüfnummer (CVC) ist falsch.",
    "4000000000000119": "Bei der Verarbeitung der Karte ist ein Fehler aufgetreten.",
    "4000000000000341": "Die Belastung der Karte ist fehlgeschlagen.",
}


def brand(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "Mastercard"
    if number[:2] in {"34", "37"}:
        return "American Express"
    return "Karte"


class CardAdapter(PaymentAdapter):
    name = "creditcard"
    label = "Kreditkarte"
    hint = "Visa, Mastercard, American Express, mit 3-D Secure"
    payment_method = "CREDITCARD"

    async def show(self, ctx: CheckoutContext, step: str, query: dict[str, str]) -> Answer:
        if step == "":
            return Page("creditcard.html", {"values": {}, "errors": {}})
        if step == "challenge":
            if not (ctx.payment.checkout_state or {}).get("challenge"):
                return Page("message.html", {"heading": "Keine Prüfung offen",
                                             "text": "Für diese Zahlung ist keine 3-D-Secure-Prüfung offen."}, 409)
            return Page("challenge.html", {"last4": ctx.payment.checkout_state.get("last4")})
        return Page("message.html", {"heading": "Seite nicht gefunden", "text": "Diese Seite gibt es nicht."}, 404)

    async def submit(self, ctx: CheckoutContext, step: str, form: dict[str, str]) -> Answer:
        if step == "challenge":
            state = ctx.payment.checkout_state or {}
            if not state.get("challenge"):
                return await self.show(ctx, step, {})
            ctx.remember(challenge=False)
            detail = f"{state.get('brand', 'Karte')} •••• {state.get('last4')}"
            if form.get("result") == "authenticated":
                return Finish("PAYED", "3-D Secure: authentifiziert", detail)
            return Finish("FAILED", "payment_intent_authentication_failure: 3-D Secure abgelehnt", detail)
        if step != "":
            return await self.show(ctx, step, {})
        values, errors = self._validate(ctx, form)
        if errors:
            return Page("creditcard.html", {"values": values, "errors": errors}, 422)
        number = values["number"]
        detail = f"{brand(number)} •••• {number[-4:]}"
        if number == THREE_DS:
            ctx.remember(challenge=True, last4=number[-4:], brand=brand(number))
            return Redirect(ctx.url(self.name, "challenge"))
        if number in DECLINES:
            return Finish("FAILED", DECLINES[number], detail)
        return Finish("PAYED", "autorisiert und gebucht", detail)

    def _validate(self, ctx: CheckoutContext, form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        number = re.sub(r"[\s-]", "", form.get("number", ""))
        expiry = form.get("expiry", "").strip()
        cvc = form.get("cvc", "").strip()
        holder = form.get("holder", "").strip()
        errors: dict[str, str] = {}
        if not holder or len(holder) > 70:
            errors["holder"] = "Bitte geben Sie den Namen auf der Karte ein."
        if not (12 <= len(number) <= 19 and luhn_valid(number)):
            errors["number"] = "Die Kartennummer ist ungültig. Bitte prüfen Sie die Eingabe."
        match = re.fullmatch(r"(\d{2})\s*/\s*(\d{2})", expiry)
        if not match or not 1 <= int(match.group(1)) <= 12:
            errors["expiry"] = "Bitte geben Sie das Ablaufdatum als MM/JJ ein."
        else:
            month, year = int(match.group(1)), 2000 + int(match.group(2))
            now = ctx.now
            if (year, month) < (now.year, now.month):
                errors["expiry"] = "Die Karte ist laut Ablaufdatum nicht mehr gültig."
        if not re.fullmatch(r"\d{3,4}", cvc):
            errors["cvc"] = "Die Kartenprüfnummer hat drei oder vier Ziffern."
        return {"number": number, "expiry": expiry, "holder": holder}, errors


ADAPTER = CardAdapter()
