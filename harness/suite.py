"""The suite a test talks to: started in this process on a loopback port, or already running at a URL.

Either way a test reaches it over HTTP at ``suite.url``, as the code under test will reach the real platforms. The
embedded suite runs in a thread with an event loop of its own, so synchronous tests, async tests on any loop and
browsers all reach it alike; ``suite.run(...)`` hands a coroutine to that loop for the few tests that look inside.
"""

import asyncio
import concurrent.futures
import contextlib
import os
import socket
import threading
import time
from collections.abc import Coroutine, Iterator, Mapping
from typing import Any, TypeVar

import httpx

from harness.controls import Controls
from harness.template import Storage

T = TypeVar("T")

# What a suite started by the harness is configured with unless the test says otherwise.
TEST_PROFILE: dict[str, str] = {
    # Small keys: 2048-bit RSA generates in a fraction of the time of 3072 or 4096 (nine FIT-Connect keys at 4096
    # take seconds), for every suite that starts from empty data. A test of a client that insists on the real size
    # (the fitconnect SDK refuses FIT-Connect keys below 4096 bits) sets it back.
    "BASISDIENSTE_NUTZERKONTO_SIGNING_KEY_BITS": "2048",
    "BASISDIENSTE_POSTFACH_FITCONNECT_KEY_BITS": "2048",
    # Every suite would otherwise bind the Rechnungseingang's SMTP port 2525; the tests of that channel switch it on.
    "BASISDIENSTE_RECHNUNGSEINGANG_SMTP_ENABLED": "false",
    "BASISDIENSTE_LOG_FORMAT": "text",
    "BASISDIENSTE_LOG_LEVEL": "WARNING",
}


class SuiteUnavailable(RuntimeError):
    """The suite did not start, or no suite answers at the URL given."""


class Suite:
    """A running suite: its base URL and its emulator controls."""

    def __init__(self, url: str, *, control_token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.control_token = control_token
        self.controls = Controls(self.url, control_token=control_token)

    def http(self, **kwargs: Any) -> httpx.Client:
        """A client for the gateway (close it, or use it in a ``with``)."""
        kwargs.setdefault("timeout", 30)
        return httpx.Client(base_url=self.url, **kwargs)

    def wait_until_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"{self.url}/health", timeout=5)
                if answer.status_code == 200:
                    return
                last = f"{answer.status_code} {answer.text[:300]}"
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.1)
        raise SuiteUnavailable(f"no healthy suite at {self.url} within {timeout:.0f} s ({last})")

    def close(self) -> None:
        self.controls.close()


class RemoteSuite(Suite):
    """A suite somebody else started (``basisdienste up``, ``basisdienste exec``, compose)."""

    def __init__(self, url: str, *, control_token: str | None = None, timeout: float = 10) -> None:
        super().__init__(url, control_token=control_token)
        self.wait_until_healthy(timeout)


@contextlib.contextmanager
def suite_environment(values: Mapping[str, str]) -> Iterator[None]:
    """The process environment a suite's settings are read from: the test profile and ``values`` only, so a
    developer's shell (``BASISDIENSTE_*``) does not leak into a suite a test starts."""
    saved = dict(os.environ)
    try:
        for key in [k for k in os.environ if k.startswith("BASISDIENSTE_") and k != "BASISDIENSTE_TEST_DATABASE_URL"]:
            del os.environ[key]
        os.environ.update({**TEST_PROFILE, **values})
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def build_gateway(storage: Storage, environment: Mapping[str, str] = {}, **gateway_overrides: Any) -> Any:
    """The whole suite's gateway (not started) on ``storage``, configured like ``basisdienste up`` plus the test
    profile; rate limiting is off unless ``gateway_overrides`` say otherwise."""
    from gateway.settings import GatewaySettings
    from gateway.suite import build_gateway as build
    from kit.settings import SuiteSettings

    with suite_environment(environment):
        suite = SuiteSettings(data_dir=storage.data_dir, database_url=storage.database_url)
        settings = GatewaySettings(suite=suite, **{"rate_limit_per_second": 0, **gateway_overrides})
        return build(settings)


class EmbeddedSuite(Suite):
    """The whole suite in this process: uvicorn on a free loopback port, in a thread with its own event loop."""

    def __init__(self, storage: Storage, environment: Mapping[str, str] = {}, *,
                 startup_timeout: float = 120, **gateway_overrides: Any) -> None:
        import uvicorn

        self.storage = storage
        # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without it every
        # answer on a reused connection waits ~40 ms for a delayed ACK (Nagle); set here too for uvloop.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        super().__init__(url)
        self.gateway = build_gateway(storage, {"BASISDIENSTE_PUBLIC_BASE_URL": url, **environment},
                                     **gateway_overrides)
        config = uvicorn.Config(self.gateway, lifespan="on", log_config=None, access_log=False,
                                server_header=False, timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, name=f"basisdienste-{url}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + startup_timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise SuiteUnavailable(f"the suite did not start: {self._failure!r}")
            time.sleep(0.01)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._server.serve(sockets=[self._socket]))
        except BaseException as exc:  # reported by the starting thread
            self._failure = exc
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run ``coroutine`` on the suite's event loop (where its connections live) and answer its result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """``run`` for async tests: awaits the result without blocking the test's own loop."""
        assert self._loop is not None
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return await asyncio.wrap_future(future)

    def service_app(self, name: str) -> Any:
        """A service's ASGI app inside this suite (for tests that look at its state through ``run``)."""
        return self.gateway.upstreams[name].app

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()
        self.close()
