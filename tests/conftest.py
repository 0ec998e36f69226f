"""Fixtures shared by all tests: the suite in-process on SQLite by default, on PostgreSQL when
``BASISDIENSTE_TEST_DATABASE_URL`` is set (a fresh database per test, dropped afterwards)."""

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from gateway.app import Gateway
from gateway.settings import GatewaySettings
from gateway.suite import build_gateway
from kit.settings import SuiteSettings
from tests import browser

TEST_DATABASE_URL = os.environ.get("BASISDIENSTE_TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def _no_suite_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests configure the suite explicitly; a developer's shell must not leak into them."""
    for key in list(os.environ):
        if key.startswith("BASISDIENSTE_") and key != "BASISDIENSTE_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    # 2048-bit keys generate in a tenth of the time of the default 3072; each test starts a fresh IdP.
    monkeypatch.setenv("BASISDIENSTE_NUTZERKONTO_SIGNING_KEY_BITS", "2048")
    # Every in-process suite would otherwise bind the Rechnungseingang's SMTP port; its own tests switch it on.
    monkeypatch.setenv("BASISDIENSTE_RECHNUNGSEINGANG_SMTP_ENABLED", "false")


async def _admin(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
                                 user=parsed.username or "postgres", password=parsed.password,
                                 database="postgres")


@pytest.fixture
async def database_url() -> AsyncIterator[str | None]:
    """None on SQLite; on PostgreSQL the URL of a database created for this one test."""
    if not TEST_DATABASE_URL:
        yield None
        return
    name = f"bd_test_{uuid.uuid4().hex[:12]}"
    admin = await _admin(TEST_DATABASE_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


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
