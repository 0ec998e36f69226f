"""The Bescheid tests run the three services a notice passes through — Nutzerkonto (tokens), Postfach
(delivery, Bekanntgabe) and Bescheid — behind a real gateway, wired as gateway.suite wires the whole suite. One
suite serves the whole test folder (starting one costs many seconds on a busy machine); each test begins from
``POST /_emulator/reset`` as a user's test run would. On PostgreSQL the module gets its own database."""

import os
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from gateway.app import Gateway
from gateway.settings import GatewaySettings
from gateway.suite import _peers, service_app
from gateway.upstreams import LocalUpstream
from kit.settings import SuiteSettings
from tests.conftest import _admin, client_for

SERVICES = ("nutzerkonto", "postfach", "bescheid")
TEST_DATABASE_URL = os.environ.get("BASISDIENSTE_TEST_DATABASE_URL")


def build_suite(settings: GatewaySettings) -> Gateway:
    peers = _peers(settings.suite)
    upstreams = {}
    for name in SERVICES:
        app = service_app(name, settings.suite, peers=peers, access_log=False)
        peers.register_app(name, app)
        upstreams[name] = LocalUpstream(name, app, timeout=settings.upstream_timeout_seconds)
    return Gateway(settings, upstreams, peers)


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def module_database() -> AsyncIterator[str | None]:
    if not TEST_DATABASE_URL:
        yield None
        return
    name = f"bd_bs_{uuid.uuid4().hex[:12]}"
    admin = await _admin(TEST_DATABASE_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def suite(tmp_path_factory: pytest.TempPathFactory, module_database: str | None) -> AsyncIterator[Gateway]:
    with pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.startswith("BASISDIENSTE_") and key != "BASISDIENSTE_TEST_DATABASE_URL":
                patch.delenv(key)
        patch.setenv("BASISDIENSTE_NUTZERKONTO_SIGNING_KEY_BITS", "2048")
        suite_settings = SuiteSettings(data_dir=tmp_path_factory.mktemp("data"), database_url=module_database,
                                       log_format="text")
        gateway = build_suite(GatewaySettings(suite=suite_settings, rate_limit_per_second=0))
        async with LifespanManager(gateway, startup_timeout=90):
            yield gateway


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def client(suite: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(suite) as c:
        yield c


@pytest_asyncio.fixture(autouse=True, loop_scope="package")
async def _fresh(client: httpx.AsyncClient) -> None:
    answer = await client.post("/_emulator/reset")
    assert answer.status_code == 200, answer.text
