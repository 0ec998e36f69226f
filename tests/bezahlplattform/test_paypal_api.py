"""PayPal Orders v2 shape for online services that call PayPal directly: create (PayPal-Request-Id idempotency),
the approve link and its page, capture (only after approval, once), PayPal's error shape."""

from urllib.parse import parse_qs, urlsplit

import httpx

from tests.bezahlplattform.checkout_tools import local
from tests.bezahlplattform.conftest import PARKING
from tests.bezahlplattform.xbd_client import basic

ORDER = {"intent": "CAPTURE",
         "purchase_units": [{"reference_id": "711202600000017", "description": "Bewohnerparkausweis",
                             "amount": {"currency_code": "EUR", "value": "30.00"}}],
         "application_context": {"return_url": "https://onlinedienst.example/paypal/ok",
                                 "cancel_url": "https://onlinedienst.example/paypal/abbruch"}}
AUTH = basic(PARKING[1], PARKING[2])


def link(order: dict[str, object], rel: str) -> str:
    return next(entry["href"] for entry in order["links"] if entry["rel"] == rel)  # type: ignore[index,union-attr]


async def test_create_approve_capture(bp: httpx.AsyncClient) -> None:
    headers = {**AUTH, "PayPal-Request-Id": "order-4711"}
    created = await bp.post("/v2/checkout/orders", json=ORDER, headers=headers)
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "CREATED" and len(order["id"]) == 17
    again = await bp.post("/v2/checkout/orders", json=ORDER, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == order["id"]
    other = await bp.post("/v2/checkout/orders", json=ORDER, headers={**AUTH, "PayPal-Request-Id": "order-4712"})
    assert other.json()["id"] != order["id"]

    early = await bp.post(f"/v2/checkout/orders/{order['id']}/capture", headers=AUTH)
    assert early.status_code == 422 and early.json()["details"][0]["issue"] == "ORDER_NOT_APPROVED"
    assert early.json()["name"] == "UNPROCESSABLE_ENTITY"

    approve = local(link(order, "approve"))
    page = await bp.get(approve)
    assert page.status_code == 200 and "30,00 €" in page.text and "Zustimmen und weiter" in page.text
    returned = await bp.post(approve, data={"action": "approve"})
    assert returned.status_code == 303
    query = parse_qs(urlsplit(returned.headers["location"]).query)
    assert returned.headers["location"].startswith("https://onlinedienst.example/paypal/ok?")
    assert query["token"] == [order["id"]] and len(query["PayerID"][0]) == 13
    approved = (await bp.get(f"/v2/checkout/orders/{order['id']}", headers=AUTH)).json()
    assert approved["status"] == "APPROVED" and link(approved, "capture").endswith("/capture")

    capture_headers = {**AUTH, "PayPal-Request-Id": "capture-4711"}
    captured = await bp.post(f"/v2/checkout/orders/{order['id']}/capture", headers=capture_headers)
    assert captured.status_code == 201, captured.text
    capture = captured.json()["purchase_units"][0]["payments"]["captures"][0]
    assert captured.json()["status"] == "COMPLETED" and capture["status"] == "COMPLETED"
    assert capture["amount"] == {"currency_code": "EUR", "value": "30.00"}
    replay = await bp.post(f"/v2/checkout/orders/{order['id']}/capture", headers=capture_headers)
    assert replay.json()["purchase_units"][0]["payments"]["captures"][0]["id"] == capture["id"]
    second = await bp.post(f"/v2/checkout/orders/{order['id']}/capture", headers=AUTH)
    assert second.status_code == 422 and second.json()["details"][0]["issue"] == "ORDER_ALREADY_CAPTURED"


async def test_cancel_on_the_approve_page(bp: httpx.AsyncClient) -> None:
    order = (await bp.post("/v2/checkout/orders", json=ORDER, headers=AUTH)).json()
    back = await bp.post(local(link(order, "approve")), data={"action": "cancel"})
    assert back.headers["location"] == f"https://onlinedienst.example/paypal/abbruch?token={order['id']}"


async def test_payer_action_link_with_payment_source(bp: httpx.AsyncClient) -> None:
    body = {**ORDER, "payment_source": {"paypal": {"experience_context": ORDER["application_context"]}}}
    order = (await bp.post("/v2/checkout/orders", json=body, headers=AUTH)).json()
    assert order["status"] == "PAYER_ACTION_REQUIRED" and "/paypal/checkoutnow?token=" in link(order, "payer-action")


async def test_orders_belong_to_their_client_and_refuse_bad_input(bp: httpx.AsyncClient) -> None:
    order = (await bp.post("/v2/checkout/orders", json=ORDER, headers=AUTH)).json()
    dogs = basic("hundesteuer-071110000000", "hundesteuer-secret")
    foreign = await bp.get(f"/v2/checkout/orders/{order['id']}", headers=dogs)
    assert foreign.status_code == 404 and foreign.json()["name"] == "RESOURCE_NOT_FOUND"
    usd = {**ORDER, "purchase_units": [{"amount": {"currency_code": "USD", "value": "30.00"}}]}
    refused = await bp.post("/v2/checkout/orders", json=usd, headers=AUTH)
    assert refused.status_code == 422 and refused.json()["details"][0]["issue"] == "CURRENCY_NOT_SUPPORTED"
    fractions = {**ORDER, "purchase_units": [{"amount": {"currency_code": "EUR", "value": "30.001"}}]}
    assert (await bp.post("/v2/checkout/orders", json=fractions, headers=AUTH)).status_code == 400
    assert (await bp.post("/v2/checkout/orders", json={**ORDER, "intent": "SALE"}, headers=AUTH)).status_code == 400
    assert (await bp.post("/v2/checkout/orders", json=ORDER)).status_code == 401
