"""Webhook signatures in Stripe's scheme: header ``Bezahlplattform-Signature: t=<unix time>,v1=<hex>`` where the hex
is HMAC-SHA256 with the originator's webhook secret over ``"<t>." + raw body``. Receivers recompute it, compare in
constant time and refuse timestamps more than 300 s away (replays)."""

import hashlib
import hmac

SIGNATURE_HEADER = "Bezahlplattform-Signature"
EVENT_ID_HEADER = "Bezahlplattform-Event-Id"
ORIGINATOR_HEADER = "Bezahlplattform-Originator"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
