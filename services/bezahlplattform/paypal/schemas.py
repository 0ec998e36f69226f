"""The PayPal Orders v2 ``Order`` as this platform answers it (PayPal's snake_case member names): the purchase unit
with the members the platform keeps of the request, the capture once completed, the payer once approved, and the
HATEOAS links. Documentation only: the routes answer the stored order member for member, in the caller's order."""

from typing import Literal

from pydantic import Field

from kit.schemas import Timestamp, WireModel

OrderStatus = Literal["CREATED", "PAYER_ACTION_REQUIRED", "APPROVED", "VOIDED", "COMPLETED"]


class Money(WireModel):
    currency_code: Literal["EUR"]
    value: str = Field(description="Decimal text, two places", examples=["30.00"])


class Capture(WireModel):
    id: str
    status: Literal["COMPLETED"]
    amount: Money
    final_capture: bool
    create_time: Timestamp


class Payments(WireModel):
    captures: list[Capture]


class PurchaseUnit(WireModel):
    reference_id: str = Field(description="As sent, or 'default'")
    description: str | None = None
    custom_id: str | None = None
    invoice_id: str | None = None
    soft_descriptor: str | None = None
    amount: Money
    payments: Payments | None = Field(None, description="Once the order is COMPLETED")


class PayerName(WireModel):
    given_name: str
    surname: str


class Payer(WireModel):
    payer_id: str
    email_address: str
    name: PayerName


class LinkDescription(WireModel):
    href: str
    rel: Literal["self", "approve", "payer-action", "update", "capture"]
    method: Literal["GET", "PATCH", "POST"]


class Order(WireModel):
    id: str
    intent: Literal["CAPTURE", "AUTHORIZE"]
    status: OrderStatus
    create_time: Timestamp
    purchase_units: list[PurchaseUnit]
    payer: Payer | None = Field(None, description="Once the buyer approved")
    links: list[LinkDescription]
