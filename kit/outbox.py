"""Transactional outbox: notifications (webhooks, e-mails) are rows written in the same transaction as the
business change that causes them, and a background dispatcher delivers them with retries, so nothing
acknowledged is lost (house rule 7). Delivery is at least once; backoff is capped exponential with full
jitter.
"""

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import JSON, Index, String, Text, and_, event, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from kit.clock import Clock
from kit.db import Database
from kit.faults import Faults
from kit.models import KitBase
from kit.peers import Peers

log = logging.getLogger("basisdienste.outbox")

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
PEER_SCHEME = "peer://"
MAX_ERROR_CHARS = 2000
# The fault point of every delivery (kit/faults.py): a test makes webhooks, callbacks and mails fail here.
DELIVER_OPERATION = "outbox.deliver"
# Header values the developer endpoint must not show: webhook targets often authenticate with them.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
_WAKE_FLAG = "kit.outbox.wake"
_LISTENING = "kit.outbox.listening"

ChannelHandler = Callable[["OutboxMessage"], Awaitable[None]]


def _new_id() -> str:
    """A UUIDv7-style id (RFC 9562): ordered by real insertion time, which breaks ties between messages
    created at the same frozen kit-clock instant when listing newest first."""
    global _last_id_ms, _id_counter
    ms = time.time_ns() // 1_000_000
    if ms <= _last_id_ms:
        _id_counter += 1
        if _id_counter > 0xFFF:  # 4096 ids in one millisecond: borrow the next millisecond, order is kept
            _last_id_ms, _id_counter = _last_id_ms + 1, 0
        ms = _last_id_ms
    else:
        _last_id_ms, _id_counter = ms, 0
    rand_b = int.from_bytes(os.urandom(8)) & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (_id_counter << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))


_last_id_ms = 0
_id_counter = 0


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


class DeliveryFailed(Exception):
    """A channel could not deliver; the message is retried later."""


