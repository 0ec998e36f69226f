"""Idempotency keys as an API client sees them: a retried POST or PATCH with the same key is answered from the
first run (``Idempotent-Replayed: true``), never run twice, and misuse of a key gets a clear problem."""

import asyncio
import datetime as dt
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI, Response
from pydantic import BaseModel

from kit.idempotency import IdempotencyKey
from kit.service import create_service_app
from kit.settings import SuiteSettings
from services.postfach.settings import PostfachSettings

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
BASE = "urn:basisdienste:problem:"


class Payment(BaseModel):
    purpose: str
    amount: int


class Runs:
    """How often each endpoint really ran; the thing idempotency exists to protect."""

    def __init__(self) -> None:
        self.count = 0
        self.transient_failures = 0


def counting_router(runs: Runs) -> APIRouter:
    router = APIRouter()

    @router.post("/payments", name="create_payment", status_code=201)
    async def create_payment(payment: Payment, response: Response) -> dict[str, Any]:
        runs.count += 1
        response.headers["Location"] = f"/payments/{runs.count}"
        response.headers["Set-Cookie"] = f"session={runs.count}"
        return {"id": runs.count, "purpose": payment.purpose, "amount": payment.amount}

    @router.patch("/payments/{payment_id}", name="update_payment")
    async def update_payment(payment_id: int, payment: Payment) -> dict[str, Any]:
        runs.count += 1
        return {"id": payment_id, "amount": payment.amount, "run": runs.count}

    @router.post("/slow", name="slow")
    async def slow() -> dict[str, int]:
        runs.count += 1
        await asyncio.sleep(0.3)
        return {"run": runs.count}

    @router.post("/boom", name="boom")
    async def boom() -> None:
        runs.count += 1
        raise RuntimeError("half done")

    @router.post("/busy", name="busy")
    async def busy(response: Response) -> dict[str, int]:
        runs.count += 1
        if runs.transient_failures:
            runs.transient_failures -= 1
            response.status_code = 503
        return {"run": runs.count}

    return router


@pytest.fixture
def runs() -> Runs:
    return Runs()


@pytest.fixture
async def app(tmp_path: Path, database_url: str | None, runs: Runs) -> AsyncIterator[FastAPI]:
    suite = SuiteSettings(data_dir=tmp_path, database_url=database_url)
    app = create_service_app(PostfachSettings(suite=suite, database_url=None), title="Idempotency test",
                             description="A counting endpoint behind the kit.", routers=[counting_router(runs)])
    app.state.runtime.clock.freeze(NOW)
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://postfach") as client:
        yield client


def keyed(key: str, **headers: str) -> dict[str, str]:
    return {"Idempotency-Key": key, **headers}


PAYMENT = {"purpose": "Hundesteuer 2026", "amount": 12000}


async def test_retry_replays_the_first_answer_and_the_endpoint_runs_once(client: httpx.AsyncClient,
                                                                         runs: Runs) -> None:
    first = await client.post("/payments", json=PAYMENT, headers=keyed("pay-1"))
    again = await client.post("/payments", json=PAYMENT, headers=keyed("pay-1"))
    # The draft's header is a Structured Field string; the quoted spelling names the same key.
    quoted = await client.post("/payments", json=PAYMENT, headers=keyed('"pay-1"'))

    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    for replay in (again, quoted):
        assert replay.status_code == 201
        assert replay.content == first.content
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.headers["location"] == first.headers["location"] == "/payments/1"
        assert replay.headers["content-type"] == first.headers["content-type"]
        assert "set-cookie" not in replay.headers  # per-response state is not handed to a retry
        assert replay.headers["x-request-id"] != first.headers["x-request-id"]
    assert runs.count == 1


async def test_requests_without_a_key_or_with_other_methods_are_untouched(client: httpx.AsyncClient,
                                                                          runs: Runs) -> None:
    await client.post("/payments", json=PAYMENT)
    await client.post("/payments", json=PAYMENT)
    assert runs.count == 2
    health = await client.get("/health", headers=keyed("get-is-safe"))
    assert health.status_code == 200
    assert "idempotent-replayed" not in health.headers


async def test_patch_is_idempotent_too(client: httpx.AsyncClient, runs: Runs) -> None:
    first = await client.patch("/payments/7", json=PAYMENT, headers=keyed("patch-1"))
    again = await client.patch("/payments/7", json=PAYMENT, headers=keyed("patch-1"))
    assert again.json() == first.json() == {"id": 7, "amount": 12000, "run": 1}
    assert again.headers["idempotent-replayed"] == "true"


async def test_same_key_for_a_different_request_is_refused(client: httpx.AsyncClient, runs: Runs) -> None:
    await client.post("/payments", json=PAYMENT, headers=keyed("pay-2"))
    other_body = await client.post("/payments", json={**PAYMENT, "amount": 1}, headers=keyed("pay-2"))
    other_path = await client.post("/slow", headers=keyed("pay-2"))
    for refused in (other_body, other_path):
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == BASE + "idempotency-key-reused"
    assert runs.count == 1


async def test_concurrent_duplicates_run_once(client: httpx.AsyncClient, runs: Runs) -> None:
    answers = await asyncio.gather(*(client.post("/slow", headers=keyed("slow-1")) for _ in range(4)))
    assert runs.count == 1
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) >= 1
    assert set(statuses) <= {200, 409}
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["type"] == BASE + "idempotency-key-in-use"
            assert answer.headers["retry-after"] == "1"
        else:
            assert answer.json() == {"run": 1}
    # Once the first has finished, a retry gets its answer.
    retry = await client.post("/slow", headers=keyed("slow-1"))
    assert (retry.status_code, retry.json(), runs.count) == (200, {"run": 1}, 1)


