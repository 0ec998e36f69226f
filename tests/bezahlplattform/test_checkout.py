"""The hosted checkout for each method over HTTP: card (success, each decline reason, 3-D Secure), PayPal (approve,
cancel), giropay (refused after 31.12.2024 by the emulator clock, paid before), SEPA-Lastschrift (IBAN check,
mandate), Überweisung (stays open), cancel; the status the online service pulls afterwards."""

import httpx
import pytest

from tests.bezahlplattform.checkout_tools import Checkout, back, local
from tests.bezahlplattform.xbd_client import XBezahldiensteClient

CARD = {"holder": "Erika Mustermann", "expiry": "12/34", "cvc": "123", "action": "pay"}


async def start(parking: XBezahldiensteClient, **kwargs: object) -> tuple[str, Checkout]:
    created = await parking.create(**kwargs)
    info = created["paymentInformation"]
    return info["transactionId"], Checkout(parking.http, info["transactionRedirectUrl"])


async def test_choice_page_is_german_and_self_contained(parking: XBezahldiensteClient) -> None:
    _, checkout = await start(parking, amount=30.0)
    page = await parking.http.get(checkout.url)
    assert page.status_code == 200 and page.headers["content-language"] == "de"
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    html = page.text
    assert "Wie möchten Sie bezahlen?" in html and "30,00 €" in html
    for label in ("Kreditkarte", "PayPal", "giropay", "SEPA-Lastschrift", "Überweisung"):
        assert label in html
    assert "http://" not in html.replace("http://127.0.0.1:8000", "") and "https://" not in html
    # giropay ended on 31.12.2024: offered but not selectable, with the reason.
    assert "giropay wurde zum 31.12.2024 eingestellt" in html


async def test_card_success(parking: XBezahldiensteClient) -> None:
    transaction, checkout = await start(parking)
    answer = back(await checkout.pay_with("creditcard", {**CARD, "number": "4242 4242 4242 4242"}))
    assert answer == {"transactionId": transaction, "status": "PAYED"}
    info = await parking.status(transaction)
    assert info["status"] == "PAYED" and info["paymentMethod"] == "CREDITCARD"
    assert info["paymentMethodDetail"] == "Visa •••• 4242"
    assert "transactionRedirectUrl" not in info
    again = await parking.http.get(checkout.url)
    assert again.status_code == 410 and "bereits bezahlt" in again.text


DECLINES = {
    "4000000000000002": "generic_decline",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
    "4000000000000341": "card_declined",
}


@pytest.mark.parametrize(("number", "reason"), DECLINES.items(), ids=DECLINES.values())
async def test_card_declines(parking: XBezahldiensteClient, number: str, reason: str) -> None:
    transaction, checkout = await start(parking)
    assert back(await checkout.pay_with("creditcard", {**CARD, "number": number}))["status"] == "FAILED"
    info = await parking.status(transaction)
    assert info["status"] == "FAILED" and reason in info["statusDetail"]


async def test_card_input_errors_keep_the_payment_open(parking: XBezahldiensteClient) -> None:
    transaction, checkout = await start(parking)
    page = await checkout.pay_with("creditcard", {**CARD, "number": "4242424242424241", "expiry": "13/99",
                                                  "cvc": "1"})
    assert page.status_code == 422
    assert "Die Kartennummer ist ungültig" in page.text and "MM/JJ" in page.text and "drei oder vier" in page.text
    assert (await parking.status(transaction))["status"] == "INITIAL"


@pytest.mark.parametrize(("result", "status"), [("authenticated", "PAYED"), ("failed", "FAILED")])
async def test_card_three_d_secure_challenge(parking: XBezahldiensteClient, result: str, status: str) -> None:
    transaction, checkout = await start(parking)
    challenge = await checkout.pay_with("creditcard", {**CARD, "number": "4000002500003155"})
    assert challenge.status_code == 303 and challenge.headers["location"].endswith("/creditcard/challenge")
    page = await parking.http.get(local(challenge.headers["location"]))
    assert page.status_code == 200 and "Zahlung bestätigen" in page.text and "•••• 3155" in page.text
    assert (await parking.status(transaction))["status"] == "INITIAL"
    assert back(await checkout.post(challenge.headers["location"], {"result": result}))["status"] == status
    assert (await parking.status(transaction))["status"] == status


async def test_challenge_page_without_a_challenge(parking: XBezahldiensteClient) -> None:
    _, checkout = await start(parking)
    page = await parking.http.get(f"{checkout.url}/creditcard/challenge")
    assert page.status_code == 409


async def test_cancel_on_the_choice_page_and_on_a_method_page(parking: XBezahldiensteClient) -> None:
    transaction, checkout = await start(parking)
    assert back(await parking.http.post(checkout.url, data={"action": "cancel"}))["status"] == "CANCELED"
    info = await parking.status(transaction)
    assert info["status"] == "CANCELED" and info["statusDetail"] == "Abbruch durch Nutzer"
    transaction, checkout = await start(parking)
    assert back(await checkout.pay_with("sepa", {"action": "cancel"}))["status"] == "CANCELED"
    assert (await parking.status(transaction))["paymentMethodDetail"] == "SEPA-Lastschrift"


