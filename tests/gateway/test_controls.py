"""The emulator controls on the gateway, as the public contract describes them, wired through every service."""

import datetime as dt

import httpx
from asgi_lifespan import LifespanManager

from gateway.suite import build_gateway
from kit.settings import SERVICE_NAMES
from tests.conftest import client_for


async def service_times(client: httpx.AsyncClient) -> dict[str, dt.datetime]:
    health = (await client.get("/health")).json()["services"]
    return {name: dt.datetime.fromisoformat(s["time"]) for name, s in health.items()}


async def test_freeze_advance_and_release_reach_every_service(client: httpx.AsyncClient) -> None:
    frozen = await client.post("/_emulator/clock", json={"freeze": "2026-03-01T09:00:00+01:00"})
    assert frozen.status_code == 200
    assert frozen.json() == {"now": "2026-03-01T08:00:00Z", "frozen": True, "offset_seconds": 0.0}
    assert set((await service_times(client)).values()) == {dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)}

    advanced = await client.post("/_emulator/clock", json={"advance": "P3DT2H"})
    assert advanced.json()["now"] == "2026-03-04T10:00:00Z"
    assert set((await service_times(client)).values()) == {dt.datetime(2026, 3, 4, 10, tzinfo=dt.UTC)}
    assert (await client.get("/_emulator/clock")).json()["now"] == "2026-03-04T10:00:00Z"

    released = await client.post("/_emulator/clock", json={"release": True})
    assert released.json()["frozen"] is False
    now = dt.datetime.now(dt.UTC)
    assert all(abs(t - now) < dt.timedelta(minutes=1) for t in (await service_times(client)).values())


async def test_advancing_a_running_clock_shifts_it(client: httpx.AsyncClient) -> None:
    answer = await client.post("/_emulator/clock", json={"advance": "PT48H"})
    assert answer.json()["offset_seconds"] == 48 * 3600
    shifted = dt.datetime.fromisoformat(answer.json()["now"])
    assert abs(shifted - dt.datetime.now(dt.UTC) - dt.timedelta(hours=48)) < dt.timedelta(minutes=1)


async def test_bad_clock_commands_are_422_problems_and_change_nothing(client: httpx.AsyncClient) -> None:
    await client.post("/_emulator/clock", json={"freeze": "2026-01-01T00:00:00Z"})
    for body in ({"advance": "P1M"}, {"advance": "-PT1H"}, {"freeze": "2026-01-01T00:00:00"},
                 {"freeze": "2026-01-01T00:00:00Z", "release": True}, {}, {"release": False}, {"jump": "P1D"}):
        answer = await client.post("/_emulator/clock", json=body)
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["errors"]
    assert (await client.get("/_emulator/clock")).json()["now"] == "2026-01-01T00:00:00Z"


async def test_reset_empties_what_services_hold_and_releases_the_clock(client: httpx.AsyncClient, suite) -> None:  # type: ignore[no-untyped-def]
    postfach = suite.upstreams["postfach"].app.state.runtime
    async with postfach.db.sessionmaker() as session:
        postfach.outbox.enqueue(session, channel="mail", target="erika@example.org",
                                payload={"subject": "Ihr Bescheid", "body": "liegt im Postfach"})
        await session.commit()
    assert len((await postfach.peers.client("postfach").get("/_emulator/outbox")).json()) == 1
    await client.post("/_emulator/clock", json={"freeze": "2030-01-01T00:00:00Z"})
    await client.post("/_emulator/faults", json={"service": "postfach", "operation": "health", "status": 500})

    answer = await client.post("/_emulator/reset")
    assert answer.status_code == 200
    assert sorted(answer.json()["services"]) == sorted(SERVICE_NAMES)
    assert (await postfach.peers.client("postfach").get("/_emulator/outbox")).json() == []
    assert (await client.get("/_emulator/clock")).json()["frozen"] is False
    assert (await client.get("/_emulator/faults")).json() == []
    assert (await client.get("/postfach/health")).status_code == 200


async def test_seed_answers_for_every_service(client: httpx.AsyncClient) -> None:
    seed = await client.get("/_emulator/seed")
    assert seed.status_code == 200
    assert set(SERVICE_NAMES) <= set(seed.json())


async def test_fault_fails_an_operation_the_given_number_of_times(client: httpx.AsyncClient) -> None:
    added = await client.post("/_emulator/faults", json={
        "service": "postfach", "operation": "health", "status": 503, "times": 2,
        "type": "https://schema.fitko.de/fit-connect/submission-api/problems/service-unavailable"})
    assert added.status_code == 201
    fault = added.json()
    assert fault["service"] == "postfach" and fault["id"]
    assert [f["id"] for f in (await client.get("/_emulator/faults")).json()] == [fault["id"]]

    for _ in range(2):
        failed = await client.get("/postfach/health")
        assert failed.status_code == 503
        assert failed.headers["x-emulator-fault"] == fault["id"]
        assert failed.json()["type"].startswith("https://schema.fitko.de/")
    assert (await client.get("/postfach/health")).status_code == 200
    assert (await client.get("/_emulator/faults")).json() == []
    assert (await client.get("/bescheid/health")).status_code == 200


