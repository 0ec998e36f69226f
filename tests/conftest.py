"""Fixtures shared by all tests, on the shipped pytest plugin (harness/plugin.py): every suite a test starts is a copy
of the run's migrated template, on SQLite by default and on PostgreSQL when ``BASISDIENSTE_TEST_DATABASE_URL`` is
set (a database per suite, made from the template database and dropped afterwards).

``client``/``suite`` are a suite of the test's own in the test's event loop (for tests that look inside a service or
configure the suite); tests that only talk HTTP use the plugin's shared ``basisdienste`` suite, reset per test."""

import os
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gateway.app import Gateway
from gateway.settings import GatewaySettings
from gateway.suite import build_gateway
from harness.template import Storage, Template
from kit.settings import SuiteSettings
from tests import browser
from tests.shared_suite import suite_variables


@pytest.fixture(autouse=True)
def _no_suite_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests configure the suite explicitly; a developer's shell must not leak into them."""
    for key in list(os.environ):
        if key.startswith("BASISDIENSTE_") and key != "BASISDIENSTE_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    for key, value in suite_variables().items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def storage(basisdienste_template: Template, tmp_path) -> Iterator[Storage]:  # type: ignore[no-untyped-def]
    """This test's data: a copy of the template (SQLite files, or a PostgreSQL database made from it)."""
    storage = basisdienste_template.copy(tmp_path / "data")
    yield storage
    basisdienste_template.drop_database(storage)


@pytest.fixture
def database_url(storage: Storage) -> str | None:
    """None on SQLite; on PostgreSQL the URL of this test's database."""
    return storage.database_url


@pytest.fixture
def suite_settings(storage: Storage) -> Callable[..., SuiteSettings]:
    def make(**overrides: object) -> SuiteSettings:
        values: dict[str, object] = {"data_dir": storage.data_dir, "database_url": storage.database_url,
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
    """The whole suite in this test's event loop, started from the template; rate limiting off."""
    gateway = build_gateway(gateway_settings(rate_limit_per_second=0))
    async with LifespanManager(gateway, startup_timeout=60):
        yield gateway


@pytest.fixture
async def client(suite: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(suite) as c:
        yield c


@pytest.fixture
def running_suite(tmp_path, storage: Storage) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """``basisdienste up`` as a user starts it, on a free port and the template's data; answers its base URL."""
    with browser.running_suite(tmp_path, storage.database_url, data_dir=storage.data_dir) as base:
        yield base
