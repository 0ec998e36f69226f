"""The outbox as a receiver of webhooks and a developer see it: what arrives, when, how often, and what survives a
restart. Also checks that the kit's migrations create exactly the tables the models describe."""

import asyncio
import datetime as dt
import random
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from asgi_lifespan import LifespanManager
from fastapi import FastAPI, Request, Response
from sqlalchemy import inspect

from kit.clock import Clock
from kit.db import Database, DatabaseTarget, normalise_url
from kit.faults import Faults, FaultSpec
from kit.migrate import alembic_config, migrate
from kit.models import KitBase
from kit.outbox import Outbox, OutboxMessage
from kit.peers import Peers
from kit.settings import ServiceSettings, SuiteSettings, service_config

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class Receiver:
    """A webhook receiver that records what it gets and fails its first ``failures`` calls."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.failures = 0
        self.delay = 0.0
        self.app = FastAPI()

        @self.app.post("/hooks/{name}")
        async def hook(name: str, request: Request) -> Response:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.failures:
                self.failures -= 1
                return Response(status_code=500, content="receiver down")
            self.received.append({"name": name, "body": await request.json(), "headers": dict(request.headers)})
            return Response(status_code=204)


class Ceiling(random.Random):
    """Full jitter that always picks its upper bound, so the tests can see the backoff ceiling grow."""

    def uniform(self, a: float, b: float) -> float:
        return b


def target_for(database_url: str | None, tmp_path: Path) -> DatabaseTarget:
    if database_url:
        return DatabaseTarget(normalise_url(database_url), None)
    return DatabaseTarget(normalise_url(f"sqlite:///{tmp_path / 'outbox.sqlite3'}"), None)


@pytest.fixture
async def db(database_url: str | None, tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(target_for(database_url, tmp_path))
    await migrate(database, alembic_config(None, [KitBase.metadata]))
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.freeze(NOW)
    return clock


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def make_outbox(db: Database, clock: Clock, receiver: Receiver) -> Callable[..., Outbox]:
    def make(**options: Any) -> Outbox:
        options.setdefault("rng", Ceiling())
        return Outbox(db=options.pop("database", db), clock=clock, peers=Peers(apps={"receiver": receiver.app}),
                      faults=options.pop("faults", Faults("test")), service="test", **options)

    return make


async def enqueue_committed(outbox: Outbox, count: int = 1, **fields: Any) -> list[str]:
    fields = {"channel": "http", "target": "peer://receiver/hooks/status", **fields}
    async with outbox.db.sessionmaker() as session:
        ids = [outbox.enqueue(session, payload={"n": n}, **fields).id for n in range(count)]
        await session.commit()
    return ids


async def message(outbox: Outbox, message_id: str) -> dict[str, Any]:
    return next(m for m in await outbox.list_messages(limit=1000) if m["id"] == message_id)


async def test_committed_message_is_delivered_to_an_in_process_peer(make_outbox, receiver: Receiver) -> None:
    outbox = make_outbox()
    async with outbox.db.sessionmaker() as session:
        outbox.enqueue(session, channel="http", target="peer://receiver/hooks/submission",
                       payload={"submissionId": "abc", "status": "submitted"},
                       headers={"X-Callback-Token": "t0ken"})
        assert await outbox.dispatch_due() == 0  # not committed yet: invisible to the dispatcher
        await session.commit()

    assert await outbox.dispatch_due() == 1
    assert receiver.received == [{"name": "submission", "body": {"submissionId": "abc", "status": "submitted"},
                                  "headers": receiver.received[0]["headers"]}]
    assert receiver.received[0]["headers"]["x-callback-token"] == "t0ken"
    [listed] = await outbox.list_messages(limit=10)
    assert listed["status"] == "delivered"
    assert listed["attempts"] == 1
    assert listed["delivered_at"] == "2026-03-02T09:00:00Z"
    assert await outbox.dispatch_due() == 0  # delivered once, never again


async def test_rolled_back_transaction_sends_nothing(make_outbox, receiver: Receiver) -> None:
    outbox = make_outbox()
    async with outbox.db.sessionmaker() as session:
        outbox.enqueue(session, channel="http", target="peer://receiver/hooks/x", payload={"n": 1})
        await session.rollback()
    assert await outbox.dispatch_due() == 0
    assert receiver.received == []
    assert await outbox.list_messages(limit=10) == []


async def test_failing_receiver_gets_retries_with_growing_delays_then_the_message_is_dead(
        make_outbox, receiver: Receiver, clock: Clock) -> None:
    outbox = make_outbox(max_attempts=5, base_delay=1.0, max_delay=6.0)
    receiver.failures = 100
    [message_id] = await enqueue_committed(outbox)

    delays = []
    for _ in range(4):
        assert await outbox.dispatch_due() == 1
        state = await message(outbox, message_id)
        assert state["status"] == "pending"
        assert "HTTP 500" in state["last_error"]
        due = dt.datetime.fromisoformat(state["next_attempt_at"])
        delays.append((due - clock.now()).total_seconds())
        assert await outbox.dispatch_due() == 0  # not due before its time
        clock.advance(due - clock.now())
    assert delays == [1.0, 2.0, 4.0, 6.0]  # doubling, capped at max_delay

    assert await outbox.dispatch_due() == 1
    state = await message(outbox, message_id)
    assert (state["status"], state["attempts"]) == ("dead", 5)
    clock.advance(dt.timedelta(days=1))
    assert await outbox.dispatch_due() == 0
    assert receiver.received == []


async def test_receiver_that_recovers_gets_the_message_once(make_outbox, receiver: Receiver,
                                                            clock: Clock) -> None:
    outbox = make_outbox()
    receiver.failures = 2
    [message_id] = await enqueue_committed(outbox)
    for _ in range(3):
        await outbox.dispatch_due()
        clock.advance(dt.timedelta(minutes=5))
    assert await outbox.dispatch_due() == 0
    assert [r["body"] for r in receiver.received] == [{"n": 0}]
    state = await message(outbox, message_id)
    assert (state["status"], state["attempts"], state["last_error"]) == ("delivered", 3, None)


def test_backoff_is_full_jitter_under_a_capped_exponential() -> None:
    outbox = Outbox(db=None, clock=Clock(), peers=Peers(), faults=Faults("t"), service="t",  # type: ignore[arg-type]
                    base_delay=1.0, max_delay=300.0)
    for attempts, ceiling in [(1, 1.0), (2, 2.0), (5, 16.0), (12, 300.0), (40, 300.0)]:
        samples = [outbox.backoff(attempts) for _ in range(200)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling / 2  # spread over the whole range, not a fixed delay


async def test_injected_fault_makes_delivery_fail(make_outbox, receiver: Receiver, clock: Clock) -> None:
    faults = Faults("test")
    outbox = make_outbox(faults=faults)
    faults.add(FaultSpec(operation="outbox.deliver", status=503, times=1))
    [message_id] = await enqueue_committed(outbox)

    assert await outbox.dispatch_due() == 1
    state = await message(outbox, message_id)
    assert state["status"] == "pending"
    assert "outbox.deliver" in state["last_error"]
    assert receiver.received == []

    clock.advance(dt.timedelta(seconds=1))
    assert await outbox.dispatch_due() == 1
    assert len(receiver.received) == 1


async def test_message_pending_at_shutdown_is_delivered_after_restart(
        database_url: str | None, tmp_path: Path, receiver: Receiver) -> None:
    first_db = Database(target_for(database_url, tmp_path))
    await migrate(first_db, alembic_config(None, [KitBase.metadata]))
    first = Outbox(db=first_db, clock=Clock(), peers=Peers(), faults=Faults("test"), service="test")
    [message_id] = await enqueue_committed(first)
    await first.stop()
    await first_db.dispose()

    second_db = Database(target_for(database_url, tmp_path))
    second = Outbox(db=second_db, clock=Clock(), peers=Peers(apps={"receiver": receiver.app}),
                    faults=Faults("test"), service="test", poll_interval=0.05)
    await second.start()
    try:
        for _ in range(100):
            if receiver.received:
                break
            await asyncio.sleep(0.02)
    finally:
        await second.stop()
    assert [r["body"] for r in receiver.received] == [{"n": 0}]
    assert (await message(second, message_id))["status"] == "delivered"
    await second_db.dispose()


async def test_concurrent_dispatchers_never_deliver_a_message_twice(make_outbox, receiver: Receiver) -> None:
    receiver.delay = 0.01
    # Two outboxes on one database behave like two processes: only the database claim keeps them apart.
    first, second = make_outbox(batch_size=7), make_outbox(batch_size=7)
    await enqueue_committed(first, count=40)
    processed = 0
    while True:
        rounds = await asyncio.gather(first.dispatch_due(), second.dispatch_due(), first.dispatch_due())
        processed += sum(rounds)
        if not any(rounds):
            break
    bodies = sorted(r["body"]["n"] for r in receiver.received)
    assert bodies == list(range(40))
    assert processed == 40


async def test_background_dispatcher_delivers_right_after_commit(make_outbox, receiver: Receiver) -> None:
    outbox = make_outbox(poll_interval=30.0)  # a poll would come far too late: only the wake-up can deliver
    await outbox.start()
    try:
        await asyncio.sleep(0.05)  # let the first (empty) pass finish and the loop go to sleep
        await enqueue_committed(outbox)
        for _ in range(100):
            if receiver.received:
                break
            await asyncio.sleep(0.02)
    finally:
        await outbox.stop()
    assert len(receiver.received) == 1


async def test_a_failing_pass_does_not_stop_the_dispatcher(make_outbox, receiver: Receiver,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = make_outbox(poll_interval=0.02)
    real_pass = outbox.dispatch_due
    failures = iter([RuntimeError("database restarting")])

    async def flaky_pass() -> int:
        error = next(failures, None)
        if error is not None:
            raise error
        return await real_pass()

    monkeypatch.setattr(outbox, "dispatch_due", flaky_pass)
    await enqueue_committed(outbox)
    await outbox.start()
    try:
        for _ in range(100):
            if receiver.received:
                break
            await asyncio.sleep(0.02)
    finally:
        await outbox.stop()
    assert len(receiver.received) == 1


async def test_mail_is_captured_and_listed_newest_first_with_secrets_hidden(make_outbox) -> None:
    outbox = make_outbox()
    async with outbox.db.sessionmaker() as session:
        outbox.enqueue(session, channel="mail", target="erika@example.org",
                       payload={"to": "erika@example.org", "subject": "Neue Nachricht", "body": "Hallo"})
        outbox.enqueue(session, channel="http", target="http://127.0.0.1:9/hook", payload={},
                       headers={"Authorization": "Bearer secret", "X-Trace": "1"})
        await session.commit()
    newest, oldest = await outbox.list_messages(limit=10)
    assert newest["target"] == "http://127.0.0.1:9/hook"
    assert newest["headers"] == {"Authorization": "***", "X-Trace": "1"}
    assert oldest["payload"]["subject"] == "Neue Nachricht"
    assert oldest["created_at"] == "2026-03-02T09:00:00Z"

    await outbox.dispatch_due()  # nothing listens on port 9; the mail needs no network
    states = {m["channel"]: m["status"] for m in await outbox.list_messages(limit=10)}
    assert states == {"mail": "delivered", "http": "pending"}
    assert len(await outbox.list_messages(limit=1)) == 1
    await outbox.stop()  # closes the HTTP client the failed attempt opened


async def test_enqueue_refuses_what_can_never_be_delivered(make_outbox) -> None:
    outbox = make_outbox()
    async with outbox.db.sessionmaker() as session:
        with pytest.raises(ValueError, match="unknown outbox channel"):
            outbox.enqueue(session, channel="fax", target="+49 30 1234", payload={})
        with pytest.raises(ValueError, match="http target"):
            outbox.enqueue(session, channel="http", target="ftp://example.org/x", payload={})


async def test_registered_channel_is_used(make_outbox) -> None:
    outbox = make_outbox()
    sent: list[str] = []

    async def sms(message: OutboxMessage) -> None:
        sent.append(f"{message.target}: {message.payload['n']}")

    outbox.register_channel("sms", sms)
    [message_id] = await enqueue_committed(outbox, channel="sms", target="+4915100000000")
    assert await outbox.dispatch_due() == 1
    assert sent == ["+4915100000000: 0"]
    assert (await message(outbox, message_id))["status"] == "delivered"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
async def test_delivers_to_a_real_http_server(make_outbox, receiver: Receiver) -> None:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(receiver.app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.01)
        outbox = make_outbox()
        await enqueue_committed(outbox, target=f"http://127.0.0.1:{port}/hooks/real")
        assert await outbox.dispatch_due() == 1
        await outbox.stop()  # closes the shared HTTP client
    finally:
        server.should_exit = True
        await serving
    assert [(r["name"], r["body"]) for r in receiver.received] == [("real", {"n": 0})]
    assert receiver.received[0]["headers"]["user-agent"] == "basisdienste-test"


async def test_developer_endpoint_lists_what_a_service_sent(tmp_path: Path, database_url: str | None) -> None:
    class KitOnly(ServiceSettings):
        model_config = service_config("kitonly")
        service_name = "kitonly"

    from kit.service import create_service_app

    app = create_service_app(KitOnly(suite=SuiteSettings(data_dir=tmp_path, database_url=database_url)),
                             title="t", description="t")
    async with LifespanManager(app):
        runtime = app.state.runtime
        async with runtime.db.sessionmaker() as session:
            runtime.outbox.enqueue(session, channel="mail", target="max@example.org",
                                   payload={"to": "max@example.org", "subject": "Bescheid", "body": "..."})
            await session.commit()
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for _ in range(100):
                listed = (await client.get("/_emulator/outbox")).json()
                if listed[0]["status"] == "delivered":
                    break
                await asyncio.sleep(0.02)
    assert listed[0]["payload"]["subject"] == "Bescheid"
    assert listed[0]["status"] == "delivered"


@pytest.mark.parametrize("downgrade_first", [False, True])
async def test_kit_migrations_match_the_models(db: Database, downgrade_first: bool) -> None:
    """Autogenerate finds nothing to change after the kit's migrations, on SQLite and on PostgreSQL; and the
    migrations can be taken back down and up again."""
    config = alembic_config(None, [KitBase.metadata])
    if downgrade_first:
        def down(connection: Any) -> None:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")

        async with db.engine.begin() as connection:
            await connection.run_sync(down)
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not tables & {"outbox_messages", "idempotency_keys"}
        await migrate(db, config)

    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, KitBase.metadata)

    async with db.engine.connect() as connection:
        assert await connection.run_sync(differences) == []