class OutboxMessage(KitBase):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    channel: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    headers: Mapped[dict[str, str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    next_attempt_at: Mapped[dt.datetime]
    # The dispatcher's lease: a claimed message is skipped by other passes until this time.
    locked_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "target": self.target,
            "payload": self.payload,
            "headers": {k: "***" if k.lower() in _SECRET_HEADERS else v
                        for k, v in (self.headers or {}).items()},
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "locked_until": _iso(self.locked_until),
            "last_error": self.last_error,
            "created_at": _iso(self.created_at),
            "delivered_at": _iso(self.delivered_at),
        }


class Outbox:
    """Enqueue notifications inside a request's transaction; deliver them in the background.

    ``enqueue`` never commits: the row becomes visible exactly when the caller's business change does, and a
    rolled-back request sends nothing.
    """

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        peers: Peers,
        faults: Faults,
        service: str,
        max_attempts: int = 8,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        poll_interval: float = 0.5,
        lease_seconds: float = 60.0,
        batch_size: int = 50,
        concurrency: int = 10,
        http_timeout: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.peers = peers
        self.faults = faults
        faults.declare(DELIVER_OPERATION)
        self.service = service
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.poll_interval = poll_interval
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.batch_size = batch_size
        self.http_timeout = http_timeout
        self._rng = rng or random.Random()
        self.concurrency = concurrency
        self._channels: dict[str, ChannelHandler] = {"http": self._deliver_http, "mail": self._deliver_mail}
        self._http: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        # Messages this process is delivering right now. The lease is measured on the kit clock, which a user
        # can advance past it mid-delivery; this set keeps such a message from being claimed twice meanwhile.
        # (The clock belongs to the process, so across processes the lease alone is sound.)
        self._in_flight: set[str] = set()

    # -- producing -------------------------------------------------------------------------------------------

    def register_channel(self, name: str, handler: ChannelHandler) -> None:
        """Add or replace a channel; ``handler`` delivers one message and raises when it could not."""
        self._channels[name] = handler

    def enqueue(
        self,
        session: AsyncSession,
        *,
        channel: str,
        target: str,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> OutboxMessage:
        """Add a message to the caller's session; it is sent once (and only if) that session commits."""
        if channel not in self._channels:
            known = ", ".join(sorted(self._channels))
            raise ValueError(f"unknown outbox channel {channel!r} (known: {known})")
        if channel == "http" and not target.startswith(("http://", "https://", PEER_SCHEME)):
            raise ValueError(f"http target must be http(s)://… or {PEER_SCHEME}<service>/<path>: {target!r}")
        now = self.clock.now()
        message = OutboxMessage(
            id=_new_id(), channel=channel, target=target, payload=payload, headers=dict(headers or {}),
            status=PENDING, attempts=0, next_attempt_at=now, locked_until=None, last_error=None,
            created_at=now, delivered_at=None,
        )
        session.add(message)
        info = session.sync_session.info
        if _LISTENING not in info:  # one listener per session, however many messages it carries
            info[_LISTENING] = True
            event.listen(session.sync_session, "after_commit", self._after_commit)
        info[_WAKE_FLAG] = True
        return message

    def _after_commit(self, session: Session) -> None:
        # Runs on the event loop's thread (SQLAlchemy's async layer drives sync code in a greenlet), so
        # setting the asyncio.Event directly is safe; the dispatcher then delivers without waiting for a poll.
        if session.info.pop(_WAKE_FLAG, False):
            self._wake.set()

    # -- dispatching -----------------------------------------------------------------------------------------

    async def dispatch_due(self) -> int:
        """One pass: claim the messages that are due, deliver them, record the outcome. Returns how many."""
        messages = await self._claim()
        if not messages:
            return 0
        self._in_flight.update(m.id for m in messages)
        # One slow receiver must not hold up the others, yet a pass must not open hundreds of connections.
        # Made per pass because a semaphore binds to the event loop that first waits on it.
        semaphore = asyncio.Semaphore(self.concurrency)
        try:
            await asyncio.gather(*(self._deliver(m, semaphore) for m in messages))
        finally:
            self._in_flight.difference_update(m.id for m in messages)
        return len(messages)

    async def _claim(self) -> list[OutboxMessage]:
        now = self.clock.now()
        claimable = and_(
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
        )
        due = (select(OutboxMessage.id).where(claimable).order_by(OutboxMessage.next_attempt_at)
               .limit(self.batch_size))
        if self._in_flight:
            due = due.where(OutboxMessage.id.not_in(list(self._in_flight)))
        if not self.db.target.is_sqlite:
            # Concurrent dispatchers skip each other's rows instead of queueing behind them. SQLite serialises
            # writers anyway, and it has no row locks to skip.
            due = due.with_for_update(skip_locked=True)
        # The claim is one conditional UPDATE that repeats the conditions: a row another dispatcher claimed
        # between our read and our write no longer matches, so no message is ever held by two passes.
        claim = (update(OutboxMessage).where(OutboxMessage.id.in_(due), claimable)
                 .values(locked_until=now + self.lease, attempts=OutboxMessage.attempts + 1)
                 .returning(OutboxMessage)
                 .execution_options(synchronize_session=False))
        async with self.db.sessionmaker() as session, session.begin():
            return list((await session.scalars(claim)).all())

    async def _deliver(self, message: OutboxMessage, semaphore: asyncio.Semaphore) -> None:
        async with semaphore:
            try:
                await self.faults.check(DELIVER_OPERATION)
                handler = self._channels.get(message.channel)
                if handler is None:
                    raise DeliveryFailed(f"no handler for channel {message.channel!r} in this process")
                await handler(message)
            except Exception as exc:  # any failure of a channel means: try again later
                await self._record_failure(message, f"{type(exc).__name__}: {exc}")
            else:
                await self._record(message, status=DELIVERED, delivered_at=self.clock.now(), last_error=None)

    async def _record_failure(self, message: OutboxMessage, error: str) -> None:
        if message.attempts >= self.max_attempts:
            log.warning("outbox message %s to %s is dead after %d attempts: %s",
                        message.id, message.target, message.attempts, error)
            await self._record(message, status=DEAD, last_error=error[:MAX_ERROR_CHARS])
            return
        delay = self.backoff(message.attempts)
        log.info("outbox message %s to %s failed (attempt %d), retry in %.1fs: %s",
                 message.id, message.target, message.attempts, delay, error)
        await self._record(message, status=PENDING, last_error=error[:MAX_ERROR_CHARS],
                           next_attempt_at=self.clock.now() + dt.timedelta(seconds=delay))

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed try: full jitter over a capped exponential, so
        receivers that come back after an outage are not hit by every sender at the same instant."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(attempts - 1, 0))
        return self._rng.uniform(0, ceiling)

    async def _record(self, message: OutboxMessage, **values: Any) -> None:
        # Fenced by the lease we set: if it expired and another pass claimed the message meanwhile, that pass
        # owns the outcome and ours is dropped rather than overwriting it.
        fenced = (update(OutboxMessage)
                  .where(OutboxMessage.id == message.id, OutboxMessage.locked_until == message.locked_until)
                  .values(locked_until=None, **values)
                  .execution_options(synchronize_session=False))
        try:
            async with self.db.sessionmaker() as session, session.begin():
                await session.execute(fenced)
        except Exception:
            # The lease expires on its own and the message is retried; losing this write only delays it.
            log.exception("could not record the outcome of outbox message %s", message.id)

    # -- channels --------------------------------------------------------------------------------------------

    async def _deliver_http(self, message: OutboxMessage) -> None:
        headers = {"User-Agent": f"basisdienste-{self.service}", **(message.headers or {})}
        if message.target.startswith(PEER_SCHEME):
            peer, _, path = message.target.removeprefix(PEER_SCHEME).partition("/")
            response = await self.peers.client(peer).post("/" + path, json=message.payload, headers=headers)
        else:
            response = await self._http_client().post(message.target, json=message.payload, headers=headers)
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code} from {message.target}: {response.text[:500]}")

    async def _deliver_mail(self, message: OutboxMessage) -> None:
        """The emulator never sends real e-mail: a mail is delivered by being recorded, and the developer
        endpoint ``GET /_emulator/outbox`` shows what would have been sent."""

    def _http_client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(self.http_timeout, connect=5.0),
                                           follow_redirects=False)
        return self._http

    # -- lifecycle -------------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None

    async def start(self) -> None:
        """Run the dispatcher in the background; messages left pending by an earlier process go out first."""
        if self._task is not None:
            return
        self._stopping = False
        self._wake = asyncio.Event()  # bound to the loop that runs the dispatcher
        self._task = asyncio.create_task(self._run(), name=f"outbox-{self.service}")

    async def stop(self, grace: float = 5.0) -> None:
        """Let the current pass finish (up to ``grace`` seconds), then cancel; unfinished leases expire."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping = True
            self._wake.set()
            _, pending = await asyncio.wait({task}, timeout=grace)
            if pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _run(self) -> None:
        while not self._stopping:
            processed = 0
            try:
                processed = await self.dispatch_due()
            except Exception:
                log.exception("outbox pass failed; the next one retries")
            if processed >= self.batch_size or self._stopping:
                continue  # more may be due right now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            self._wake.clear()

    # -- inspection ------------------------------------------------------------------------------------------

    async def list_messages(self, *, limit: int) -> list[dict[str, Any]]:
        """The newest messages and their delivery state, as JSON-ready dicts (``GET /_emulator/outbox``)."""
        query = (select(OutboxMessage)
                 .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit))
        async with self.db.sessionmaker() as session:
            return [m.as_dict() for m in (await session.scalars(query)).all()]
