"""The XBezahldienste ``paymentRequest`` with the standard's field names and limits (pydantic, for validation and
the OpenAPI document). Amounts arrive as decimal euros and are parsed as ``Decimal``, never as float."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from kit.schemas import Number, Timestamp, WireModel

PAYMENT_METHODS = ("GIROPAY", "PAYDIRECT", "CREDITCARD", "PAYPAL", "OTHER")
STATUSES = ("INITIAL", "PAYED", "FAILED", "CANCELED")
MAX_ITEMS = 100
MAX_BOOKING_ENTRIES = 20


def _http_url(value: str) -> str:
    if not value.lower().startswith(("http://", "https://")) or len(value.split("://", 1)[1]) == 0:
        raise ValueError("must be an http(s) URL")
    if any(c in value for c in "\r\n\t <>\"") or any(ord(c) < 0x20 for c in value):
        raise ValueError("must not contain spaces, quotes or control characters")
    return value


def _booking_data(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_BOOKING_ENTRIES:
        raise ValueError(f"at most {MAX_BOOKING_ENTRIES} entries")
    for key in value:
        if not 1 <= len(key) <= 50:
            raise ValueError("keys have 1 to 50 characters")
    return value


HttpUrl = Annotated[str, StringConstraints(min_length=8, max_length=2000), AfterValidator(_http_url)]
Text250 = Annotated[str, StringConstraints(max_length=250)]
# Item amounts may carry more places (single prices with tax); the total is rounded HALF_UP to cents.
ItemAmount = Annotated[Decimal, Field(ge=0, decimal_places=4, allow_inf_nan=False, max_digits=15)]
BookingData = Annotated[dict[str, Annotated[str, StringConstraints(max_length=250)]], AfterValidator(_booking_data)]


class Address(BaseModel):
    model_config = ConfigDict(extra="ignore")

    street: Annotated[str, StringConstraints(max_length=100)] | None = None
    houseNumber: Annotated[str, StringConstraints(max_length=20)] | None = None
    addressLine: Annotated[str, StringConstraints(max_length=200)] | None = None
    postalCode: Annotated[str, StringConstraints(max_length=10)] | None = None
    city: Annotated[str, StringConstraints(max_length=100)] | None = None
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        None, description="ISO 3166-1 alpha-2")


class Requestor(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, StringConstraints(max_length=100)] | None = None
    firstName: Annotated[str, StringConstraints(max_length=100)] | None = None
    gender: Literal["M", "F", "D"] | None = None
    isOrganization: bool | None = None
    organizationName: Annotated[str, StringConstraints(max_length=200)] | None = None
    address: Address | None = None


class Item(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, StringConstraints(max_length=36)] | None = None
    reference: Annotated[str, StringConstraints(max_length=36)] | None = None
    description: Text250 | None = None
    taxRate: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] | None = None
    quantity: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    totalNetAmount: ItemAmount
    totalTaxAmount: ItemAmount = Decimal(0)
    singleNetAmount: ItemAmount | None = None
    singleTaxAmount: ItemAmount | None = None
    bookingData: BookingData = Field(default_factory=dict)


class PaymentRequest(BaseModel):
    """``paymentRequest`` of XBezahldienste (create a payment transaction)."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [{
        "requestId": "antrag-4711", "requestTimestamp": "2026-03-02T09:15:00.000Z", "currency": "EUR",
        "grosAmount": 30.0, "purpose": "Bewohnerparkausweis", "description": "Bewohnerparkausweis Zone A, 1 Jahr",
        "redirectUrl": "https://onlinedienst.example/zahlung/fertig",
        "items": [{"id": "1", "description": "Bewohnerparkausweis", "quantity": 1, "taxRate": 0,
                   "totalNetAmount": 30.0, "totalTaxAmount": 0, "singleNetAmount": 30.0, "singleTaxAmount": 0,
                   "bookingData": {"Haushaltsstelle": "1.2.2.01.431100"}}]}]})

    requestId: Annotated[str, StringConstraints(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9_-]+$")]
    requestTimestamp: dt.datetime | None = None
    currency: Literal["EUR"]
    grosAmount: Annotated[Decimal, Field(gt=0, decimal_places=2, max_digits=11, allow_inf_nan=False)]
    purpose: Annotated[str, StringConstraints(min_length=1, max_length=27)]
    description: Text250 | None = None
    redirectUrl: HttpUrl
    # Preselects the method on the hosted checkout; OTHER offers SEPA-Lastschrift and Überweisung.
    paymentMethod: Literal[PAYMENT_METHODS] | None = None  # type: ignore[valid-type]
    items: Annotated[list[Item], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    requestor: Requestor | None = None


# --- Answers -------------------------------------------------------------------------------------------------------
# The ``paymentRequest`` comes back as it was stored: normalised (members left out stay out), amounts as JSON
# numbers (an integer where the amount is whole: ``Number`` keeps 30 from becoming 30.0), timestamps as text.


class AddressOut(WireModel):
    street: str | None = None
    houseNumber: str | None = None
    addressLine: str | None = None
    postalCode: str | None = None
    city: str | None = None
    country: str | None = None


class RequestorOut(WireModel):
    name: str | None = None
    firstName: str | None = None
    gender: Literal["M", "F", "D"] | None = None
    isOrganization: bool | None = None
    organizationName: str | None = None
    address: AddressOut | None = None


class ItemOut(WireModel):
    id: str | None = None
    reference: str | None = None
    description: str | None = None
    taxRate: Number | None = None
    quantity: int | None = None
    totalNetAmount: Number
    totalTaxAmount: Number
    singleNetAmount: Number | None = None
    singleTaxAmount: Number | None = None
    bookingData: dict[str, str]


class PaymentRequestOut(WireModel):
    requestId: str
    requestTimestamp: Timestamp | None = None
    currency: Literal["EUR"]
    grosAmount: Number
    purpose: str
    description: str | None = None
    redirectUrl: str
    paymentMethod: Literal[PAYMENT_METHODS] | None = None  # type: ignore[valid-type]
    items: list[ItemOut]
    requestor: RequestorOut | None = None


class PaymentInformation(WireModel):
    transactionUrl: str = Field(description="Where to read the transaction's status")
    transactionId: str
    transactionReference: str | None = Field(description="The Kassenzeichen")
    transactionTimestamp: Timestamp
    paymentMethod: str | None
    paymentMethodDetail: str | None
    status: Literal[STATUSES]  # type: ignore[valid-type]
    statusDetail: str | None
    transactionRedirectUrl: str | None = Field(
        None, description="The hosted checkout; only while the payment is INITIAL")


class PaymentTransaction(WireModel):
    """XBezahldienste ``PaymentTransaction``: the request as stored and the payment's current information."""

    paymentRequest: PaymentRequestOut
    paymentInformation: PaymentInformation


class AuditEvent(WireModel):
    """One event of the append-only audit log of a payment."""

    id: int
    event: str = Field(description="payment.created, payment.payed, payment.pending, refund..., ...")
    actor: str
    fromStatus: str | None
    toStatus: str | None
    amountCents: int | None
    # The facts of the event differ by event (requestId and Kassenzeichen at creation, the adapter's reference at
    # payment, the refund's id, ...): an object whose members the event names.
    data: dict[str, Any] = Field(description="Facts of the event; which ones depends on the event")
    createdAt: Timestamp
