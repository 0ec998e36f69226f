"""Idempotency keys for POST and PATCH, with Stripe's semantics and the header of the IETF draft
``draft-ietf-httpapi-idempotency-key-header``: a client that retries a request with the same
``Idempotency-Key`` gets the first answer again (marked ``Idempotent-Replayed: true``) instead of a second
payment or submission.

Keys are scoped to the caller's ``Authorization`` header, so two clients never see each other's answers, and
expire after 24 hours of kit-clock time.
"""

import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, String, Text, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.clock import Clock
from kit.db import Database
from kit.faults import FAULT_HEADER
from kit.models import KitBase
from kit.problems import PROBLEM_MEDIA_TYPE, Problem, problem_response

log = logging.getLogger("basisdienste.idempotency")

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
IN_FLIGHT, DONE = "in_flight", "done"
PURGE_EVERY_SECONDS = 600.0

# Replayed with the stored body: the headers that describe the answer itself. Per-request headers (request id,
# date, cookies, content-length) are left out; a replay gets fresh ones.
_STORED_HEADERS = frozenset({
    "content-type", "content-location", "content-disposition", "content-language", "content-encoding",
    "location", "etag", "last-modified", "link", "retry-after", "cache-control", "www-authenticate",
})
# Problem types meaning "the endpoint never started": not stored, so the client can fix the request and retry.
_UNSTORED_PROBLEM_TYPES = ("validation-error", "malformed-body")
# "Try again later" answers: storing them would turn a transient refusal into a permanent one.
_UNSTORED_STATUSES = frozenset({429, 503})


class IdempotencyKey(KitBase):
    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)

    # sha256 of the Authorization header: the key's namespace, without storing the credential itself.
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    request_method: Mapped[str] = mapped_column(String(16))
    request_path: Mapped[str] = mapped_column(Text)
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    locked_at: Mapped[dt.datetime]
    response_status: Mapped[int | None]
    response_headers: Mapped[list[list[str]] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]


def parse_key(raw: bytes) -> str:
    """The draft defines the header as a Structured Field string (``"abc"``); Stripe's clients send it bare.
    Both spellings name the same key."""
    value = raw.decode("latin-1").strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value


@dataclass(frozen=True)
class _Request:
    scope: str
    key: str
    method: str
    path: str
    fingerprint: str


@dataclass(frozen=True)
class _Claimed:
    locked_at: dt.datetime


@dataclass(frozen=True)
class _Replay:
    status: int
    headers: list[list[str]]
    body: bytes


