"""Signed webhooks for every state change, checked by an independent receiver that verifies signatures and dedupes:
delivery, retries with backoff after receiver failures and injected faults, a changed secret, and the developer
list of webhooks with their attempts."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.bezahlplattform.checkout_tools import Checkout, back
from tests.bezahlplattform.conftest import KOBLENZ
from tests.bezahlplattform.webhook_receiver import WebhookReceiver
from tests.bezahlplattform.xbd_client import XBezahldiensteClient, basic

SECRET = "whsec_stadtwerk_test_4711"
CARD = {"holder": "Erika Mustermann", "expiry": "12/34", "cvc": "123", "action": "pay"}


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    hook = WebhookReceiver(SECRET)
    await hook.start()
    yield hook
    await hook.stop()


async def register(http: httpx.AsyncClient, webhook_url: str, originator: str = "sondernutzung") -> \
        XBezahldiensteClient:
    """A new online service with a webhook, registered through the control API."""
    response = await http.post("/_emulator/originators", json={
        "originatorId": originator, "name": "Sondernutzungserlaubnis", "basicUsername": f"{originator}-user",
        "basicPassword": f"{originator}-passwort", "webhookUrl": webhook_url, "webhookSecret": SECRET,
        "endpoints": [{"endpointId": KOBLENZ, "name": "Stadt Koblenz", "serviceName": "Sondernutzungserlaubnis",
                       "kassenzeichenPrefix": "712", "bookingDefaults": {"Haushaltsstelle": "5.4.1.01.431100"},
                       "requiredBookingKeys": ["Haushaltsstelle"]}]})
    assert response.status_code == 201, response.text
    return XBezahldiensteClient(http, "", originator, KOBLENZ, basic(f"{originator}-user", f"{originator}-passwort"))


async def pay_by_card(api: XBezahldiensteClient, number: str = "4242424242424242") -> str:
    created = await api.create(amount=30.0, items=[])
    info = created["paymentInformation"]
    checkout = Checkout(api.http, info["transactionRedirectUrl"])
    back(await checkout.pay_with("creditcard", {**CARD, "number": number}))
    return info["transactionId"]


async def settled_webhooks(http: httpx.AsyncClient, transaction: str) -> list[dict[str, Any]]:
    """The transaction's webhooks from the developer list, once none is pending any more."""
    for _ in range(100):
        listed = (await http.get("/_emulator/webhooks")).json()
        mine = [w for w in listed
                if w["payload"]["data"]["object"]["paymentInformation"]["transactionId"] == transaction]
        if mine and all(w["status"] != "pending" for w in mine):
            return mine
        await asyncio.sleep(0.1)
    raise AssertionError(f"webhooks still pending: {mine}")


async def test_every_state_change_is_a_signed_webhook(bp: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
    api = await register(bp, receiver.url)
    paid = await pay_by_card(api)
    failed = await pay_by_card(api, "4000000000000002")
    await receiver.wait_for(lambda r: len(r.events) == 4)
    # No ordering guarantee between events (as at Stripe): compare what arrived, not the order.
    assert sorted(receiver.for_transaction(paid)) == ["payment.created", "payment.payed"]
    assert sorted(receiver.for_transaction(failed)) == ["payment.created", "payment.failed"]
    event = receiver.of_type("payment.payed")[0]
    assert event["id"].startswith("evt_") and event["originatorId"] == "sondernutzung"
    assert event["data"]["object"]["paymentInformation"]["status"] == "PAYED"
    assert receiver.rejected == 0
    refund = await api.refund(paid, "10.00")
    assert refund.status_code == 201, refund.text
    await receiver.wait_for(lambda r: len(r.of_type("payment.refunded")) == 1)
    assert receiver.of_type("payment.refunded")[0]["data"]["object"]["refund"]["refundedAmount"] == 10


async def test_failed_deliveries_are_retried_with_backoff(bp: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
    api = await register(bp, receiver.url)
    receiver.fail_with = 503
    transaction = await pay_by_card(api)
    await receiver.wait_for(lambda r: r.deliveries >= 3)
    receiver.fail_with = None
    await receiver.wait_for(lambda r: len(r.for_transaction(transaction)) == 2, timeout=30)
    mine = await settled_webhooks(bp, transaction)
    assert {w["status"] for w in mine} == {"delivered"}
    retried = max(mine, key=lambda w: w["attempts"])
    assert retried["attempts"] >= 2
    codes = [a["statusCode"] for a in retried["attemptLog"]]
    assert codes[0] == 503 and codes[-1] == 204
    # Backoff: the attempts are spread out, not fired back to back.
    assert retried["attemptLog"][0]["at"] < retried["attemptLog"][-1]["at"]


async def test_injected_webhook_fault_then_delivery(bp: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
    api = await register(bp, receiver.url)
    fault = await bp.post("/_emulator/webhooks/faults", json={"status": 500, "times": 2})
    assert fault.status_code == 201
    transaction = await pay_by_card(api)
    await receiver.wait_for(lambda r: len(r.for_transaction(transaction)) == 2, timeout=30)
    listed = await settled_webhooks(bp, transaction)
    errors = [a["error"] for w in listed for a in w["attemptLog"] if a["error"]]
    assert len(errors) == 2 and all("Fault injected" in e or "failed by the emulator" in e for e in errors)


async def test_signature_uses_the_current_secret(bp: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
    api = await register(bp, receiver.url)
    patched = await bp.patch("/_emulator/originators/sondernutzung", json={"webhookSecret": "whsec_neu_12345"})
    assert patched.status_code == 200
    await api.create(amount=30.0, items=[])
    await receiver.wait_for(lambda r: r.rejected >= 1)
    assert not receiver.events  # forged in the receiver's eyes: refused, retried later
    receiver.secret = "whsec_neu_12345"
    await receiver.wait_for(lambda r: len(r.events) == 1, timeout=30)


async def test_a_webhook_fault_that_does_nothing_is_refused(bp: httpx.AsyncClient) -> None:
    refused = await bp.post("/_emulator/webhooks/faults", json={"times": 1})
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert (await bp.get("/_emulator/faults")).json() == []
