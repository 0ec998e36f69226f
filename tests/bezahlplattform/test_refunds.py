"""Money rules: partial and full refunds, never more than was captured (also under 20 concurrent refunds, on SQLite
and PostgreSQL), cancellations of open payments, and the append-only audit log."""

import asyncio

import httpx
import pytest
from sqlalchemy import text

from tests.bezahlplattform.checkout_tools import Checkout, back
from tests.bezahlplattform.xbd_client import XBezahldiensteClient, check_problem

CARD = {"holder": "Erika Mustermann", "number": "4242424242424242", "expiry": "12/34", "cvc": "123", "action": "pay"}


async def paid(api: XBezahldiensteClient, amount: float = 30.0) -> str:
    created = await api.create(amount=amount)
    info = created["paymentInformation"]
    assert back(await Checkout(api.http, info["transactionRedirectUrl"]).pay_with("creditcard", CARD))[
        "status"] == "PAYED"
    return info["transactionId"]


async def test_partial_then_full_refund(parking: XBezahldiensteClient) -> None:
    transaction = await paid(parking, 30.0)
    first = await parking.refund(transaction, "10.50")
    assert first.status_code == 201, first.text
    assert first.json()["amount"] == 10.5 and first.json()["refundId"].startswith("re_")
    too_much = await parking.refund(transaction, "19.51")
    body = check_problem(too_much, "UNSPECIFIED", 409)
    assert body["refundableAmount"] == 19.5 and body["type"].endswith("refund-exceeds-captured")
    rest = await parking.refund(transaction)  # no amount: everything left
    assert rest.status_code == 201 and rest.json()["amount"] == 19.5
    check_problem(await parking.refund(transaction), "UNSPECIFIED", 409)
    listed = await parking.http.get(f"{parking.collection}/{transaction}/refunds", headers=parking.auth)
    assert [r["amount"] for r in listed.json()] == [10.5, 19.5]
    assert (await parking.status(transaction))["status"] == "PAYED"


async def test_refund_input_and_state_rules(parking: XBezahldiensteClient) -> None:
    open_payment = (await parking.create())["paymentInformation"]["transactionId"]
    check_problem(await parking.refund(open_payment, "1.00"), "UNSPECIFIED", 409)
    transaction = await paid(parking)
    for bad in ("1.001", "-1", "0"):
        check_problem(await parking.refund(transaction, bad), "VALIDATION_ERROR", 400)


async def test_cancel_open_payment_only(parking: XBezahldiensteClient) -> None:
    transaction = (await parking.create())["paymentInformation"]["transactionId"]
    canceled = await parking.cancel(transaction)
    assert canceled.status_code == 200 and canceled.json()["paymentInformation"]["status"] == "CANCELED"
    check_problem(await parking.cancel(transaction), "UNSPECIFIED", 409)
    check_problem(await parking.cancel(await paid(parking)), "UNSPECIFIED", 409)


async def test_twenty_concurrent_refunds_never_over_refund(parking: XBezahldiensteClient) -> None:
    transaction = await paid(parking, 30.0)
    answers = await asyncio.gather(*(parking.refund(transaction, "4.00") for _ in range(20)))
    statuses = [a.status_code for a in answers]
    assert statuses.count(201) == 7 and statuses.count(409) == 13, statuses
    listed = await parking.http.get(f"{parking.collection}/{transaction}/refunds", headers=parking.auth)
    assert sum(r["amount"] for r in listed.json()) == 28
    # The 2.00 left can still be refunded, and then nothing more.
    assert (await parking.refund(transaction)).json()["amount"] == 2
    check_problem(await parking.refund(transaction, "0.01"), "UNSPECIFIED", 409)


async def test_audit_log_is_append_only(parking: XBezahldiensteClient, bp_app: object) -> None:
    transaction = await paid(parking)
    await parking.refund(transaction, "5.00")
    trail = await parking.http.get(f"{parking.collection}/{transaction}/audit", headers=parking.auth)
    assert [e["event"] for e in trail.json()] == ["payment.created", "payment.payed", "payment.refunded"]
    engine = bp_app.state.runtime.db.engine  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="append-only"):
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE audit_events SET amount_cents = 1"))


async def test_refund_needs_the_originators_credentials(parking: XBezahldiensteClient,
                                                       bp: httpx.AsyncClient) -> None:
    transaction = await paid(parking)
    anonymous = await bp.post(f"{parking.collection}/{transaction}/refunds", json={"amount": "1.00"})
    assert anonymous.status_code == 401


async def test_a_retried_refund_with_the_same_idempotency_key_refunds_once(parking: XBezahldiensteClient) -> None:
    transaction = await paid(parking, 30.0)
    url = f"{parking.collection}/{transaction}/refunds"
    headers = {**parking.auth, "Idempotency-Key": "erstattung-1"}
    first = await parking.http.post(url, json={"amount": "10.00"}, headers=headers)
    again = await parking.http.post(url, json={"amount": "10.00"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    listed = await parking.http.get(url, headers=parking.auth)
    assert [r["amount"] for r in listed.json()] == [10]


async def sepa_paid(api: XBezahldiensteClient) -> str:
    info = (await api.create(amount=30.0))["paymentInformation"]
    answer = await Checkout(api.http, info["transactionRedirectUrl"]).pay_with(
        "sepa", {"holder": "Max Mustermann", "iban": "DE89370400440532013000", "mandate": "yes"})
    assert back(answer)["status"] == "PAYED"
    return info["transactionId"]


async def test_sepa_chargeback_within_the_reclaim_period(parking: XBezahldiensteClient,
                                                         bp: httpx.AsyncClient) -> None:
    await bp.post("/_emulator/clock", json={"freeze": "2026-03-02T09:00:00+01:00"})
    transaction = await sepa_paid(parking)
    assert (await parking.refund(transaction, "10.00")).status_code == 201
    await bp.post("/_emulator/clock", json={"advance": "P55D"})  # within 8 weeks
    back_booked = await bp.post(f"/_emulator/payments/{transaction}/chargeback", json={})
    assert back_booked.status_code == 201 and back_booked.json()["amount"] == 20  # what was still held
    listed = await parking.http.get(f"{parking.collection}/{transaction}/refunds", headers=parking.auth)
    assert [r["reason"] for r in listed.json()] == [None, "Rücklastschrift"]
    check_problem(await parking.refund(transaction, "0.01"), "UNSPECIFIED", 409)

    late = await sepa_paid(parking)
    await bp.post("/_emulator/clock", json={"advance": "P57D"})  # 8 weeks and a day
    check_problem(await bp.post(f"/_emulator/payments/{late}/chargeback", json={}), "UNSPECIFIED", 409)
    unauthorised = await bp.post(f"/_emulator/payments/{late}/chargeback", json={"unauthorised": True})
    assert unauthorised.status_code == 201 and unauthorised.json()["reason"] == "Rücklastschrift (nicht autorisiert)"
    card = await paid(parking)
    check_problem(await bp.post(f"/_emulator/payments/{card}/chargeback", json={}), "UNSPECIFIED", 409)
