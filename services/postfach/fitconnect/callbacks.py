"""Callbacks to a destination's Fachverfahren when submissions arrive (FIT-Connect callback spec): ``POST`` to
the destination's callback URL with ``callback-timestamp`` (unix seconds) and ``callback-authentication``
(hex HMAC-SHA512 of ``timestamp + "." + body`` keyed with the callback secret). Queued in the kit outbox in the
same transaction as the submit, and signed at each delivery attempt, so a retry carries a fresh timestamp and
the current secret (which is never stored in the outbox row).
"""

import hashlib
import hmac
import json
import logging
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from kit.outbox import DeliveryFailed, OutboxMessage
from services.postfach.fitconnect.models import FcDestination, FcSubmission
from services.postfach.fitconnect.state import FitConnect

log = logging.getLogger("basisdienste.postfach.fitconnect")

CHANNEL = "fitconnect-callback"
NEW_SUBMISSIONS = "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions"


def body_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def authentication(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha512).hexdigest()


def enqueue_new_submission(session: AsyncSession, fc: FitConnect, destination: FcDestination,
                           submission: FcSubmission) -> bool:
    """Queue the new-submissions callback; False when the destination has none configured."""
    if not destination.callback_url or not destination.callback_secret:
        return False
    fc.runtime.outbox.enqueue(session, channel=CHANNEL, target=destination.callback_url, payload={
        "destinationId": destination.destination_id,
        "body": {"type": NEW_SUBMISSIONS, "submissions": [{
            "destinationId": submission.destination_id, "submissionId": submission.submission_id,
            "caseId": submission.case_id}]},
    })
    return True


class CallbackChannel:
    """The outbox channel that signs and posts callbacks."""

    def __init__(self, fc: FitConnect) -> None:
        self.fc = fc
        self._http: httpx.AsyncClient | None = None

    async def __call__(self, message: OutboxMessage) -> None:
        async with self.fc.runtime.db.sessionmaker() as session:
            destination = await session.get(FcDestination, message.payload["destinationId"])
        if destination is None or not destination.callback_secret:
            raise DeliveryFailed("the destination no longer has a callback secret")
        body = body_bytes(message.payload["body"])
        timestamp = str(int(self.fc.runtime.clock.timestamp()))
        headers = {"Content-Type": "application/json", "callback-timestamp": timestamp,
                   "callback-authentication": authentication(destination.callback_secret, timestamp, body),
                   "User-Agent": "basisdienste-fitconnect"}
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0), follow_redirects=False)
        response = await self._http.post(message.target, content=body, headers=headers)
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code} from {message.target}: {response.text[:300]}")

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
