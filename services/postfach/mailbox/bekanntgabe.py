"""When an electronic notice counts as delivered (Bekanntgabe), computed from the recorded times and the kit clock:

- ``ozg9`` — § 9 Abs. 1 OZG: on the N-th day after it was made available for retrieval (N is a setting per rule set,
  4 by default after the PostModG change of 1.1.2025, 3 before); a retrieval does not move the date.
- ``vwvfg41_2a`` — § 41 Abs. 2a VwVfG: on the day after retrieval; not retrieved within 10 days of the
  notification, the provision ends and the notice is **not** delivered.
- ``none`` — a plain message, not a notice: no Bekanntgabe.

Days are calendar days in German local time (Europe/Berlin): "the third day after" is a date, not 72 hours.
The rule's day count is stored on the message when it is provided, so a later settings change does not rewrite
the dates of notices already out.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from services.postfach.mailbox.models import Message

BERLIN = ZoneInfo("Europe/Berlin")
OZG9, VWVFG41_2A, NONE = "ozg9", "vwvfg41_2a", "none"
RULES = (OZG9, VWVFG41_2A, NONE)
PENDING, BEKANNTGEGEBEN, NOT_DELIVERED = "pending", "bekanntgegeben", "not_delivered"


def local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(BERLIN).date()


def start_of(day: dt.date) -> dt.datetime:
    """The first instant of a German calendar day, in UTC."""
    return dt.datetime.combine(day, dt.time(), BERLIN).astimezone(dt.UTC)


@dataclass(frozen=True)
class Bekanntgabe:
    rule: str
    status: str
    date: dt.date | None
    # When the status changed (or will change): the start of the Bekanntgabe day, or the end of the retrieval window.
    effective_at: dt.datetime | None
    retrieval_deadline: dt.datetime | None = None

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {"rule": self.rule, "status": self.status,
                                   "date": self.date.isoformat() if self.date else None}
        if self.retrieval_deadline is not None:
            body["retrievalDeadline"] = self.retrieval_deadline.isoformat().replace("+00:00", "Z")
        return body


def compute(message: Message, now: dt.datetime, *, window_days: int) -> Bekanntgabe:
    rule = message.bekanntgabe_rule
    if rule == OZG9:
        day = local_date(message.provided_at) + dt.timedelta(days=message.bekanntgabe_days or 0)
        at = start_of(day)
        return Bekanntgabe(rule, BEKANNTGEGEBEN if now >= at else PENDING, day, at)
    if rule == VWVFG41_2A:
        notified = message.notified_at or message.provided_at
        deadline = notified + dt.timedelta(days=window_days)
        if message.retrieved_at is not None and message.retrieved_at < deadline:
            day = local_date(message.retrieved_at) + dt.timedelta(days=1)
            at = start_of(day)
            return Bekanntgabe(rule, BEKANNTGEGEBEN if now >= at else PENDING, day, at, deadline)
        if now >= deadline:
            return Bekanntgabe(rule, NOT_DELIVERED, None, deadline, deadline)
        return Bekanntgabe(rule, PENDING, None, None, deadline)
    return Bekanntgabe(NONE, PENDING, None, None)


def next_change(message: Message, *, window_days: int) -> dt.datetime | None:
    """The instant the Bekanntgabe status changes next if nothing else happens (None: it never will)."""
    result = compute(message, dt.datetime.min.replace(tzinfo=dt.UTC), window_days=window_days)
    return result.effective_at or result.retrieval_deadline


def provision_ended(message: Message, now: dt.datetime, *, window_days: int) -> bool:
    """Under § 41 Abs. 2a VwVfG an unretrieved notice is withdrawn when the window closes."""
    return compute(message, now, window_days=window_days).status == NOT_DELIVERED and message.retrieved_at is None