class IdempotencyMiddleware:
    """Pure ASGI middleware; sits inside the body limit, so the body it buffers is already capped."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        db: Database,
        clock: Clock,
        ttl: dt.timedelta = dt.timedelta(hours=24),
        lease: dt.timedelta = dt.timedelta(seconds=60),
        methods: frozenset[str] = frozenset({"POST", "PATCH"}),
    ) -> None:
        self.app = app
        self.db = db
        self.clock = clock
        self.ttl = ttl
        # An in-flight key older than this belongs to a request that died with its process: it can be taken.
        self.lease = lease
        self.methods = methods
        self._last_purge = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in self.methods:
            await self.app(scope, receive, send)
            return
        raw_key = authorization = None
        for name, value in scope["headers"]:
            if name == b"idempotency-key" and raw_key is None:
                raw_key = value
            elif name == b"authorization" and authorization is None:
                authorization = value
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = parse_key(raw_key)
        if not 0 < len(key) <= MAX_KEY_LENGTH:
            await self._problem(scope, receive, send, Problem(
                400, f"The {IDEMPOTENCY_HEADER} header must hold 1 to {MAX_KEY_LENGTH} characters.",
                type_="idempotency-key-invalid", title="Invalid idempotency key"))
            return

        body = await _read_body(receive)
        if body is None:
            return  # the client left before sending its body: there is no request to run or to remember
        query = scope.get("query_string", b"").decode("latin-1")
        request = _Request(
            scope=hashlib.sha256(authorization or b"anonymous").hexdigest(),
            key=key,
            method=scope["method"],
            path=scope["path"] + (f"?{query}" if query else ""),
            fingerprint=hashlib.sha256(body).hexdigest(),
        )
        outcome = await self._claim(request)
        if isinstance(outcome, Problem):
            await self._problem(scope, receive, send, outcome)
        elif isinstance(outcome, _Replay):
            await _send_replay(send, outcome)
        else:
            await self._run(scope, receive, send, request, outcome, body)

    # -- the key's life --------------------------------------------------------------------------------------

    async def _claim(self, request: _Request) -> _Claimed | _Replay | Problem:
        await self._purge_expired()
        in_use = Problem(409, "A request with this Idempotency-Key is still being processed; retry shortly.",
                         type_="idempotency-key-in-use", title="Idempotency key in use",
                         headers={"Retry-After": "1"})
        # Three rounds cover a row that disappears between our failed insert and our read (a request that was
        # released after a validation error); a key that keeps changing under us is reported as in use.
        for _ in range(3):
            now = self.clock.now()
            try:
                async with self.db.sessionmaker() as session, session.begin():
                    session.add(IdempotencyKey(
                        scope=request.scope, key=request.key, request_method=request.method,
                        request_path=request.path, request_fingerprint=request.fingerprint, status=IN_FLIGHT,
                        locked_at=now, created_at=now, expires_at=now + self.ttl))
                return _Claimed(now)
            except IntegrityError:
                pass  # the key exists: decide from its row below
            async with self.db.sessionmaker() as session:
                row = await session.get(IdempotencyKey, (request.scope, request.key))
            if row is None:
                continue
            if row.expires_at <= now:  # an expired key counts as absent
                if await self._take_over(request, now, IdempotencyKey.expires_at == row.expires_at):
                    return _Claimed(now)
                continue
            if (row.request_method, row.request_path, row.request_fingerprint) != (
                    request.method, request.path, request.fingerprint):
                return Problem(422, "This Idempotency-Key was already used for a different request (method, "
                               "path or body). Use a new key for a new request.",
                               type_="idempotency-key-reused", title="Idempotency key reused")
            if row.status == DONE:
                return _Replay(row.response_status or 500, row.response_headers or [],
                               row.response_body or b"")
            if row.locked_at + self.lease > now:
                return in_use
            # Abandoned by a crashed request: fenced on its locked_at, so only one retry takes it over.
            fence = (IdempotencyKey.status == IN_FLIGHT) & (IdempotencyKey.locked_at == row.locked_at)
            if await self._take_over(request, now, fence):
                return _Claimed(now)
            return in_use
        return in_use

    async def _take_over(self, request: _Request, now: dt.datetime, fence: Any) -> bool:
        statement = (update(IdempotencyKey)
                     .where(IdempotencyKey.scope == request.scope, IdempotencyKey.key == request.key, fence)
                     .values(request_method=request.method, request_path=request.path,
                             request_fingerprint=request.fingerprint, status=IN_FLIGHT, locked_at=now,
                             response_status=None, response_headers=None, response_body=None,
                             created_at=now, expires_at=now + self.ttl)
                     .execution_options(synchronize_session=False))
        async with self.db.sessionmaker() as session, session.begin():
            return (await session.execute(statement)).rowcount == 1

    def _ours(self, request: _Request, claimed: _Claimed) -> Any:
        # Every write after the claim is fenced on our locked_at: if our request outlived its lease and
        # another took the key over, the newer owner's row is left alone.
        return ((IdempotencyKey.scope == request.scope) & (IdempotencyKey.key == request.key)
                & (IdempotencyKey.status == IN_FLIGHT) & (IdempotencyKey.locked_at == claimed.locked_at))

    async def _store(self, request: _Request, claimed: _Claimed, answer: _Replay) -> None:
        statement = (update(IdempotencyKey).where(self._ours(request, claimed))
                     .values(status=DONE, response_status=answer.status, response_headers=answer.headers,
                             response_body=answer.body)
                     .execution_options(synchronize_session=False))
        async with self.db.sessionmaker() as session, session.begin():
            await session.execute(statement)

    async def _release(self, request: _Request, claimed: _Claimed) -> None:
        statement = delete(IdempotencyKey).where(self._ours(request, claimed))
        async with self.db.sessionmaker() as session, session.begin():
            await session.execute(statement)

    async def _purge_expired(self) -> None:
        # Expired keys are already treated as absent; deleting them now and then only keeps the table small.
        if time.monotonic() - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = time.monotonic()
        try:
            async with self.db.sessionmaker() as session, session.begin():
                expired = IdempotencyKey.expires_at <= self.clock.now()
                await session.execute(delete(IdempotencyKey).where(expired))
        except Exception:
            log.exception("could not purge expired idempotency keys")

    # -- running the endpoint --------------------------------------------------------------------------------

    async def _run(self, scope: Scope, receive: Receive, send: Send, request: _Request, claimed: _Claimed,
                   body: bytes) -> None:
        status: int | None = None
        headers: list[list[str]] = []
        chunks: list[bytes] = []
        body_delivered = False

        async def replay_receive() -> Message:
            nonlocal body_delivered
            if not body_delivered:
                body_delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the client's disconnect, as the server would

        async def capturing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                raw = message.get("headers", [])
                headers.extend([k.decode("latin-1"), v.decode("latin-1")] for k, v in raw)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capturing_send)
        except Exception:
            if status is not None:  # the answer is half sent; nothing consistent can be stored
                await self._release(request, claimed)
                raise
            # Stripe stores server errors too: a retry must not run a request that may have half-happened. The
            # answer is the one the kit's problem handler would give, built here so the replay is identical.
            log.exception("unhandled error on %s %s", request.method, scope["path"])
            response = problem_response(Problem(500, "The service failed unexpectedly."), scope["path"])
            await response(scope, replay_receive, capturing_send)
        # A cancelled request (client gone, shutdown) leaves its key in flight; the lease frees it later.

        try:
            if status is None:
                await self._release(request, claimed)
                return
            kept = [[k, v] for k, v in headers if k.lower() in _STORED_HEADERS]
            answer = _Replay(status, kept, b"".join(chunks))
            if _storable(answer, headers):
                await self._store(request, claimed, answer)
            else:
                await self._release(request, claimed)
        except Exception:
            # The client already has its answer; a key we could not update stays in flight until its lease
            # ends, so the worst case is a retry that runs again, never a lost response.
            log.exception("could not record the outcome of idempotency key %s", request.key)

    async def _problem(self, scope: Scope, receive: Receive, send: Send, problem: Problem) -> None:
        await problem_response(problem, scope["path"])(scope, receive, send)


def _storable(answer: _Replay, all_headers: list[list[str]]) -> bool:
    """Whether the endpoint really ran. Validation failures never reached it, "try later" answers refused it,
    and faults injected by the emulator stand for transient failures that a retry is meant to get past."""
    if any(k.lower() == FAULT_HEADER.lower() for k, _ in all_headers):
        return False
    if answer.status in _UNSTORED_STATUSES:
        return False
    if answer.status in (400, 422):
        content_type = next((v for k, v in answer.headers if k.lower() == "content-type"), "")
        if content_type.startswith(PROBLEM_MEDIA_TYPE):
            try:
                problem_type = str(json.loads(answer.body).get("type", ""))
            except (ValueError, AttributeError):
                return True
            if problem_type.endswith(_UNSTORED_PROBLEM_TYPES):
                return False
    return True


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body (the fingerprint needs it before the endpoint runs), or None if the client left."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send_replay(send: Send, replay: _Replay) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in replay.headers]
    if not (replay.status < 200 or replay.status in (204, 304)):
        headers.append((b"content-length", str(len(replay.body)).encode()))
    headers.append((REPLAYED_HEADER.lower().encode(), b"true"))
    await send({"type": "http.response.start", "status": replay.status, "headers": headers})
    await send({"type": "http.response.body", "body": replay.body})
