"""The Bezahlplattform inside the whole suite, through the gateway: a Nutzerkonto client-credentials token
(audience bezahlplattform) creates and pays a payment, the same token acts as the Kasse for the settlement, and the
service's controls answer under ``/_emulator/bezahlplattform``. One test, because the suite takes long to start."""

import httpx

from tests.bezahlplattform.checkout_tools import Checkout, back
from tests.bezahlplattform.conftest import KOBLENZ, bearer
from tests.bezahlplattform.xbd_client import XBezahldiensteClient, check_problem, payment_request

CARD = {"holder": "Erika Mustermann", "number": "4242424242424242", "expiry": "12/34", "cvc": "123", "action": "pay"}


async def test_bearer_token_checkout_kasse_and_controls_through_the_gateway(client: httpx.AsyncClient) -> None:
    auth = await bearer(client)
    dogs = XBezahldiensteClient(client, "/bezahlplattform", "hundesteuer", KOBLENZ, auth)
    info = (await dogs.create(amount=48.0))["paymentInformation"]
    checkout = Checkout(client, info["transactionRedirectUrl"], public="http://127.0.0.1:8000")
    assert back(await checkout.pay_with("creditcard", CARD))["status"] == "PAYED"
    assert (await dogs.status(info["transactionId"]))["status"] == "PAYED"

    # The Fachverfahren's token is the cash office's: it sees every online service at the office.
    certificate = XBezahldiensteClient(client, "/bezahlplattform", "fuehrungszeugnis", KOBLENZ, auth)
    items = [{"id": "1", "totalNetAmount": 13.0, "bookingData": {"Objektnummer": "FZ-1", "Haushaltsstelle": "1"}}]
    assert (await certificate.create(amount=13.0, items=items))["paymentInformation"]["status"] == "INITIAL"
    today = await client.get(f"/bezahlplattform/kasse/{KOBLENZ}/settlement", headers=auth)
    assert today.status_code == 200 and today.json()["credits"] == "48.00"

    # A token of a client no originator lists may act for none of them.
    stranger = XBezahldiensteClient(client, "/bezahlplattform", "hundesteuer", KOBLENZ,
                                    await bearer(client, "bescheid"))
    check_problem(await stranger.create_raw(payment_request()), "FORBIDDEN", 403)

    seed = (await client.get("/_emulator/bezahlplattform/seed")).json()
    assert any(o["originatorId"] == "fuehrungszeugnis" for o in seed["originators"])
    methods = (await client.get("/_emulator/bezahlplattform/methods")).json()
    assert {m["method"] for m in methods} == {"creditcard", "paypal", "giropay", "sepa", "transfer"}
