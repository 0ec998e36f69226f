"""XBezahldienste create and status through the gateway, with the independent client: fields, limits, problem
bodies with functionalCode, both authentications, and that refused requests store nothing."""

import asyncio

import httpx
import pytest

from tests.bezahlplattform.conftest import KOBLENZ, office_client
from tests.bezahlplattform.xbd_client import (
    XBezahldiensteClient,
    basic,
    check_problem,
    check_transaction,
    payment_request,
)


async def test_create_then_pull_status(parking: XBezahldiensteClient) -> None:
    created = await parking.create(amount=30.0, purpose="Bewohnerparkausweis")
    info = created["paymentInformation"]
    assert info["status"] == "INITIAL" and info["paymentMethod"] is None
    assert info["transactionRedirectUrl"] == f"http://127.0.0.1:8000/bezahlplattform/checkout/{info['transactionId']}"
    # The Kassenzeichen: office prefix, year, number and a check digit.
    assert info["transactionReference"].startswith("711") and len(info["transactionReference"]) == 14
    assert created["paymentRequest"]["grosAmount"] == 30
    assert created["paymentRequest"]["items"][0]["bookingData"]["Haushaltsstelle"] == "1.2.2.01.431100"
    pulled = await parking.status(info["transactionId"])
    assert pulled["status"] == "INITIAL" and pulled["transactionId"] == info["transactionId"]
    assert info["transactionUrl"].endswith(f"/paymenttransaction/bewohnerparkausweis/{KOBLENZ}/"
                                           f"{info['transactionId']}")


async def test_kassenzeichen_are_distinct_and_a_given_one_is_kept(parking: XBezahldiensteClient) -> None:
    first = await parking.create()
    second = await parking.create()
    assert first["paymentInformation"]["transactionReference"] != second["paymentInformation"]["transactionReference"]
    items = [{"id": "1", "totalNetAmount": 12.5, "totalTaxAmount": 0,
              "bookingData": {"Haushaltsstelle": "1.2.2.01.431100", "Kassenzeichen": "KZ-2026-0815"}}]
    given = await parking.create(amount=12.5, items=items)
    assert given["paymentInformation"]["transactionReference"] == "KZ-2026-0815"


async def test_authentication_and_authorisation(bp: httpx.AsyncClient, parking: XBezahldiensteClient) -> None:
    client = bp
    collection = parking.collection
    anonymous = await client.post(collection, json=payment_request())
    assert anonymous.status_code == 401 and "Basic" in anonymous.headers["www-authenticate"]
    wrong = await client.post(collection, json=payment_request(),
                              headers=basic("bewohnerparkausweis-071110000000", "falsch"))
    assert wrong.status_code == 401
    garbage = await client.post(collection, json=payment_request(), headers={"Authorization": "Basic %%%"})
    assert garbage.status_code == 401
    # Hundesteuer's credentials may not create parking payments.
    other = XBezahldiensteClient(client, "", "bewohnerparkausweis", KOBLENZ,
                                 basic("hundesteuer-071110000000", "hundesteuer-secret"))
    check_problem(await other.create_raw(payment_request()), "FORBIDDEN", 403)
    created = await parking.create()
    check_problem(await other.status_raw(created["paymentInformation"]["transactionId"]), "FORBIDDEN", 403)


async def test_unknown_originator_or_endpoint(bp: httpx.AsyncClient) -> None:
    auth = basic("bewohnerparkausweis-071110000000", "bewohnerparkausweis-secret")
    for originator, endpoint in (("bewohnerparkausweis", "079999999999"), ("gibt-es-nicht", KOBLENZ)):
        api = XBezahldiensteClient(bp, "", originator, endpoint, auth)
        check_problem(await api.create_raw(payment_request()), "NO_VALID_ORIGINATOR_OR_ENDPOINT", 404)


async def test_calculation_error_uses_half_up(parking: XBezahldiensteClient) -> None:
    # 3 x 8.403 net = 25.209 → 25.21 (HALF_UP); 25.205 would round to 25.21 as well, 25.204 to 25.20.
    items = [{"id": "1", "quantity": 3, "singleNetAmount": 8.403, "totalNetAmount": 25.209, "totalTaxAmount": 0,
              "bookingData": {"Haushaltsstelle": "1"}}]
    assert (await parking.create(amount=25.21, items=items))["paymentInformation"]["status"] == "INITIAL"
    items[0]["totalNetAmount"] = 25.205
    assert (await parking.create(amount=25.21, items=items))["paymentInformation"]["status"] == "INITIAL"
    items[0]["totalNetAmount"] = 25.204
    body = check_problem(await parking.create_raw(payment_request(amount=25.21, items=items)),
                         "CALCULATION_ERROR", 400)
    assert "25.20" in body["detail"]
    net_tax = [{"id": "1", "totalNetAmount": 10.0, "totalTaxAmount": 1.9, "bookingData": {"Haushaltsstelle": "1"}},
               {"id": "2", "totalNetAmount": 5.0, "totalTaxAmount": 0, "bookingData": {"Haushaltsstelle": "2"}}]
    assert (await parking.create(amount=16.9, items=net_tax))["paymentInformation"]["status"] == "INITIAL"
    check_problem(await parking.create_raw(payment_request(amount=15.0, items=net_tax)), "CALCULATION_ERROR", 400)


