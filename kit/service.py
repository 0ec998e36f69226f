"""The factory every service is built with: settings, database, migrations, clock, peers, outbox, faults,
problem details, request ids, health and the emulator controls. A service adds only its own routers and hooks."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import MetaData

from kit.bodylimit import BodyLimitMiddleware
from kit.clock import Clock
from kit.db import Database, database_target
from kit.docs import add_docs, add_service_openapi
from kit.emulator import emulator_router
from kit.faults import Faults, apply_route_faults
from kit.idempotency import IdempotencyMiddleware
from kit.logging import RequestContextMiddleware
from kit.migrate import alembic_config, migrate
from kit.models import KitBase
from kit.outbox import Outbox
from kit.peers import Peers
from kit.problems import PROBLEM_MEDIA_TYPE, Problem, document_problems, install_problem_handlers
from kit.schemas import Health
from kit.settings import ServiceSettings
from kit.snapshot import snapshot_router

HEALTH_TIMEOUT_SECONDS = 2.0
# FastAPI's OpenTelemetry hooks look up the global tracer, meter and logger providers on every request; the suite
# logs through kit.logging and exports no telemetry, so they stay off.
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


class ServiceHooks:
    """What a service contributes to the emulator controls; override what applies."""

    async def populate(self, runtime: "ServiceRuntime") -> None:
        """Write the seed data. Runs at startup and after every reset, so it must be idempotent."""

    async def seed(self, runtime: "ServiceRuntime") -> dict[str, Any]:
        """What ``GET /_emulator/seed`` shows: test identities, clients and secrets, authorities..."""
        return {}


@dataclass
class ServiceRuntime:
    """Everything a running service holds; reachable as ``request.app.state.runtime``."""

    settings: ServiceSettings
    db: Database
    clock: Clock
    peers: Peers
    faults: Faults
    outbox: Outbox
    hooks: ServiceHooks
    metadatas: list[MetaData] = field(default_factory=list)

    async def reset(self) -> None:
        await self.db.truncate(*self.metadatas)
        self.faults.clear()
        self.clock.release()
        await self.hooks.populate(self)


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health", name="health", response_model=Health,
                responses={503: {"description": "The database is unreachable"}})
    async def health(request: Request) -> JSONResponse:
        runtime: ServiceRuntime = request.app.state.runtime
        started = time.perf_counter()
        try:
            await asyncio.wait_for(runtime.db.ping(), HEALTH_TIMEOUT_SECONDS)
        except Exception as exc:  # any failure of the ping means the service cannot do its work
            problem = Problem(503, f"database unreachable: {type(exc).__name__}", type_="unhealthy",
                              service=runtime.settings.name, checks={"database": "fail"})
            return JSONResponse(problem.body(request.url.path), 503, media_type=PROBLEM_MEDIA_TYPE)
        return JSONResponse({
            "status": "pass",
            "service": runtime.settings.name,
            "checks": {"database": "pass"},
            "database_ms": round((time.perf_counter() - started) * 1000, 2),
            "time": runtime.clock.now().isoformat().replace("+00:00", "Z"),
        })

    return router


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    metadata: MetaData | None = None,
    migrations: Path | None = None,
    hooks: ServiceHooks | None = None,
    peers: Peers | None = None,
    version: str = "0.1.0",
    fault_steps: Sequence[str] = (),
) -> FastAPI:
    """``fault_steps`` names the service's own fault points (``faults.check`` outside a route): with the routes'
    names they are the operations a fault can target."""
    suite = settings.suite
    peers = peers or Peers(suite.service_urls, control_token=(
        suite.control_token.get_secret_value() if suite.control_token else None))
    metadatas = [KitBase.metadata, *([metadata] if metadata is not None else [])]
    db = Database(database_target(settings))
    clock = Clock()
    faults = Faults(settings.name, steps=fault_steps)
    runtime = ServiceRuntime(
        settings=settings, db=db, clock=clock, peers=peers, faults=faults,
        outbox=Outbox(db=db, clock=clock, peers=peers, faults=faults, service=settings.name),
        hooks=hooks or ServiceHooks(), metadatas=metadatas,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_startup:
            await migrate(db, alembic_config(migrations, metadatas))
        await runtime.hooks.populate(runtime)
        await runtime.outbox.start()
        try:
            yield
        finally:
            await runtime.outbox.stop()
            await db.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        dependencies=[Depends(apply_route_faults)],
        generate_unique_id_function=lambda route: route.name,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by add_service_openapi, with the paths that answer behind the gateway
        telemetry=NO_TELEMETRY,
    )
    app.state.runtime = runtime
    faults.serve(app)
    add_docs(app, title=title)
    add_service_openapi(app, service=settings.name)
    install_problem_handlers(app)
    for router in (health_router(), *routers, emulator_router(), snapshot_router()):
        app.include_router(router)

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    # Added first, so innermost: the body it buffers is already capped, and a replay gets a request id too.
    app.add_middleware(IdempotencyMiddleware, db=db, clock=clock)
    # Added last, so outermost: the request id exists before anything logs; oversize bodies never reach a route.
    app.add_middleware(BodyLimitMiddleware, max_bytes=suite.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, log_access=settings.access_log)
    return app
