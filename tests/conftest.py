"""Fixtures shared by all tests: the suite in-process on SQLite by default, on PostgreSQL when
``BASISDIENSTE_TEST_DATABASE_URL`` is set (a fresh database per test, dropped afterwards)."""

import os
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gateway.app import Gateway
from gateway.settings import GatewaySettings
from gateway.suite import build_gateway
from kit.settings import SuiteSettings
from tests import browser
from tests.shared_suite import scratch_database, suite_variables


@pytest.fixture(autouse=True)
def _no_suite_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests configure the suite explicitly; a developer's shell must not leak into them."""
    for key in list(os.environ):
        if key.startswith("BASISDIENSTE_") and key != "BASISDIENSTE_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    for key, value in suite_variables().items():
        monkeypatch.setenv(key, value)


@pytest.fixture
async def database_url() -> AsyncIterator[str | None]:
    """None on SQLite; on PostgreSQL the URL of a database created for this one test."""
    async with scratch_database("bd_test") as url:
        yield url


@pytest.fixture
def suite_settings(tmp_path, database_url) -> Callable[..., SuiteSettings]:  # type: ignore[no-untyped-def]
    def make(**overrides: object) -> SuiteSettings:
        values: dict[str, object] = {"data_dir": tmp_path / "data", "database_url": database_url,
                                     "log_format": "text", **overrides}
        return SuiteSettings(**values)

    return make


@pytest.fixture
def gateway_settings(suite_settings) -> Callable[..., GatewaySettings]:  # type: ignore[no-untyped-def]
    def make(*, suite: SuiteSettings | None = None, **overrides: object) -> GatewaySettings:
        return GatewaySettings(suite=suite or suite_settings(), **overrides)

    return make


def client_for(app: object, *, client: tuple[str, int] = ("127.0.0.1", 50000)) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=client),  # type: ignore[arg-type]
                             base_url="http://testserver")


@pytest.fixture
async def suite(gateway_settings) -> AsyncIterator[Gateway]:  # type: ignore[no-untyped-def]
    """The whole suite in this process, started; rate limiting off so tests may be quick."""
    gateway = build_gateway(gateway_settings(rate_limit_per_second=0))
    async with LifespanManager(gateway, startup_timeout=60):
        yield gateway


@pytest.fixture
async def client(suite: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(suite) as c:
        yield c


@pytest.fixture
def running_suite(tmp_path, database_url) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """``basisdienste up`` as a user starts it, on a free port, for browser tests; answers its base URL."""
    with browser.running_suite(tmp_path, database_url) as base:
        yield base