async def test_request_id_reuse_is_payment_exists(parking: XBezahldiensteClient) -> None:
    first = await parking.create(request_id="antrag-4711")
    again = await parking.create_raw(payment_request(request_id="antrag-4711", amount=99.0))
    check_problem(again, "PAYMENT_EXISTS", 409)
    # The first payment is unchanged.
    assert (await parking.status(first["paymentInformation"]["transactionId"]))["status"] == "INITIAL"


async def test_booking_data_rules(bp: httpx.AsyncClient) -> None:
    # The Führungszeugnis fee must name Haushaltsstelle and Objektnummer on every item.
    api = office_client(bp, "fuehrungszeugnis")
    items = [{"id": "1", "totalNetAmount": 13.0, "bookingData": {"Haushaltsstelle": "1.1.2.01.431100"}}]
    body = check_problem(await api.create_raw(payment_request(amount=13.0, items=items)), "BOOKING_DATA_MISSING", 400)
    assert body["missing"] == ["Objektnummer"]
    check_problem(await api.create_raw(payment_request(amount=13.0, items=[])), "BOOKING_DATA_MISSING", 400)
    items[0]["bookingData"]["Objektnummer"] = "FZ-2026"
    assert (await api.create(amount=13.0, items=items))["paymentInformation"]["status"] == "INITIAL"


BAD_INPUT = {
    "three decimals": {"grosAmount": 12.345},
    "negative": {"grosAmount": -5},
    "zero": {"grosAmount": 0},
    "not a number": {"grosAmount": "zwölf"},
    "non-EUR": {"currency": "USD"},
    "purpose over 27": {"purpose": "Bewohnerparkausweis Zone A12"},
    "description over 250": {"description": "x" * 251},
    "unknown method": {"paymentMethod": "BITCOIN"},
    "javascript redirect": {"redirectUrl": "javascript:alert(1)"},
    "ftp redirect": {"redirectUrl": "ftp://example.org/x"},
    "requestId too long": {"requestId": "a" * 37},
    "requestId with slash": {"requestId": "../etc"},
    "gender": {"requestor": {"gender": "X"}},
    "country": {"requestor": {"address": {"country": "Deutschland"}}},
}


@pytest.mark.parametrize("change", BAD_INPUT.values(), ids=BAD_INPUT.keys())
async def test_bad_input_is_a_validation_error_and_stores_nothing(parking: XBezahldiensteClient,
                                                                 change: dict[str, object]) -> None:
    body = payment_request(amount=30.0)
    body.update(change)
    response = await parking.create_raw(body)
    problem = check_problem(response, "VALIDATION_ERROR", 400)
    assert problem["errors"] and problem["errors"][0]["pointer"].startswith("/")
    # Nothing stored: the same requestId with a valid body still creates the payment.
    retry = payment_request(amount=30.0, request_id=body["requestId"] if len(str(body["requestId"])) <= 36
                            and "/" not in str(body["requestId"]) else None)
    assert (await parking.create_raw(retry)).status_code == 200


async def test_oversized_booking_data_and_malformed_json(parking: XBezahldiensteClient,
                                                         bp: httpx.AsyncClient) -> None:
    client = bp
    long_value = [{"id": "1", "totalNetAmount": 30.0, "bookingData": {"Haushaltsstelle": "x" * 251}}]
    check_problem(await parking.create_raw(payment_request(items=long_value)), "VALIDATION_ERROR", 400)
    many = [{"id": "1", "totalNetAmount": 30.0, "bookingData": {f"k{i}": "v" for i in range(21)}}]
    check_problem(await parking.create_raw(payment_request(items=many)), "VALIDATION_ERROR", 400)
    malformed = await client.post(parking.collection, content=b'{"requestId": ', headers={
        **parking.auth, "Content-Type": "application/json"})
    check_problem(malformed, "VALIDATION_ERROR", 400)


async def test_fifty_concurrent_creates_with_one_request_id(parking: XBezahldiensteClient,
                                                            bp: httpx.AsyncClient) -> None:
    client = bp
    body = payment_request(request_id="gleichzeitig-1")
    answers = await asyncio.gather(*(parking.create_raw(body) for _ in range(50)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 1 and statuses.count(409) == 49, statuses
    for answer in answers:
        if answer.status_code == 409:
            check_problem(answer, "PAYMENT_EXISTS")
    created = next(a for a in answers if a.status_code == 200)
    check_transaction(created.json())
    trail = await client.get(f"{parking.collection}/{created.json()['paymentInformation']['transactionId']}/audit",
                             headers=parking.auth)
    assert [e["event"] for e in trail.json()] == ["payment.created"]


async def test_idempotency_key_replays_the_create(parking: XBezahldiensteClient) -> None:
    body = payment_request()
    first = await parking.create_raw(body, headers={"Idempotency-Key": "create-1"})
    second = await parking.create_raw(body, headers={"Idempotency-Key": "create-1"})
    assert first.status_code == second.status_code == 200
    assert second.headers.get("idempotent-replayed") == "true"
    assert first.json() == second.json()


async def test_seed_lists_koblenz_with_credentials(bp: httpx.AsyncClient) -> None:
    seed = (await bp.get("/_emulator/seed")).json()
    parking = next(o for o in seed["originators"] if o["originatorId"] == "bewohnerparkausweis")
    assert parking["basic"] == {"username": "bewohnerparkausweis-071110000000",
                                "password": "bewohnerparkausweis-secret"}
    assert parking["endpoints"][0]["endpointId"] == KOBLENZ and parking["endpoints"][0]["name"] == "Stadt Koblenz"
    assert "4000002500003155" in seed["test_cards"]
