"""The gateway as a door: routing, request ids, hop-by-hop headers, streaming, and upstream failures."""

import hashlib
import os

import httpx
import pytest

from gateway.app import Gateway
from gateway.upstreams import LocalUpstream, RemoteUpstream
from kit.peers import Peers
from tests.conftest import client_for
from tests.gateway.echo import echo_app, serving


async def test_health_lists_five_healthy_services(client: httpx.AsyncClient) -> None:
    answer = await client.get("/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "pass"
    assert sorted(body["services"]) == ["bescheid", "bezahlplattform", "nutzerkonto", "postfach",
                                        "rechnungseingang"]
    assert all(s["status"] == "pass" and s["checks"]["database"] == "pass" for s in body["services"].values())


async def test_service_paths_are_routed_to_the_service(client: httpx.AsyncClient) -> None:
    answer = await client.get("/postfach/health")
    assert answer.status_code == 200
    assert answer.json()["service"] == "postfach"
    spec = (await client.get("/bescheid/openapi.json")).json()
    assert spec["info"]["title"] == "Bescheid"


async def test_unknown_service_prefix_is_a_404_problem(client: httpx.AsyncClient) -> None:
    answer = await client.get("/steuerkonto/health")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 404


async def test_unknown_path_inside_a_service_is_the_services_404_problem(client: httpx.AsyncClient) -> None:
    answer = await client.get("/postfach/no/such/thing")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["instance"] == "/postfach/no/such/thing"


async def test_request_id_is_created_echoed_and_kept(client: httpx.AsyncClient) -> None:
    made = await client.get("/postfach/health")
    assert len(made.headers["x-request-id"]) == 32
    kept = await client.get("/postfach/health", headers={"X-Request-ID": "form-4711.step:2"})
    assert kept.headers["x-request-id"] == "form-4711.step:2"
    hostile = await client.get("/postfach/health", headers={"X-Request-ID": "x" * 500})
    assert hostile.headers["x-request-id"] != "x" * 500


@pytest.fixture
async def echo_gateway(gateway_settings):  # type: ignore[no-untyped-def]
    app = echo_app()
    gateway = Gateway(gateway_settings(rate_limit_per_second=0, upstream_timeout_seconds=0.5),
                      {"echo": LocalUpstream("echo", app, timeout=0.5)}, Peers(apps={"echo": app}))
    async with client_for(gateway) as client:
        yield client


@pytest.fixture
async def remote_echo_gateway(gateway_settings):  # type: ignore[no-untyped-def]
    async with serving(echo_app()) as url:
        upstream = RemoteUpstream("echo", url, timeout=0.5)
        gateway = Gateway(gateway_settings(rate_limit_per_second=0), {"echo": upstream}, Peers(urls={"echo": url}))
        async with client_for(gateway) as client:
            yield client
        await upstream.aclose()


@pytest.fixture(params=["in-process", "over-http"])
def echo_client(request, echo_gateway, remote_echo_gateway):  # type: ignore[no-untyped-def]
    return echo_gateway if request.param == "in-process" else remote_echo_gateway


async def test_hop_by_hop_headers_are_stripped_both_ways(echo_client: httpx.AsyncClient) -> None:
    seen = (await echo_client.get("/echo/headers?a=1", headers={
        "Connection": "keep-alive, X-Private", "X-Private": "hop", "TE": "trailers", "X-Kept": "end-to-end",
        "Proxy-Authorization": "Basic Zm9vOmJhcg=="})).json()
    assert "x-private" not in seen["headers"]
    assert "te" not in seen["headers"] and "proxy-authorization" not in seen["headers"]
    assert seen["headers"]["x-kept"] == "end-to-end"
    assert seen["headers"]["x-request-id"]
    assert seen["query"] == "a=1"
    answer = await echo_client.get("/echo/stream")
    assert "x-secret" not in answer.headers and "keep-alive" not in answer.headers


async def test_bodies_stream_through_unchanged(echo_client: httpx.AsyncClient) -> None:
    payload = os.urandom(3 * 1024 * 1024)

    async def chunks():  # type: ignore[no-untyped-def]
        for i in range(0, len(payload), 256 * 1024):
            yield payload[i:i + 256 * 1024]

    answer = (await echo_client.post("/echo/upload", content=chunks())).json()
    assert answer == {"sha256": hashlib.sha256(payload).hexdigest(), "bytes": len(payload),
                      "chunks": answer["chunks"]}
    assert answer["chunks"] > 1  # the upstream saw the body in pieces, not buffered into one
    async with echo_client.stream("GET", "/echo/stream?n=50") as response:
        text = b"".join([chunk async for chunk in response.aiter_raw()]).decode()
    assert text.splitlines() == [f"part {i}" for i in range(50)]


async def test_in_process_service_sees_its_prefix_as_root_path(echo_gateway: httpx.AsyncClient) -> None:
    seen = (await echo_gateway.get("/echo/headers")).json()
    assert seen["root_path"] == "/echo"
    assert seen["path"] == "/echo/headers"


async def test_upstream_failing_before_answering_is_a_502_naming_it(echo_client: httpx.AsyncClient) -> None:
    answer = await echo_client.get("/echo/boom")
    # In process the gateway sees the crash; over HTTP the service's own server answers 500 itself.
    assert answer.status_code in (500, 502)
    if answer.status_code == 502:
        assert answer.json()["service"] == "echo"


async def test_silent_upstream_is_a_504_problem(echo_client: httpx.AsyncClient) -> None:
    answer = await echo_client.get("/echo/slow?s=3")
    assert answer.status_code == 504
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["service"] == "echo"


async def test_unreachable_upstream_is_a_502_problem_naming_the_service(gateway_settings) -> None:  # type: ignore[no-untyped-def]
    upstream = RemoteUpstream("postfach", "http://127.0.0.1:9", timeout=2)
    gateway = Gateway(gateway_settings(), {"postfach": upstream}, Peers(urls={"postfach": "http://127.0.0.1:9"}))
    async with client_for(gateway) as client:
        answer = await client.get("/postfach/health")
        assert answer.status_code == 502
        assert answer.json()["service"] == "postfach"
        assert "postfach" in answer.json()["detail"]
        health = await client.get("/health")
        assert health.status_code == 503
        assert health.json()["services"]["postfach"]["status"] == "fail"
    await upstream.aclose()


async def test_rfc8414_metadata_location_for_an_issuer_with_a_path(client: httpx.AsyncClient) -> None:
    direct = await client.get("/nutzerkonto/.well-known/oauth-authorization-server")
    inserted = await client.get("/.well-known/oauth-authorization-server/nutzerkonto")
    assert inserted.status_code == 200
    assert inserted.json() == direct.json()
    assert (await client.get("/.well-known/oauth-authorization-server/steuerkonto")).status_code == 404
