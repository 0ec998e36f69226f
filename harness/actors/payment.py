"""Paying for a Leistung: the online service creates an XBezahldienste paymentRequest, the citizen pays through the
hosted checkout with a test card or another method, and the online service pulls the status, as in production.

Test cards (the Bezahlplattform's, as Stripe's): ``4242424242424242`` pays, ``4000002500003155`` asks for
3-D Secure (the actor completes it), ``4000000000000002`` is declined. ``amount`` is decimal euros, as
``grosAmount`` is in the standard.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from harness.actors.browser import Browser, Page, PageError
from harness.actors.clock import suite_now

PAYMENTS = "/bezahlplattform/paymenttransaction"
TEST_CARD = "4242424242424242"
RETURN_URL = "https://onlinedienst.example/zahlung/zurueck"


@dataclass(frozen=True)
class OnlineService:
    """An originator's online service at one endpoint (an authority), with its HTTP Basic credentials; the seeded
    ones are listed under ``bezahlplattform.originators`` in ``/_emulator/seed``."""

    originator_id: str
    endpoint_id: str
    username: str
    password: str

    @classmethod
    def seeded(cls, seed: dict[str, Any], originator_id: str, endpoint_id: str | None = None) -> "OnlineService":
        originator = next(o for o in seed["bezahlplattform"]["originators"] if o["originatorId"] == originator_id)
        endpoint = endpoint_id or originator["endpoints"][0]["endpointId"]
        return cls(originator_id, endpoint, originator["basic"]["username"], originator["basic"]["password"])

    @property
    def collection(self) -> str:
        return f"{PAYMENTS}/{self.originator_id}/{self.endpoint_id}"

    def create(self, http: httpx.Client, amount: Decimal | str, *, purpose: str = "Gebühr",
               redirect_url: str = RETURN_URL, booking: dict[str, str] | None = None,
               **extra: Any) -> dict[str, Any]:
        """A paymentRequest with one item; answers the PaymentTransaction (``paymentInformation`` holds
        ``transactionId`` and ``transactionRedirectUrl``)."""
        euros = float(Decimal(str(amount)))
        body = {"requestId": uuid.uuid4().hex[:32],
                "requestTimestamp": suite_now(http).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "currency": "EUR", "grosAmount": euros, "purpose": purpose, "redirectUrl": redirect_url,
                "items": [{"id": "1", "description": purpose, "quantity": 1, "taxRate": 0, "totalNetAmount": euros,
                           "totalTaxAmount": 0, "singleNetAmount": euros, "singleTaxAmount": 0,
                           "bookingData": booking or {"Haushaltsstelle": "1.2.2.01.431100", "Objektnummer": "4711"}}],
                **extra}
        answer = http.post(self.collection, json=body, auth=(self.username, self.password))
        if answer.status_code not in (200, 201):
            raise PageError(f"paymentRequest refused: {answer.status_code} {answer.text[:300]}")
        return answer.json()  # type: ignore[no-any-return]

    def status(self, http: httpx.Client, transaction_id: str) -> dict[str, Any]:
        answer = http.get(f"{self.collection}/{transaction_id}", auth=(self.username, self.password))
        answer.raise_for_status()
        return answer.json()  # type: ignore[no-any-return]


def pay(http: httpx.Client, redirect_url: str, *, method: str = "creditcard", card: str = TEST_CARD,
        holder: str = "Erika Mustermann", iban: str = "DE89370400440532013000",
        authenticate: bool = True) -> dict[str, str]:
    """Pay at the hosted checkout; answers the query the browser brings back to the online service's redirectUrl
    (``status`` among others). Methods: ``creditcard``, ``sepa``, ``paypal``, ``transfer``."""
    browser = Browser(http)
    page = browser.open(redirect_url)
    offered = {c.value: c for c in page.choices("method")}
    if method not in offered or offered[method].disabled:
        raise PageError(f"the checkout does not offer {method!r}: "
                        + ", ".join(f"{v}{' (' + c.hint + ')' if c.disabled else ''}" for v, c in offered.items()))
    page = browser.submit(page, {"method": method, "action": "choose"})
    if method == "creditcard":
        page = browser.submit(page, {"holder": holder, "number": card, "expiry": "12/34", "cvc": "123",
                                     "action": "pay"})
        if page.document.xpath('//button[@name="result"]'):  # 3-D Secure challenge
            page = browser.submit(page, {"result": "authenticated" if authenticate else "failed"})
    elif method == "sepa":
        page = browser.submit(page, {"holder": holder, "iban": iban, "mandate": "yes", "action": "pay"})
    elif method == "paypal":
        page = browser.submit(page, {"action": "paypal"})
        page = browser.submit(page, {"action": "approve"})
    elif method == "transfer":
        page = browser.submit(page, {"action": "transfer"})
    return _back(page)


def _back(page: Page) -> dict[str, str]:
    if page.status_code not in (302, 303):
        raise PageError(f"the checkout did not send the browser back: {page.status_code} {page.message()}")
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
