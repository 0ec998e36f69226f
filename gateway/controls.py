"""The gateway's own routes: suite health, aggregated OpenAPI and docs, and ``/_emulator`` fanned out to every
service (each service applies its part; the gateway only collects the answers)."""

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from gateway import openapi
from gateway.dashboard import add_dashboard_routes
from gateway.snapshots import add_snapshot_routes
from kit.clock import Clock
from kit.emulator import ClockCommand, ClockState, check_control_access
from kit.faults import Fault, FaultSpec
from kit.peers import Peers
from kit.problems import PROBLEM_MEDIA_TYPE, Problem
from kit.settings import SuiteSettings

HEALTH_TIMEOUT_SECONDS = 3.0
# Wraps the reset of every service (it gets the reset as an argument): a seed folder registers itself again.
AroundReset = Callable[[Callable[[], Awaitable[None]]], Awaitable[None]]


class GatewayFaultSpec(FaultSpec):
    service: str = Field(description="The service whose operation fails")


def gateway_routes(app: FastAPI, *, services: list[str], peers: Peers, suite: SuiteSettings, clock: Clock,
                   around_reset: list[AroundReset] | None = None) -> None:
    async def call(name: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", peers.control_headers())
        try:
            return await peers.client(name).request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise Problem(502, f"{name} is unreachable: {type(exc).__name__}.", type_="upstream-unreachable",
                          title="Bad Gateway", service=name) from exc

    async def each(method: str, path: str, **kwargs: Any) -> dict[str, httpx.Response]:
        answers = await asyncio.gather(*(call(n, method, path, **kwargs) for n in services))
        for name, answer in zip(services, answers, strict=True):
            if answer.status_code >= 400:
                raise Problem(502, f"{name} refused {method} {path}: {answer.status_code} {answer.text[:300]}",
                              type_="upstream-failed", title="Bad Gateway", service=name)
        return dict(zip(services, answers, strict=True))

    @app.get("/health", tags=["gateway"], name="suite_health",
             responses={503: {"description": "At least one service is unhealthy"}})
    async def health() -> Response:
        async def probe(name: str) -> dict[str, Any]:
            try:
                answer = await asyncio.wait_for(peers.client(name).get("/health"), HEALTH_TIMEOUT_SECONDS)
            except Exception as exc:  # unreachable, timed out, broken: all mean "not healthy"
                return {"status": "fail", "detail": f"{type(exc).__name__}: {exc}"[:300]}
            if answer.status_code == 200:
                return answer.json()
            return {"status": "fail", "http_status": answer.status_code, "detail": answer.text[:300]}

        results = dict(zip(services, await asyncio.gather(*(probe(n) for n in services)), strict=True))
        if all(r.get("status") == "pass" for r in results.values()):
            return JSONResponse({"status": "pass", "services": results})
        failing = ", ".join(n for n, r in results.items() if r.get("status") != "pass")
        problem = Problem(503, f"Unhealthy: {failing}.", type_="unhealthy", services=results)
        return JSONResponse(problem.body("/health"), 503, media_type=PROBLEM_MEDIA_TYPE)

    @app.get("/", tags=["gateway"], name="suite_index")
    async def index(request: Request) -> dict[str, Any]:
        base = str(request.base_url).rstrip("/")
        return {"services": {n: f"{base}/{n}" for n in services}, "health": f"{base}/health",
                "docs": f"{base}/docs", "openapi": f"{base}/openapi.json", "emulator": f"{base}/_emulator"}

    merged: dict[str, Any] = {}

    @app.get("/openapi.json", include_in_schema=False)
    async def suite_openapi() -> JSONResponse:
        if not merged:
            docs = await each("GET", "/openapi.json")
            merged.update(openapi.merge(app.openapi(), {n: r.json() for n, r in docs.items()}))
        return JSONResponse(merged)

    async def guard(request: Request) -> None:
        check_control_access(suite, request)

    controls = APIRouter(prefix="/_emulator", tags=["emulator"], dependencies=[Depends(guard)])

    @controls.post("/reset", name="reset")
    async def reset() -> dict[str, Any]:
        """Empty every service's data, clear all faults, release the clock, load the seed data again."""
        started = time.perf_counter()
        answers: dict[str, httpx.Response] = {}

        async def reset_services() -> None:
            answers.update(await each("POST", "/_emulator/reset"))
            clock.release()

        run: Callable[[], Awaitable[None]] = reset_services
        for wrap in around_reset or []:
            run = functools.partial(wrap, run)
        await run()
        return {"services": {n: r.json() for n, r in answers.items()},
                "ms": round((time.perf_counter() - started) * 1000, 2)}

    @controls.get("/clock", name="get_clock")
    async def get_clock() -> ClockState:
        return ClockState(**(await call(services[0], "GET", "/_emulator/clock")).json())

    @controls.post("/clock", name="set_clock")
    async def set_clock(command: ClockCommand) -> ClockState:
        """Freeze, advance or release the clock of every service at once."""
        answers = await each("POST", "/_emulator/clock", json=command.model_dump(mode="json", exclude_none=True))
        command.apply(clock)
        return ClockState(**answers[services[0]].json())

    @controls.get("/seed", name="seed")
    async def seed(request: Request) -> dict[str, Any]:
        """Everything seeded for testing, by service: identities, clients and secrets, authorities, cards."""
        answers = await each("GET", "/_emulator/seed")
        return {"gateway": str(request.base_url).rstrip("/"), **{n: r.json() for n, r in answers.items()}}

    @controls.get("/faults", name="list_faults")
    async def list_faults() -> list[Fault]:
        answers = await each("GET", "/_emulator/faults")
        return [Fault(**f) for r in answers.values() for f in r.json()]

    @controls.post("/faults", name="add_fault", status_code=201)
    async def add_fault(spec: GatewayFaultSpec) -> Fault:
        """Make an operation of one service fail or slow down until cleared (or ``times`` times)."""
        if spec.service not in services:
            raise Problem(422, f"Unknown service {spec.service!r}; one of {', '.join(services)}.",
                          type_="validation-error", title="Validation failed")
        answer = await call(spec.service, "POST", "/_emulator/faults",
                            json=spec.model_dump(mode="json", exclude={"service"}))
        if answer.status_code != 201:
            # The service's own problem, as it is: an unknown operation comes with the names there are.
            if answer.headers.get("content-type") != PROBLEM_MEDIA_TYPE:
                raise Problem(answer.status_code, answer.text[:300])
            problem = {k: v for k, v in answer.json().items() if k not in ("status", "instance")}
            raise Problem(answer.status_code, problem.pop("detail", None), type_=problem.pop("type", None),
                          title=problem.pop("title", None), **problem)
        return Fault(**answer.json())

    @controls.delete("/faults", name="clear_faults", status_code=204)
    async def clear_faults(id: str | None = None, service: str | None = None) -> Response:
        """Clear all faults, those of one ``service``, or the one with ``id``."""
        targets = [service] if service else services
        if service and service not in services:
            raise Problem(404, f"Unknown service {service!r}.")
        params = {"id": id} if id else {}
        answers = await asyncio.gather(*(call(n, "DELETE", "/_emulator/faults", params=params) for n in targets))
        if not any(a.status_code == 204 for a in answers):
            raise Problem(404, f"No fault with id {id}.")
        return Response(status_code=204)

    @controls.api_route("/{service}/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                        name="service_control", include_in_schema=False)
    async def service_control(service: str, path: str, request: Request) -> Response:
        """A service's own controls (``/_emulator/postfach/outbox``, ``/_emulator/nutzerkonto/identities``...)."""
        if service not in services:
            raise Problem(404, f"Unknown service {service!r}; one of {', '.join(services)}.")
        headers = {k: v for k, v in request.headers.items() if k in ("content-type", "accept")}
        answer = await call(service, request.method, f"/_emulator/{path}", params=request.query_params,
                            content=await request.body(), headers={**headers, **peers.control_headers()})
        return Response(answer.content, answer.status_code, headers={
            k: v for k, v in answer.headers.items() if k in ("content-type", "location", "x-request-id")})

    add_snapshot_routes(controls, services=services, peers=peers, clock=clock)
    add_dashboard_routes(controls, services=services, peers=peers)
    app.include_router(controls)

