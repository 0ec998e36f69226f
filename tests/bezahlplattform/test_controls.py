"""Emulator controls: a method made unavailable, forced next outcomes, and status progressions as data (manual,
after N reads, after time on the kit clock)."""

import asyncio

import httpx

from tests.bezahlplattform.checkout_tools import Checkout, back
from tests.bezahlplattform.xbd_client import XBezahldiensteClient

CARD = {"holder": "Erika Mustermann", "number": "4242424242424242", "expiry": "12/34", "cvc": "123", "action": "pay"}


async def card_payment(api: XBezahldiensteClient) -> tuple[str, str]:
    """Pay by card; the transaction id and the status the browser came back with."""
    info = (await api.create())["paymentInformation"]
    answer = back(await Checkout(api.http, info["transactionRedirectUrl"]).pay_with("creditcard", CARD))
    return info["transactionId"], answer["status"]


async def test_method_unavailable(parking: XBezahldiensteClient, bp: httpx.AsyncClient) -> None:
    assert (await bp.patch("/_emulator/methods/paypal", json={"available": False})).status_code == 200
    info = (await parking.create())["paymentInformation"]
    checkout = Checkout(bp, info["transactionRedirectUrl"])
    page = await bp.get(checkout.url)
    assert "PayPal ist derzeit nicht verfügbar" in page.text
    assert (await checkout.choose("paypal")).status_code == 422
    methods = {m["method"]: m for m in (await bp.get("/_emulator/methods")).json()}
    assert methods["paypal"]["available"] is False and methods["creditcard"]["available"] is True
    assert (await bp.patch("/_emulator/methods/bitcoin", json={"available": False})).status_code == 404


async def test_forced_next_outcome(parking: XBezahldiensteClient, bp: httpx.AsyncClient) -> None:
    forced = await bp.post("/_emulator/methods/creditcard/next-outcome",
                           json={"status": "FAILED", "statusDetail": "card_declined: do_not_honor"})
    assert forced.status_code == 201
    transaction, status = await card_payment(parking)
    assert status == "FAILED"
    assert (await parking.status(transaction))["statusDetail"] == "card_declined: do_not_honor"
    assert (await card_payment(parking))[1] == "PAYED"  # used once


async def test_manual_progression(parking: XBezahldiensteClient, bp: httpx.AsyncClient) -> None:
    await bp.patch("/_emulator/methods/creditcard", json={"progression": "manual"})
    transaction, status = await card_payment(parking)
    assert status == "INITIAL"
    assert (await parking.status(transaction))["status"] == "INITIAL"
    progressed = await bp.post(f"/_emulator/payments/{transaction}/progress")
    assert progressed.status_code == 200
    assert (await parking.status(transaction))["status"] == "PAYED"
    assert (await bp.post(f"/_emulator/payments/{transaction}/progress")).status_code == 409


async def test_progression_after_reads(parking: XBezahldiensteClient, bp: httpx.AsyncClient) -> None:
    await bp.patch("/_emulator/methods/creditcard", json={"progression": "manual", "afterReads": 2})
    transaction, _ = await card_payment(parking)
    assert (await parking.status(transaction))["status"] == "INITIAL"
    assert (await parking.status(transaction))["status"] == "PAYED"


async def test_progression_after_time(parking: XBezahldiensteClient, bp: httpx.AsyncClient) -> None:
    await bp.patch("/_emulator/methods/creditcard", json={"progression": "time", "afterSeconds": 600})
    transaction, status = await card_payment(parking)
    assert status == "INITIAL"
    await bp.post("/_emulator/clock", json={"advance": "PT9M"})
    await asyncio.sleep(1.0)
    assert (await parking.status(transaction))["status"] == "INITIAL"
    await bp.post("/_emulator/clock", json={"advance": "PT2M"})
    for _ in range(100):  # the persisted progression fires from the outbox without anyone reading
        listed = (await bp.get("/_emulator/outbox")).json()
        if any(m["channel"] == "bp-progress" and m["status"] == "delivered" for m in listed):
            break
        await asyncio.sleep(0.1)
    assert (await parking.status(transaction))["status"] == "PAYED"


async def test_reset_restores_the_seed(parking: XBezahldiensteClient, bp: httpx.AsyncClient) -> None:
    transaction, _ = await card_payment(parking)
    registered = await bp.post("/_emulator/originators", json={
        "originatorId": "wochenmarkt", "name": "Wochenmarkt", "basicUsername": "wochenmarkt",
        "basicPassword": "wochenmarkt-passwort"})
    assert registered.status_code == 201
    await bp.patch("/_emulator/methods/paypal", json={"available": False})
    assert (await bp.post("/_emulator/reset")).status_code == 200
    assert (await parking.status_raw(transaction)).status_code == 404
    originators = {o["originatorId"] for o in (await bp.get("/_emulator/originators")).json()}
    assert "wochenmarkt" not in originators and "bewohnerparkausweis" in originators
    assert all(m["available"] for m in (await bp.get("/_emulator/methods")).json())
    # The seeded credentials work again at once (the credential cache was refreshed).
    assert (await parking.create())["paymentInformation"]["status"] == "INITIAL"
