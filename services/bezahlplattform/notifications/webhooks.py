"""Signed webhooks for every state change of a payment, delivered from the kit's persisted outbox (at least once,
capped exponential backoff with jitter, dead after the outbox's last attempt), each with an event id receivers
dedupe by. The signature is computed at delivery time, so a retry hours later still carries a fresh timestamp.

The emulator fault point ``webhook.deliver`` makes deliveries fail or slow down (``/_emulator/faults``).
"""

import datetime as dt
import json
import logging
import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.outbox import DeliveryFailed, OutboxMessage
from kit.service import ServiceRuntime
from services.bezahlplattform.models import Originator, WebhookAttempt
from services.bezahlplattform.notifications.signature import (
    EVENT_ID_HEADER,
    ORIGINATOR_HEADER,
    SIGNATURE_HEADER,
    sign,
)

log = logging.getLogger("basisdienste.bezahlplattform.webhooks")

CHANNEL = "bp-webhook"


def enqueue(session: AsyncSession, runtime: ServiceRuntime, originator: Originator, *, type_: str,
            data: dict[str, Any]) -> str | None:
    """Queue an event for the originator's webhook URL in the caller's transaction; None when it has none."""
    if not originator.webhook_url:
        return None
    now = runtime.clock.now()
    event_id = "evt_" + uuid.uuid4().hex
    payload = {"id": event_id, "type": type_, "created": int(now.timestamp()), "originatorId": originator.id,
               "data": {"object": data}}
    runtime.outbox.enqueue(session, channel=CHANNEL, target=originator.webhook_url, payload=payload,
                           headers={ORIGINATOR_HEADER: originator.id, EVENT_ID_HEADER: event_id})
    return event_id


class WebhookSender:
    """The outbox channel handler: signs with the originator's current secret and posts the event."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._http: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0), follow_redirects=False)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __call__(self, message: OutboxMessage) -> None:
        runtime = self.runtime
        headers = dict(message.headers or {})
        event_id = headers.get(EVENT_ID_HEADER, "")
        status_code: int | None = None
        error: str | None = None
        try:
            await runtime.faults.check("webhook.deliver")
            async with runtime.db.sessionmaker() as session:
                secret = await session.scalar(select(Originator.webhook_secret)
                                              .where(Originator.id == headers.get(ORIGINATOR_HEADER)))
            if secret is None:
                raise DeliveryFailed("the originator of this webhook no longer exists")
            body = json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False).encode()
            headers[SIGNATURE_HEADER] = sign(secret, int(runtime.clock.now().timestamp()), body)
            headers["Content-Type"] = "application/json"
            headers["User-Agent"] = "Bezahlplattform-Webhooks/1.0 (basisdienste)"
            response = await self.client().post(message.target, content=body, headers=headers)
            status_code = response.status_code
            if not response.is_success:
                raise DeliveryFailed(f"HTTP {response.status_code} from {message.target}")
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
            raise
        finally:
            await self._record(message, event_id, status_code, error, runtime.clock.now())

    async def _record(self, message: OutboxMessage, event_id: str, status_code: int | None, error: str | None,
                      at: dt.datetime) -> None:
        try:
            async with self.runtime.db.sessionmaker() as session, session.begin():
                session.add(WebhookAttempt(message_id=message.id, event_id=event_id, target=message.target,
                                           status_code=status_code, error=error, at=at))
        except Exception:  # the attempt log is for developers; delivery bookkeeping is the outbox's
            log.exception("could not record a webhook attempt for %s", message.id)


async def list_webhooks(session: AsyncSession, *, limit: int) -> list[dict[str, Any]]:
    """Webhooks queued or sent, newest first, with every attempt (developer endpoint)."""
    messages = (await session.scalars(select(OutboxMessage).where(OutboxMessage.channel == CHANNEL)
                                      .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                                      .limit(limit))).all()
    ids = [m.id for m in messages]
    attempts: dict[str, list[dict[str, Any]]] = {}
    if ids:
        rows = (await session.scalars(select(WebhookAttempt).where(WebhookAttempt.message_id.in_(ids))
                                      .order_by(WebhookAttempt.id))).all()
        for row in rows:
            attempts.setdefault(row.message_id, []).append({
                "at": row.at.isoformat().replace("+00:00", "Z"), "statusCode": row.status_code, "error": row.error})
    out = []
    for m in messages:
        item = m.as_dict()
        out.append({"eventId": m.payload.get("id"), "type": m.payload.get("type"), "target": m.target,
                    "status": m.status, "attempts": m.attempts, "nextAttemptAt": item["next_attempt_at"],
                    "deliveredAt": item["delivered_at"], "lastError": m.last_error,
                    "attemptLog": attempts.get(m.id, []), "payload": m.payload})
    return out
