"""Building blocks for a started suite that a whole test folder or module shares in its own event loop: the suite
starts from a copy of the run's template (harness/template.py: a copy instead of migrations and key generation)
and ``POST /_emulator/reset`` before each test. Also the scratch databases of the kit's tests, which start empty."""

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from gateway.app import Gateway
from harness.suite import TEST_PROFILE, build_gateway
from harness.template import Template

TEST_DATABASE_URL = os.environ.get("BASISDIENSTE_TEST_DATABASE_URL")



def suite_variables(**overrides: str) -> dict[str, str]:
    """The BASISDIENSTE_* variables a test suite runs with: the test defaults, then ``overrides``."""
    return {**TEST_PROFILE, **overrides}


@contextlib.contextmanager
def suite_environment(**overrides: str) -> Iterator[None]:
    """The process environment as a shared suite is built with: a developer's shell does not leak in."""
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
    """None on SQLite; on PostgreSQL the URL of an empty database of its own, dropped afterwards."""
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


@contextlib.asynccontextmanager
async def started_suite(template: Template, tmp_path_factory: pytest.TempPathFactory, *,
                        startup_timeout: float = 120, **environment: str) -> AsyncIterator[Gateway]:
    """The whole suite started in this event loop from a copy of ``template``, rate limiting off; ``environment``
    adds BASISDIENSTE_* settings to the test defaults."""
    storage = template.copy(tmp_path_factory.mktemp("suite") / "data")
    try:
        gateway = build_gateway(storage, suite_variables(**environment))
        async with LifespanManager(gateway, startup_timeout=startup_timeout):
            yield gateway
    finally:
        template.drop_database(storage)
