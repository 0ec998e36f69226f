"""What the gateway refuses at the edge: oversize bodies, clients over their rate; and CORS for online forms."""

import asyncio
import json

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gateway.app import Gateway
from gateway.suite import build_gateway
from gateway.upstreams import LocalUpstream
from kit.peers import Peers
from tests.conftest import client_for
from tests.gateway.echo import echo_app


@pytest.fixture
def small_cap_gateway(gateway_settings, suite_settings) -> Gateway:  # type: ignore[no-untyped-def]
    app = echo_app()
    settings = gateway_settings(suite=suite_settings(max_body_bytes=1000), rate_limit_per_second=0)
    return Gateway(settings, {"echo": LocalUpstream("echo", app, timeout=5)}, Peers(apps={"echo": app}))


async def test_declared_oversize_body_is_refused_before_it_is_read(small_cap_gateway: Gateway) -> None:
    reads = 0

    async def receive() -> dict:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 100, "more_body": True}

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/echo/upload", "raw_path": b"/echo/upload",
             "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
             "headers": [(b"content-length", b"50000000"), (b"host", b"testserver")],
             "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    await small_cap_gateway(scope, receive, send)
    assert reads == 0
    assert sent[0]["status"] == 413
    body = json.loads(sent[1]["body"])
    assert body["status"] == 413 and body["max_bytes"] == 1000


async def test_streamed_oversize_body_is_cut_off_with_413(small_cap_gateway: Gateway) -> None:
    produced = 0

    async def endless():  # type: ignore[no-untyped-def]
        nonlocal produced
        for _ in range(1000):
            produced += 1
            yield b"y" * 100

    async with client_for(small_cap_gateway) as client:
        answer = await client.post("/echo/upload", content=endless())
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert produced < 1000


async def test_body_under_the_cap_passes(small_cap_gateway: Gateway) -> None:
    async with client_for(small_cap_gateway) as client:
        answer = await client.post("/echo/upload", content=b"z" * 999)
    assert answer.status_code == 200 and answer.json()["bytes"] == 999


async def test_malformed_json_is_a_400_problem(client: httpx.AsyncClient) -> None:
    answer = await client.post("/_emulator/clock", content=b'{"freeze": ', headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("malformed-body")


async def _rate_limited_gateway_answers(settings, clients: list[tuple[str, int]]) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    gateway = build_gateway(settings)
    async with LifespanManager(gateway, startup_timeout=60):
        answers = []
        for address in clients:
            async with client_for(gateway, client=address) as client:
                answers.append(await client.get("/postfach/health"))
        return answers


async def test_a_client_over_its_rate_gets_429_and_others_do_not(gateway_settings) -> None:  # type: ignore[no-untyped-def]
    settings = gateway_settings(rate_limit_per_second=0.5, rate_limit_burst=2)
    a, b = ("10.0.0.1", 1), ("10.0.0.2", 1)
    answers = await _rate_limited_gateway_answers(settings, [a, a, a, b])
    assert [r.status_code for r in answers] == [200, 200, 429, 200]
    refused = answers[2]
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    assert "ratelimit-policy" in refused.headers


async def _redis_available() -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", 6379), 0.5)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


async def test_rate_limit_shared_through_redis(gateway_settings) -> None:  # type: ignore[no-untyped-def]
    if not await _redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")
    import uuid

    client = (f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9", 1)  # a fresh bucket for this run
    # Refilling one token in 1000 s: starting the second gateway (the whole suite) may take several seconds.
    settings = gateway_settings(rate_limit_per_second=0.001, rate_limit_burst=2, redis_url="redis://127.0.0.1:6379/0")
    first = await _rate_limited_gateway_answers(settings, [client, client])
    # A second gateway process shares the bucket: the client is already out of tokens there.
    second = await _rate_limited_gateway_answers(settings, [client])
    assert [r.status_code for r in first + second] == [200, 200, 429]


async def test_unreachable_redis_lets_requests_through(gateway_settings) -> None:  # type: ignore[no-untyped-def]
    settings = gateway_settings(rate_limit_per_second=0.5, rate_limit_burst=1, redis_url="redis://127.0.0.1:9/0")
    answers = await _rate_limited_gateway_answers(settings, [("10.0.0.3", 1)] * 3)
    assert [r.status_code for r in answers] == [200, 200, 200]


async def test_cors_preflight_for_a_local_form_and_not_for_strangers(client: httpx.AsyncClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = await client.options("/postfach/health", headers={"Origin": "http://localhost:5173", **preflight})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "http://localhost:5173"
    stranger = await client.options("/postfach/health", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in stranger.headers
    simple = await client.get("/postfach/health", headers={"Origin": "http://127.0.0.1:3000"})
    assert simple.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


async def test_configured_form_origin_is_allowed(gateway_settings) -> None:  # type: ignore[no-untyped-def]
    gateway = build_gateway(gateway_settings(cors_origins=["https://formulare.example.de"], cors_origin_regex=None))
    async with LifespanManager(gateway, startup_timeout=60), client_for(gateway) as client:
        allowed = await client.get("/health", headers={"Origin": "https://formulare.example.de"})
        local = await client.get("/health", headers={"Origin": "http://localhost:5173"})
    assert allowed.headers["access-control-allow-origin"] == "https://formulare.example.de"
    assert "access-control-allow-origin" not in local.headers