async def test_latency_fault_beyond_the_upstream_timeout_is_a_504(gateway_settings) -> None:  # type: ignore[no-untyped-def]
    gateway = build_gateway(gateway_settings(rate_limit_per_second=0, upstream_timeout_seconds=0.3))
    async with LifespanManager(gateway, startup_timeout=60), client_for(gateway) as client:
        await client.post("/_emulator/faults", json={"service": "bescheid", "operation": "health", "delay_ms": 2000})
        answer = await client.get("/bescheid/health")
        assert answer.status_code == 504
        assert answer.json()["service"] == "bescheid"


async def test_faults_can_be_cleared_one_by_one_or_all(client: httpx.AsyncClient) -> None:
    one = (await client.post("/_emulator/faults", json={"service": "postfach", "operation": "health",
                                                         "status": 500})).json()
    await client.post("/_emulator/faults", json={"service": "bescheid", "operation": "health", "delay_ms": 10})
    assert (await client.delete("/_emulator/faults", params={"id": one["id"]})).status_code == 204
    assert [f["service"] for f in (await client.get("/_emulator/faults")).json()] == ["bescheid"]
    assert (await client.delete("/_emulator/faults", params={"id": one["id"]})).status_code == 404
    assert (await client.delete("/_emulator/faults")).status_code == 204
    assert (await client.get("/_emulator/faults")).json() == []


async def test_invalid_faults_are_refused(client: httpx.AsyncClient) -> None:
    for body in ({"service": "steuer", "operation": "health", "status": 500},
                 {"service": "postfach", "operation": "health"},
                 {"service": "postfach", "operation": "health", "status": 200}):
        answer = await client.post("/_emulator/faults", json=body)
        assert answer.status_code == 422, body
    assert (await client.get("/_emulator/faults")).json() == []


async def test_controls_refuse_other_hosts_without_the_token(suite) -> None:  # type: ignore[no-untyped-def]
    async with client_for(suite, client=("203.0.113.7", 4711)) as stranger:
        for method, path in (("POST", "/_emulator/reset"), ("GET", "/_emulator/seed"),
                             ("GET", "/_emulator/faults"), ("POST", "/_emulator/clock")):
            answer = await stranger.request(method, path, json={"release": True})
            assert answer.status_code == 403, path
            assert answer.headers["content-type"] == "application/problem+json"
        # The service-level controls are not reachable around the gateway's check either.
        assert (await stranger.post("/postfach/_emulator/reset")).status_code == 404
        assert (await stranger.get("/postfach/health")).status_code == 200


async def test_control_token_admits_other_hosts(gateway_settings, suite_settings) -> None:  # type: ignore[no-untyped-def]
    gateway = build_gateway(gateway_settings(suite=suite_settings(control_token="s3cret"), rate_limit_per_second=0))
    async with LifespanManager(gateway, startup_timeout=60), client_for(gateway, client=("203.0.113.7", 1)) as c:
        assert (await c.post("/_emulator/reset", headers={"Authorization": "Bearer s3cret"})).status_code == 200
        assert (await c.post("/_emulator/reset", headers={"Authorization": "Bearer guess"})).status_code == 403
        assert (await c.post("/_emulator/reset")).status_code == 403


async def test_controls_can_be_switched_off(gateway_settings, suite_settings) -> None:  # type: ignore[no-untyped-def]
    gateway = build_gateway(gateway_settings(suite=suite_settings(emulator_controls=False)))
    async with LifespanManager(gateway, startup_timeout=60), client_for(gateway) as client:
        assert (await client.post("/_emulator/reset")).status_code == 404
        assert (await client.get("/_emulator/clock")).status_code == 404
        assert (await client.get("/health")).status_code == 200


async def test_a_services_own_controls_are_reached_through_the_gateway(client: httpx.AsyncClient, suite) -> None:  # type: ignore[no-untyped-def]
    postfach = suite.upstreams["postfach"].app.state.runtime
    async with postfach.db.sessionmaker() as session:
        postfach.outbox.enqueue(session, channel="mail", target="erika@example.org", payload={"subject": "Hallo"})
        await session.commit()
    sent = await client.get("/_emulator/postfach/outbox")
    assert sent.status_code == 200
    assert [m["target"] for m in sent.json()] == ["erika@example.org"]
    assert (await client.get("/_emulator/steuerkonto/outbox")).status_code == 404
    assert (await client.get("/_emulator/postfach/nothing")).status_code == 404
    async with client_for(suite, client=("203.0.113.7", 4711)) as stranger:
        assert (await stranger.get("/_emulator/postfach/outbox")).status_code == 403
