"""The gateway as one ASGI app: a chain of small handlers in front of the upstreams and the gateway's own routes.

request id → CORS → rate limit → body cap → route. ``/<service>/...`` goes to that service's upstream;
everything else (``/health``, ``/openapi.json``, ``/docs``, ``/_emulator``) to the gateway's own FastAPI app.
"""

import contextlib
from collections.abc import Awaitable, Callable, Mapping

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.controls import AroundReset, gateway_routes
from gateway.lifespans import lifespans
from gateway.ratelimit import MemoryBuckets, RateLimitMiddleware, RedisBuckets
from gateway.settings import GatewaySettings
from gateway.tokens import TokenGate
from gateway.upstreams import LocalUpstream, RemoteUpstream
from kit.bodylimit import BodyLimitMiddleware
from kit.clock import Clock
from kit.docs import add_docs
from kit.logging import RequestContextMiddleware
from kit.peers import Peers
from kit.problems import document_problems, install_problem_handlers, problem_response
from kit.service import NO_TELEMETRY

Upstream = LocalUpstream | RemoteUpstream


def _well_known_of_service(scope: Scope, upstreams: Mapping[str, Upstream]) -> Scope:
    """RFC 8414 §3.1 puts the metadata of an issuer with a path at ``/.well-known/<name>/<path>``:
    ``/.well-known/oauth-authorization-server/nutzerkonto`` is the Nutzerkonto's
    ``/nutzerkonto/.well-known/oauth-authorization-server``."""
    _, _, well_known, name, *rest = scope["path"].split("/")
    if name in upstreams and not rest:
        path = f"/{name}/.well-known/{well_known}"
        return {**scope, "path": path, "raw_path": path.encode()}
    return scope


class Router:
    """Sends ``/<service>/...`` to its upstream (after the token check) and the rest to the gateway's own app."""

    def __init__(self, upstreams: Mapping[str, Upstream], own: ASGIApp, tokens: TokenGate) -> None:
        self.upstreams = upstreams
        self.own = own
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith("/.well-known/"):
                scope = _well_known_of_service(scope, self.upstreams)
                path = scope["path"]
            name, _, rest = path[1:].partition("/")
            upstream = self.upstreams.get(name)
            # Controls go through the gateway's /_emulator only, where access is checked for the real caller.
            if upstream is not None and not rest.startswith("_emulator"):
                problem = await self.tokens.check(scope)
                if problem is not None:
                    await problem_response(problem, path)(scope, receive, send)
                    return
                await upstream.forward(scope, receive, send)
                return
        await self.own(scope, receive, send)


class Gateway:
    """The ASGI app ``basisdienste up`` serves; its lifespan also runs the lifespans of in-process services."""

    def __init__(self, settings: GatewaySettings, upstreams: Mapping[str, Upstream], peers: Peers) -> None:
        self.settings = settings
        self.upstreams = dict(upstreams)
        self.peers = peers
        # The gateway's own clock, moved with every service's by /_emulator/clock: token expiry is judged here too.
        self.clock = Clock()
        # `up --import/--seed` work once the services run (before the suite answers), `--export-on-exit` work
        # before they stop, and wrappers around /_emulator/reset (a seed folder is registered again).
        self.on_start: list[Callable[[], Awaitable[None]]] = []
        self.on_stop: list[Callable[[], Awaitable[None]]] = []
        self.around_reset: list[AroundReset] = []
        # Set by an on_start hook that refuses to start the suite (the CLI's exit code).
        self.exit_code: int | None = None
        self.own = self._own_app()
        buckets = self._buckets()
        self._closers = [b for b in (buckets,) if isinstance(b, RedisBuckets)]
        app: ASGIApp = Router(self.upstreams, self.own, TokenGate(peers, self.clock))
        app = BodyLimitMiddleware(app, max_bytes=settings.suite.max_body_bytes)
        if buckets is not None:
            app = RateLimitMiddleware(app, buckets=buckets)
        app = CORSMiddleware(
            app, allow_origins=settings.cors_origins, allow_origin_regex=settings.cors_origin_regex,
            allow_methods=["*"], allow_headers=["*"], allow_credentials=True, max_age=600,
            expose_headers=["X-Request-ID", "Location", "Retry-After", "Idempotent-Replayed", "X-Emulator-Fault"],
        )
        self.app = RequestContextMiddleware(app, log_access=settings.access_log)

    def _buckets(self) -> MemoryBuckets | RedisBuckets | None:
        rate, burst = self.settings.rate_limit_per_second, self.settings.rate_limit_burst
        if rate <= 0:
            return None
        if self.settings.redis_url:
            return RedisBuckets(self.settings.redis_url, rate, burst)
        return MemoryBuckets(rate, burst)

    def _own_app(self) -> FastAPI:
        own = FastAPI(
            title="Basisdienste",
            description="Local twin of a German Land's eGovernment Basisdienste. Each service lives under "
                        "`/<service>`; `/_emulator` controls the whole suite (reset, clock, seed, faults).",
            version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None,
            generate_unique_id_function=lambda route: route.name, telemetry=NO_TELEMETRY,
        )
        install_problem_handlers(own)
        add_docs(own, title="Basisdienste")
        gateway_routes(own, services=list(self.upstreams), peers=self.peers, suite=self.settings.suite,
                       clock=self.clock, around_reset=self.around_reset)
        generate = own.openapi

        def schema() -> dict:
            if own.openapi_schema is None:
                own.openapi_schema = document_problems(generate())
            return own.openapi_schema

        own.openapi = schema  # type: ignore[method-assign]
        return own

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        await self.app(scope, receive, send)

    @contextlib.asynccontextmanager
    async def running(self):  # type: ignore[no-untyped-def]
        """Start every in-process service (migrations, seed, outbox) side by side; stop them in reverse order."""
        async with contextlib.AsyncExitStack() as stack:
            for upstream in self.upstreams.values():
                if isinstance(upstream, RemoteUpstream):
                    stack.push_async_callback(upstream.aclose)
            await stack.enter_async_context(lifespans(
                [u.app for u in self.upstreams.values() if isinstance(u, LocalUpstream)]))
            for closer in self._closers:
                stack.push_async_callback(closer.aclose)
            stack.push_async_callback(self.peers.aclose)
            for hook in self.on_start:
                await hook()
            for hook in self.on_stop:
                stack.push_async_callback(hook)  # pushed last, so run first: while the services still run
            yield

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        started = False
        try:
            async with self.running():
                started = True
                await send({"type": "lifespan.startup.complete"})
                await receive()  # lifespan.shutdown
        except Exception as exc:
            phase = "shutdown" if started else "startup"
            await send({"type": f"lifespan.{phase}.failed", "message": f"{type(exc).__name__}: {exc}"})
            return
        await send({"type": "lifespan.shutdown.complete"})
