"""An independent XBezahldienste client, written from the standard's field lists (paymentRequest, items,
requestor, paymentInformation, functionalCode) — plain httpx and dicts, nothing imported from the service.

It checks every response against the standard's shape, so a test that uses it fails when the platform answers
with a field the standard does not know or leaves out one it needs.
"""

import base64
import datetime as dt
import re
import uuid
from typing import Any

import httpx

PAYMENT_INFORMATION_FIELDS = {"transactionUrl", "transactionRedirectUrl", "transactionId", "transactionReference",
                              "transactionTimestamp", "paymentMethod", "paymentMethodDetail", "status",
                              "statusDetail"}
PAYMENT_METHODS = {"GIROPAY", "PAYDIRECT", "CREDITCARD", "PAYPAL", "OTHER", None}
STATUSES = {"INITIAL", "PAYED", "FAILED", "CANCELED"}
FUNCTIONAL_CODES = {"NO_VALID_ORIGINATOR_OR_DESTINATION", "NO_VALID_ORIGINATOR_OR_ENDPOINT", "PAYMENT_EXISTS",
                    "CALCULATION_ERROR", "BOOKING_DATA_MISSING", "VALIDATION_ERROR", "UNSPECIFIED", "FORBIDDEN"}
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def payment_request(*, amount: str | float = 30.0, purpose: str = "Bewohnerparkausweis",
                    redirect_url: str = "https://onlinedienst.example/zahlung/zurueck", request_id: str | None = None,
                    items: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """A paymentRequest as an online service builds it: one item with Haushaltsstelle unless ``items`` is given."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body: dict[str, Any] = {
        "requestId": request_id or uuid.uuid4().hex[:32],
        "requestTimestamp": now,
        "currency": "EUR",
        "grosAmount": amount,
        "purpose": purpose,
        "description": "Gebühr laut Gebührenordnung",
        "redirectUrl": redirect_url,
        "requestor": {"name": "Mustermann", "firstName": "Erika", "gender": "F", "isOrganization": False,
                      "address": {"street": "Heidestraße", "houseNumber": "17", "postalCode": "56068",
                                  "city": "Koblenz", "country": "DE"}},
    }
    body["items"] = items if items is not None else [{
        "id": "1", "reference": "GEB-1", "description": purpose, "taxRate": 0, "quantity": 1,
        "totalNetAmount": amount, "totalTaxAmount": 0, "singleNetAmount": amount, "singleTaxAmount": 0,
        "bookingData": {"Haushaltsstelle": "1.2.2.01.431100", "Objektnummer": "4711"}}]
    body.update(extra)
    return body


def check_transaction(body: dict[str, Any]) -> dict[str, Any]:
    """Assert the PaymentTransaction shape of the standard; answer paymentInformation."""
    assert set(body) == {"paymentRequest", "paymentInformation"}, body
    info = body["paymentInformation"]
    assert set(info) <= PAYMENT_INFORMATION_FIELDS, set(info) - PAYMENT_INFORMATION_FIELDS
    assert info["status"] in STATUSES
    assert info["paymentMethod"] in PAYMENT_METHODS
    assert 1 <= len(info["transactionId"]) <= 44
    assert ISO_MS.match(info["transactionTimestamp"]), info["transactionTimestamp"]
    assert ("transactionRedirectUrl" in info) == (info["status"] == "INITIAL")
    return info


def check_problem(response: httpx.Response, code: str, status: int | None = None) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body = response.json()
    assert {"type", "title", "status"} <= set(body), body
    assert body["status"] == response.status_code
    assert body.get("functionalCode") == code, body
    assert code in FUNCTIONAL_CODES | {"UNAUTHORIZED", "NOT_FOUND"}
    if status is not None:
        assert response.status_code == status, (response.status_code, body)
    return body


class XBezahldiensteClient:
    """What an online service does: create a payment, send the user to the redirect URL, pull the status."""

    def __init__(self, http: httpx.AsyncClient, base: str, originator: str, endpoint: str,
                 auth: dict[str, str]) -> None:
        self.http = http
        self.base = base.rstrip("/")
        self.originator = originator
        self.endpoint = endpoint
        self.auth = auth

    @property
    def collection(self) -> str:
        return f"{self.base}/paymenttransaction/{self.originator}/{self.endpoint}"

    async def create_raw(self, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post(self.collection, json=body, headers={**self.auth, **(headers or {})})

    async def create(self, **kwargs: Any) -> dict[str, Any]:
        response = await self.create_raw(payment_request(**kwargs))
        assert response.status_code == 200, response.text
        check_transaction(response.json())
        return response.json()

    async def status_raw(self, transaction_id: str) -> httpx.Response:
        return await self.http.get(f"{self.collection}/{transaction_id}", headers=self.auth)

    async def status(self, transaction_id: str) -> dict[str, Any]:
        response = await self.status_raw(transaction_id)
        assert response.status_code == 200, response.text
        return check_transaction(response.json())

    async def refund(self, transaction_id: str, amount: str | None = None) -> httpx.Response:
        body = {"amount": amount} if amount is not None else {}
        return await self.http.post(f"{self.collection}/{transaction_id}/refunds", json=body, headers=self.auth)

    async def cancel(self, transaction_id: str) -> httpx.Response:
        return await self.http.post(f"{self.collection}/{transaction_id}/cancel", headers=self.auth)
