"""Fixtures of the FIT-Connect tests: ONE started suite shared by the in-process tests of this folder (starting
the whole suite costs seconds on a busy machine, ``POST /_emulator/reset`` a fraction of that), reset before
every test so each still begins from the seed data, with the clock released and no faults. Destination keys are
2048 bits here (a fifth of the generation time of 4096); the real-client tests start their own
``basisdienste up`` with the real 4096 (the fitconnect SDK refuses less).

Async tests on the shared suite must run in the package's event loop, where its connections and background
tasks live: each test module says so with ``pytestmark = pytest.mark.asyncio(loop_scope="package")`` (a marker
added after collection comes too late for pytest-asyncio)."""

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from gateway.app import Gateway
from gateway.settings import GatewaySettings
from gateway.suite import build_gateway
from kit.settings import SuiteSettings
from tests.conftest import TEST_DATABASE_URL, _admin, client_for


@pytest.fixture(scope="package")
def _shared_environment() -> Iterator[None]:
    """The environment the shared suite is built with (settings are read when the apps are built)."""
    with pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.startswith("BASISDIENSTE_") and key != "BASISDIENSTE_TEST_DATABASE_URL":
                patch.delenv(key)
        patch.setenv("BASISDIENSTE_NUTZERKONTO_SIGNING_KEY_BITS", "2048")
        patch.setenv("BASISDIENSTE_POSTFACH_FITCONNECT_KEY_BITS", "2048")
        yield


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def shared_database_url() -> AsyncIterator[str | None]:
    """None on SQLite; on PostgreSQL one database for this folder's shared suite, dropped afterwards."""
    if not TEST_DATABASE_URL:
        yield None
        return
    name = f"bd_test_fc_{uuid.uuid4().hex[:12]}"
    admin = await _admin(TEST_DATABASE_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def shared_suite(_shared_environment: None, shared_database_url: str | None,
                       tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    settings = SuiteSettings(data_dir=tmp_path_factory.mktemp("fitconnect") / "data",
                             database_url=shared_database_url, log_format="text")
    gateway = build_gateway(GatewaySettings(suite=settings, rate_limit_per_second=0))
    async with LifespanManager(gateway, startup_timeout=120):
        yield gateway


@pytest_asyncio.fixture(loop_scope="package")
async def suite(shared_suite: Gateway) -> AsyncIterator[Gateway]:
    """The shared suite, reset to its seed data for this test."""
    async with client_for(shared_suite) as c:
        reset = await c.post("/_emulator/reset")
        assert reset.status_code == 200, reset.text
    yield shared_suite


@pytest_asyncio.fixture(loop_scope="package")
async def client(suite: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(suite) as c:
        yield c
