"""The tamper-evident event trail of a message: an append-only hash chain, as OSCI's Laufzettel and De-Mail's
receipts gave proof of dispatch, arrival and pick-up.

Each event's hash is SHA-256 over the previous event's hash and the event's own canonical JSON (keys sorted, no
whitespace, UTF-8), starting from 64 zeros. Changing, removing or reordering any stored event breaks every hash from
there on, which :func:`verify` reports. Appending is a compare-and-set on the message's ``trail_head``.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kit.problems import Problem
from services.postfach.mailbox.models import Message, MessageEvent

GENESIS = "0" * 64
ALGORITHM = "SHA-256(prevHash || canonical JSON of {messageId, seq, kind, at, data})"
# Event kinds, in the order they usually happen.
PROVIDED, NOTIFIED, RETRIEVED, CONFIRMATION_SENT = "provided", "notified", "retrieved", "confirmation_sent"
BEKANNTGABE_REACHED, BEKANNTGABE_EXPIRED = "bekanntgabe_reached", "bekanntgabe_expired"
REPLIED = "replied"


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def canonical(message_id: str, seq: int, kind: str, at: str, data: dict[str, Any]) -> bytes:
    body = {"messageId": message_id, "seq": seq, "kind": kind, "at": at, "data": data}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def link_hash(prev_hash: str, message_id: str, seq: int, kind: str, at: str, data: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(message_id, seq, kind, at, data)).hexdigest()


def new_event(message: Message, kind: str, at: dt.datetime, data: dict[str, Any] | None = None) -> MessageEvent:
    """The first link of a new message's chain (``message`` is not flushed yet); later links use :func:`append`."""
    seq, stamp, data = message.trail_seq + 1, iso(at), data or {}
    digest = link_hash(message.trail_head, message.id, seq, kind, stamp, data)
    event = MessageEvent(message_id=message.id, seq=seq, kind=kind, at=at, data=data, prev_hash=message.trail_head,
                         hash=digest)
    message.trail_head, message.trail_seq = digest, seq
    return event


async def append(session: AsyncSession, message: Message, kind: str, at: dt.datetime,
                 data: dict[str, Any] | None = None) -> MessageEvent:
    """Add an event after the chain's current head; a concurrent append in between makes this one fail (409)."""
    prev_head, prev_seq = message.trail_head, message.trail_seq
    seq, stamp, data = prev_seq + 1, iso(at), data or {}
    digest = link_hash(prev_head, message.id, seq, kind, stamp, data)
    moved = await session.execute(
        update(Message).where(Message.id == message.id, Message.trail_head == prev_head, Message.trail_seq == prev_seq)
        .values(trail_head=digest, trail_seq=seq).execution_options(synchronize_session=False))
    if not getattr(moved, "rowcount", 0):
        raise Problem(409, "The message changed meanwhile; try again.", type_="concurrent-update",
                      title="Conflict")
    # The row already holds the new head: record it as loaded, so the next flush does not write it again.
    set_committed_value(message, "trail_head", digest)
    set_committed_value(message, "trail_seq", seq)
    event = MessageEvent(message_id=message.id, seq=seq, kind=kind, at=at, data=data, prev_hash=prev_head,
                         hash=digest)
    session.add(event)
    return event


async def events_of(session: AsyncSession, message: Message) -> list[MessageEvent]:
    """The chain up to the head ``message`` holds. An append committed by another transaction after ``message`` was
    read (the outbox confirming a retrieval) is left for the next read: on PostgreSQL's READ COMMITTED the events
    query sees it, and the proof would end beyond its head and fail its own verification."""
    return list((await session.scalars(select(MessageEvent).where(MessageEvent.message_id == message.id,
                                                                  MessageEvent.seq <= message.trail_seq)
                                       .order_by(MessageEvent.seq))).all())


def export(message: Message, events: Sequence[MessageEvent]) -> dict[str, Any]:
    """The proof document an authority can keep: every event with both hashes, and how to check them."""
    return {
        "messageId": message.id,
        "mailboxUuid": message.mailbox_uuid,
        "algorithm": ALGORITHM,
        "genesis": GENESIS,
        "head": message.trail_head,
        "events": [{"seq": e.seq, "kind": e.kind, "at": iso(e.at), "data": e.data, "prevHash": e.prev_hash,
                    "hash": e.hash} for e in events],
    }


def verify(proof: dict[str, Any]) -> tuple[bool, int | None]:
    """Check an exported proof: (True, None) if every link holds and the head matches, else (False, first bad seq)."""
    prev = GENESIS
    message_id = proof.get("messageId", "")
    events = proof.get("events", [])
    for expected_seq, event in enumerate(events, start=1):
        seq = event.get("seq")
        if seq != expected_seq or event.get("prevHash") != prev:
            return False, expected_seq
        digest = link_hash(prev, message_id, seq, event.get("kind", ""), event.get("at", ""), event.get("data", {}))
        if digest != event.get("hash"):
            return False, seq
        prev = digest
    if proof.get("head") != prev:
        return False, len(events) + 1
    return True, None