async def test_validation_failures_are_not_remembered(client: httpx.AsyncClient, runs: Runs) -> None:
    invalid = await client.post("/payments", json={"purpose": "x"}, headers=keyed("fix-me"))
    assert invalid.status_code == 422
    assert invalid.json()["type"] == BASE + "validation-error"
    malformed = await client.post("/payments", content=b"{not json", headers=keyed(
        "fix-me", **{"Content-Type": "application/json"}))
    assert malformed.status_code == 400
    fixed = await client.post("/payments", json=PAYMENT, headers=keyed("fix-me"))
    assert fixed.status_code == 201
    assert "idempotent-replayed" not in fixed.headers
    assert runs.count == 1


async def test_keys_of_different_clients_are_independent(client: httpx.AsyncClient, runs: Runs) -> None:
    alice = await client.post("/payments", json=PAYMENT, headers=keyed("shared", Authorization="Bearer alice"))
    bob = await client.post("/payments", json={**PAYMENT, "amount": 5},
                            headers=keyed("shared", Authorization="Bearer bob"))
    anonymous = await client.post("/payments", json=PAYMENT, headers=keyed("shared"))
    assert [a.status_code for a in (alice, bob, anonymous)] == [201, 201, 201]
    assert not any("idempotent-replayed" in a.headers for a in (alice, bob, anonymous))
    assert runs.count == 3
    again = await client.post("/payments", json=PAYMENT, headers=keyed("shared", Authorization="Bearer alice"))
    assert again.json() == alice.json()


async def test_keys_expire_after_24_hours_of_kit_time(app: FastAPI, client: httpx.AsyncClient,
                                                      runs: Runs) -> None:
    clock = app.state.runtime.clock
    await client.post("/payments", json=PAYMENT, headers=keyed("daily"))
    clock.advance(dt.timedelta(hours=23, minutes=59))
    assert (await client.post("/payments", json=PAYMENT, headers=keyed("daily"))).headers[
        "idempotent-replayed"] == "true"
    clock.advance(dt.timedelta(minutes=1))
    fresh = await client.post("/payments", json={**PAYMENT, "amount": 1}, headers=keyed("daily"))
    assert fresh.status_code == 201
    assert "idempotent-replayed" not in fresh.headers
    assert runs.count == 2


async def test_server_errors_are_remembered_like_stripe_does(client: httpx.AsyncClient, runs: Runs) -> None:
    first = await client.post("/boom", headers=keyed("boom-1"))
    again = await client.post("/boom", headers=keyed("boom-1"))
    assert first.status_code == again.status_code == 500
    assert first.headers["content-type"] == "application/problem+json"
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert runs.count == 1


async def test_transient_refusals_and_injected_faults_can_be_retried(client: httpx.AsyncClient,
                                                                     runs: Runs) -> None:
    runs.transient_failures = 1
    assert (await client.post("/busy", headers=keyed("busy-1"))).status_code == 503
    assert (await client.post("/busy", headers=keyed("busy-1"))).json() == {"run": 2}

    fault = await client.post("/_emulator/faults", json={"operation": "create_payment", "status": 500, "times": 1})
    assert fault.status_code == 201
    failed = await client.post("/payments", json=PAYMENT, headers=keyed("pay-3"))
    assert failed.status_code == 500
    assert failed.json()["type"] == BASE + "injected-fault"
    retried = await client.post("/payments", json=PAYMENT, headers=keyed("pay-3"))
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers


@pytest.mark.parametrize("key", ["x" * 256, '""'])
async def test_unusable_keys_are_refused(client: httpx.AsyncClient, runs: Runs, key: str) -> None:
    answer = await client.post("/payments", json=PAYMENT, headers=keyed(key))
    assert answer.status_code == 400
    assert answer.json()["type"] == BASE + "idempotency-key-invalid"
    assert runs.count == 0
    assert (await client.post("/payments", json=PAYMENT, headers=keyed("x" * 255))).status_code == 201


@pytest.mark.parametrize(("age", "expected"), [(dt.timedelta(seconds=5), 409), (dt.timedelta(minutes=2), 201)])
async def test_a_key_left_in_flight_by_a_crash_is_taken_over_after_its_lease(
        app: FastAPI, client: httpx.AsyncClient, runs: Runs, age: dt.timedelta, expected: int) -> None:
    runtime = app.state.runtime
    locked_at = NOW - age
    body = httpx.Request("POST", "http://x", json=PAYMENT).content
    async with runtime.db.sessionmaker() as session:
        session.add(IdempotencyKey(
            scope=hashlib.sha256(b"anonymous").hexdigest(), key="crashed", request_method="POST",
            request_path="/payments", request_fingerprint=hashlib.sha256(body).hexdigest(), status="in_flight",
            locked_at=locked_at, created_at=locked_at, expires_at=locked_at + dt.timedelta(hours=24)))
        await session.commit()
    answer = await client.post("/payments", json=PAYMENT, headers=keyed("crashed"))
    assert answer.status_code == expected
    assert runs.count == (1 if expected == 201 else 0)
