"""The mailbox tests run the two services they need — the Nutzerkonto (identities, tokens) and the Postfach —
behind a real gateway, wired exactly as gateway.suite wires the whole suite. One suite serves a whole test module
(starting it costs seconds on a busy machine); each test begins from ``POST /_emulator/reset``, as a user's test
run would. On PostgreSQL the module gets its own database, dropped afterwards."""

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from gateway.app import Gateway
from tests.conftest import client_for
from tests.shared_suite import scratch_database, started_suite, suite_environment

SERVICES = ("nutzerkonto", "postfach")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    with suite_environment():
        async with scratch_database("bd_mb") as database_url, \
                started_suite(tmp_path_factory.mktemp("data"), database_url, services=SERVICES) as gateway:
            yield gateway


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(suite: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(suite) as c:
        yield c


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def _fresh(client: httpx.AsyncClient) -> None:
    answer = await client.post("/_emulator/reset")
    assert answer.status_code == 200, answer.text
