"""The Bescheid tests run the whole suite, started from the run's template (a notice passes through the Nutzerkonto,
the Postfach and the Bescheid). One
suite serves the whole test folder (starting one costs many seconds on a busy machine); each test begins from
``POST /_emulator/reset`` as a user's test run would. On PostgreSQL the module gets its own database."""

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from gateway.app import Gateway
from harness.template import Template
from tests.conftest import client_for
from tests.shared_suite import started_suite


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def suite(basisdienste_template: Template,
                tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    async with started_suite(basisdienste_template, tmp_path_factory) as gateway:
        yield gateway


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def client(suite: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(suite) as c:
        yield c


@pytest_asyncio.fixture(autouse=True, loop_scope="package")
async def _fresh(client: httpx.AsyncClient) -> None:
    answer = await client.post("/_emulator/reset")
    assert answer.status_code == 200, answer.text