async def test_paypal_approve_and_cancel(parking: XBezahldiensteClient) -> None:
    transaction, checkout = await start(parking, amount=30.0)
    to_paypal = await checkout.pay_with("paypal", {"action": "paypal"})
    assert to_paypal.status_code == 303 and "/paypal/checkoutnow?token=" in to_paypal.headers["location"]
    approve_page = await parking.http.get(local(to_paypal.headers["location"]))
    assert approve_page.status_code == 200 and "30,00 €" in approve_page.text
    returned = await checkout.post(to_paypal.headers["location"], {"action": "approve"})
    assert returned.status_code == 303 and "/paypal/return?token=" in returned.headers["location"]
    assert "PayerID=" in returned.headers["location"]
    assert back(await parking.http.get(local(returned.headers["location"])))["status"] == "PAYED"
    info = await parking.status(transaction)
    assert info["paymentMethod"] == "PAYPAL" and info["statusDetail"].startswith("PayPal-Capture ")

    transaction, checkout = await start(parking)
    to_paypal = await checkout.pay_with("paypal", {"action": "paypal"})
    canceled = await checkout.post(to_paypal.headers["location"], {"action": "cancel"})
    assert back(await parking.http.get(local(canceled.headers["location"])))["status"] == "CANCELED"
    assert (await parking.status(transaction))["statusDetail"] == "Abbruch bei PayPal"


async def test_giropay_is_refused_after_its_end_and_works_before(parking: XBezahldiensteClient) -> None:
    transaction, checkout = await start(parking)
    refused = await checkout.choose("giropay")
    assert refused.status_code == 422 and "giropay wurde zum 31.12.2024 eingestellt" in refused.text
    direct = await parking.http.get(f"{checkout.url}/giropay")
    assert direct.status_code == 409 and "eingestellt" in direct.text
    assert (await parking.status(transaction))["status"] == "INITIAL"

    clock = await parking.http.post("/_emulator/clock", json={"freeze": "2024-12-31T22:30:00+00:00"})
    assert clock.status_code == 200  # 23:30 in Berlin on the last day
    transaction, checkout = await start(parking)
    to_bank = await checkout.pay_with("giropay", {"bic": "GENODEF1S04"})
    assert to_bank.status_code == 303 and to_bank.headers["location"].endswith("/giropay/bank")
    assert back(await checkout.post(to_bank.headers["location"], {"result": "approve"}))["status"] == "PAYED"
    info = await parking.status(transaction)
    assert info["paymentMethod"] == "GIROPAY" and "4000" in info["statusDetail"]

    await parking.http.post("/_emulator/clock", json={"freeze": "2024-12-31T23:00:00+00:00"})  # 1 January in Berlin
    _, checkout = await start(parking)
    assert (await checkout.choose("giropay")).status_code == 422


async def test_sepa_checks_the_iban_and_records_the_mandate(parking: XBezahldiensteClient) -> None:
    transaction, checkout = await start(parking)
    wrong = await checkout.pay_with("sepa", {"holder": "Erika Mustermann", "iban": "DE89 3704 0044 0532 0130 01",
                                             "mandate": "yes"})
    assert wrong.status_code == 422 and "Prüfziffern" in wrong.text
    short = await checkout.post(f"{checkout.url}/sepa", {"holder": "Erika Mustermann", "iban": "DE8937040044"})
    assert short.status_code == 422 and "22 Zeichen" in short.text and "Lastschriftmandat" in short.text
    assert (await parking.status(transaction))["status"] == "INITIAL"
    ok = await checkout.post(f"{checkout.url}/sepa", {"holder": "Erika Mustermann",
                                                      "iban": "DE89 3704 0044 0532 0130 00", "mandate": "yes"})
    assert back(ok)["status"] == "PAYED"
    info = await parking.status(transaction)
    assert info["paymentMethod"] == "OTHER" and info["paymentMethodDetail"] == "SEPA-Lastschrift"
    assert "Mandat BP-" in info["statusDetail"] and "DE89 •••• 3000" in info["statusDetail"]


async def test_transfer_stays_open(parking: XBezahldiensteClient) -> None:
    transaction, checkout = await start(parking, amount=30.0)
    page = await parking.http.get(f"{checkout.url}/transfer")
    info = await parking.status(transaction)
    assert "DE02570501200000012345" in page.text and info["transactionReference"] in page.text
    assert back(await checkout.post(f"{checkout.url}/transfer", {"action": "transfer"}))["status"] == "INITIAL"
    info = await parking.status(transaction)
    assert info["status"] == "INITIAL" and info["paymentMethodDetail"] == "Überweisung"
    assert "transactionRedirectUrl" in info


async def test_preselected_method_skips_the_choice(parking: XBezahldiensteClient) -> None:
    _, checkout = await start(parking, paymentMethod="CREDITCARD")
    page = await parking.http.get(checkout.url)
    assert page.status_code == 303 and page.headers["location"].endswith("/creditcard")


async def test_unknown_payment_page(bp: httpx.AsyncClient) -> None:
    page = await bp.get("/checkout/gibt-es-nicht")
    assert page.status_code == 404 and "Zahlung nicht gefunden" in page.text
