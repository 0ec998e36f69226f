"""Building blocks for a started suite that a whole test folder or module shares: starting one costs seconds on a
busy machine, ``POST /_emulator/reset`` a fraction of that, so folders with many in-process tests start the suite
once and reset it before each test. Also used by tests/conftest.py for the per-test database."""

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import asyncpg
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from gateway.app import Gateway
from gateway.settings import GatewaySettings
from gateway.suite import _peers, build_gateway, service_app
from gateway.upstreams import LocalUpstream
from kit.settings import SuiteSettings

TEST_DATABASE_URL = os.environ.get("BASISDIENSTE_TEST_DATABASE_URL")

# What every suite a test starts is configured with, unless the test says otherwise.
TEST_ENVIRONMENT = {
    # 2048-bit keys generate in a tenth of the time of the default 3072; each test starts a fresh IdP.
    "BASISDIENSTE_NUTZERKONTO_SIGNING_KEY_BITS": "2048",
    # Every in-process suite would otherwise bind the Rechnungseingang's SMTP port; its own tests switch it on.
    "BASISDIENSTE_RECHNUNGSEINGANG_SMTP_ENABLED": "false",
}


def suite_variables(**overrides: str) -> dict[str, str]:
    """The BASISDIENSTE_* variables a test suite runs with: the test defaults, then ``overrides``."""
    return {**TEST_ENVIRONMENT, **overrides}


@contextlib.contextmanager
def suite_environment(**overrides: str) -> Iterator[None]:
    """The process environment as a shared suite is built with: a developer's shell does not leak in."""
    import pytest

    with pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.startswith("BASISDIENSTE_") and key != "BASISDIENSTE_TEST_DATABASE_URL":
                patch.delenv(key)
        for key, value in suite_variables(**overrides).items():
            patch.setenv(key, value)
        yield


async def _admin(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
                                 user=parsed.username or "postgres", password=parsed.password,
                                 database="postgres")


@contextlib.asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[str | None]:
    """None on SQLite; on PostgreSQL the URL of a database of its own, dropped afterwards."""
    if not TEST_DATABASE_URL:
        yield None
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await _admin(TEST_DATABASE_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def partial_gateway(settings: GatewaySettings, services: Sequence[str]) -> Gateway:
    """A gateway over only ``services``, wired as gateway.suite wires the whole suite: a folder that needs a few
    services starts faster and is not broken by another service's work in progress."""
    peers = _peers(settings.suite)
    upstreams = {}
    for name in services:
        app = service_app(name, settings.suite, peers=peers, access_log=False)
        peers.register_app(name, app)
        upstreams[name] = LocalUpstream(name, app, timeout=settings.upstream_timeout_seconds)
    return Gateway(settings, upstreams, peers)


@contextlib.asynccontextmanager
async def started_suite(data_dir: Path, database_url: str | None, *, services: Sequence[str] | None = None,
                        startup_timeout: float = 120) -> AsyncIterator[Gateway]:
    """The suite (or ``services`` of it) started in this process, rate limiting off; build it inside
    :func:`suite_environment`, which settings are read from."""
    settings = GatewaySettings(suite=SuiteSettings(data_dir=data_dir, database_url=database_url, log_format="text"),
                               rate_limit_per_second=0)
    gateway = build_gateway(settings) if services is None else partial_gateway(settings, services)
    async with LifespanManager(gateway, startup_timeout=startup_timeout):
        yield gateway
