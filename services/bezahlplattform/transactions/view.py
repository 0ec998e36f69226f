"""The XBezahldienste ``PaymentTransaction`` body (``paymentRequest`` + ``paymentInformation``) of a stored payment."""

import datetime as dt
from decimal import Decimal
from typing import Any

from services.bezahlplattform.models import Payment


def iso_ms(value: dt.datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as the standard's timestamps are written."""
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def jsonable(value: Any) -> Any:
    """Decimals become JSON numbers (exact: at most four places), datetimes ISO strings."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return iso_ms(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def status_url(base_url: str, payment: Payment) -> str:
    return f"{base_url}/paymenttransaction/{payment.originator_id}/{payment.endpoint_id}/{payment.id}"


def checkout_url(base_url: str, payment: Payment) -> str:
    return f"{base_url}/checkout/{payment.id}"


def render(payment: Payment, base_url: str) -> dict[str, Any]:
    information: dict[str, Any] = {
        "transactionUrl": status_url(base_url, payment),
        "transactionId": payment.id,
        "transactionReference": payment.kassenzeichen,
        "transactionTimestamp": iso_ms(payment.updated_at),
        "paymentMethod": payment.payment_method,
        "paymentMethodDetail": payment.payment_method_detail,
        "status": payment.status,
        "statusDetail": payment.status_detail,
    }
    if payment.status == "INITIAL":  # the pay page exists only while the payment is open
        information["transactionRedirectUrl"] = checkout_url(base_url, payment)
    return {"paymentRequest": payment.payment_request, "paymentInformation": information}
