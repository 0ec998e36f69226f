"""Sending a sealed Bescheid to the addressee's mailbox through the postfach service's ZBP message API
(``POST /api/v6/messages``, signed envelope, the PDF as attachment) and reading back what became of it
(``GET /api/v6/messages/{id}``: provided, notified, retrieved, Bekanntgabe). Never imports the postfach."""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from kit import zbp
from kit.problems import Problem
from services.bescheid.models import Authority, Bescheid, Template
from services.bescheid.state import BescheidState

log = logging.getLogger("basisdienste.bescheid.delivery")

FINAL_BEKANNTGABE = ("bekanntgegeben", "not_delivered")


class DeliveryRetry(Exception):
    """The Postfach could not take the message now (unreachable, 5xx, 429); the outbox retries."""


@dataclass(frozen=True)
class Outcome:
    message_id: str
    provided_at: dt.datetime | None
    bekanntgabe: dict[str, Any] | None


def parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def message_fields(bescheid: Bescheid, authority: Authority, template: Template, *, stork_qaa_level: int,
                   external_url: str) -> dict[str, Any]:
    return {
        "mailboxUuid": bescheid.addressee_handle,
        "stork_qaa_level": stork_qaa_level,
        "sender": authority.name,
        "title": f"{template.title} ({bescheid.number})"[:1024],
        "content": (f"Guten Tag,\n\n{authority.name} hat Ihnen einen Bescheid zugestellt: {template.title}, "
                    f"Aktenzeichen {bescheid.aktenzeichen}. Den elektronisch gesiegelten Bescheid finden Sie im "
                    f"Anhang (PDF).\n\nDiese Nachricht stammt aus einer Testumgebung."),
        "service": template.service[:255],
        "reference": bescheid.number[:255],
        "senderUrl": external_url[:255],
    }


async def send(state: BescheidState, *, fields: dict[str, Any], filename: str, pdf: bytes, rule: str,
               now: dt.datetime) -> Outcome:
    """Deliver once. Refusals for this message (unknown mailbox, limits) raise a 422 problem: the notice must
    not be issued; transient failures raise :class:`DeliveryRetry`."""
    assert state.author is not None
    try:
        response = await zbp.send_message(state.credentials, state.author, fields, [(filename, pdf, "application/pdf")],
                                          now=now, bekanntgabe_rule=rule)
    except (httpx.HTTPError, Problem) as exc:
        raise DeliveryRetry(f"Postfach unreachable: {exc}") from exc
    if response.status_code == 201:
        body = response.json()
        return Outcome(str(body["messageId"]), parse_time(body.get("providedAt")), body.get("bekanntgabe"))
    problem = _problem_of(response)
    if response.status_code == 404 and str(problem.get("type", "")).endswith("mailbox-not-found"):
        raise Problem(422, f"The addressee's postkorb handle {fields['mailboxUuid']} names no Postfach mailbox; "
                      "nothing was issued.", type_="unknown-addressee", title="Unknown addressee",
                      errors=[{"in": "body", "pointer": "/addressee/postkorbHandle", "detail": "no such mailbox"}])
    if response.status_code in (408, 429) or response.status_code >= 500:
        raise DeliveryRetry(f"Postfach answered {response.status_code}: {response.text[:300]}")
    raise Problem(422, f"The Postfach refused the notice ({response.status_code}): {problem.get('detail') or ''}"
                  .strip(), type_="delivery-refused", title="Postfach refused the notice", postfach=problem)


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"status": response.status_code, "detail": response.text[:300]}
    return body if isinstance(body, dict) else {"status": response.status_code}


def record(bescheid: Bescheid, outcome: Outcome) -> None:
    bescheid.delivery_status = "delivered"
    bescheid.delivery_error = None
    bescheid.message_id = outcome.message_id
    bescheid.provided_at = outcome.provided_at
    if outcome.bekanntgabe:
        bescheid.bekanntgabe = outcome.bekanntgabe


async def refresh(state: BescheidState, bescheid: Bescheid) -> bool:
    """Read the message's state from the Postfach into ``bescheid``; answers whether anything changed. A Postfach
    that cannot answer now leaves the last known state (the next read tries again)."""
    if bescheid.message_id is None:
        return False
    if bescheid.bekanntgabe and bescheid.bekanntgabe.get("status") in FINAL_BEKANNTGABE and bescheid.retrieved_at:
        return False
    try:
        response = await state.credentials.request("postfach", "GET", f"{zbp.MESSAGES_PATH}/{bescheid.message_id}")
    except (httpx.HTTPError, Problem) as exc:
        log.info("cannot read message %s from the Postfach: %s", bescheid.message_id, exc)
        return False
    if response.status_code != 200:
        log.info("Postfach answered %s for message %s", response.status_code, bescheid.message_id)
        return False
    body = response.json()
    before = (bescheid.provided_at, bescheid.notified_at, bescheid.retrieved_at, bescheid.bekanntgabe)
    bescheid.provided_at = parse_time(body.get("providedAt")) or bescheid.provided_at
    bescheid.notified_at = parse_time(body.get("notifiedAt"))
    bescheid.retrieved_at = parse_time(body.get("retrievedAt"))
    if isinstance(body.get("bekanntgabe"), dict):
        bescheid.bekanntgabe = body["bekanntgabe"]
    return before != (bescheid.provided_at, bescheid.notified_at, bescheid.retrieved_at, bescheid.bekanntgabe)
