"""The optional ERP webhook of an authority: after forwarding, the intake POSTs a JSON notice to the authority's
ERP, signed with HMAC-SHA256 over ``"<timestamp>.<body>"`` (header ``X-Rechnungseingang-Signature:
t=<unix time>,v1=<hex>``, the scheme Stripe and GitHub made common), from the outbox with retries.
"""

import hashlib
import hmac
import json
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from kit.outbox import DeliveryFailed, OutboxMessage
from kit.service import ServiceRuntime
from services.rechnungseingang.invoices import repository as invoices
from services.rechnungseingang.models import Authority, Invoice

CHANNEL = "erp"
SIGNATURE_HEADER = "X-Rechnungseingang-Signature"


def enqueue(runtime: ServiceRuntime, session: AsyncSession, invoice_id: str, ars: str) -> None:
    runtime.outbox.enqueue(session, channel=CHANNEL, target=f"erp:{ars}",
                           payload={"invoice_id": invoice_id, "ars": ars})


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def notice(invoice: Invoice, base_url: str) -> dict[str, Any]:
    return {
        "type": "invoice.forwarded", "invoiceId": invoice.id, "leitwegId": invoice.leitweg_id,
        "ars": invoice.ars, "invoiceNumber": invoice.invoice_number, "issueDate": invoice.issue_date,
        "sellerName": invoice.seller_name, "payableAmount": invoice.payable, "currency": invoice.currency,
        "postfachMessageId": invoice.postfach_message_id,
        "xmlUrl": f"{base_url}/api/v1/authorities/{invoice.ars}/invoices/{invoice.id}/xml",
    }


def make_handler(state: Any) -> Any:
    runtime: ServiceRuntime = state.runtime
    client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0), follow_redirects=False)

    async def deliver(message: OutboxMessage) -> None:
        await runtime.faults.check("erp-webhook")
        async with runtime.db.sessionmaker() as session:
            invoice = await session.get(Invoice, message.payload["invoice_id"])
            authority = await session.get(Authority, message.payload["ars"])
        if invoice is None or authority is None or not authority.erp_webhook_url:
            return  # reset away or unconfigured since
        body = json.dumps(notice(invoice, state.settings.external_url), ensure_ascii=False,
                          separators=(",", ":")).encode()
        timestamp = int(runtime.clock.timestamp())
        headers = {"Content-Type": "application/json", "User-Agent": "basisdienste-rechnungseingang"}
        if authority.erp_webhook_secret:
            headers[SIGNATURE_HEADER] = signature(authority.erp_webhook_secret, timestamp, body)
        response = await client.post(authority.erp_webhook_url, content=body, headers=headers)
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code} from the ERP webhook")
        async with runtime.db.sessionmaker() as session, session.begin():
            invoices.add_event(session, invoice.id, "erp-notified", runtime.clock.now(),
                               "Das ERP-System der empfangenden Stelle wurde benachrichtigt",
                               status=response.status_code)

    deliver.client = client  # type: ignore[attr-defined]
    return deliver
