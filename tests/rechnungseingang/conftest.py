"""Fixtures of the intake tests: ONE started suite shared by all tests of this folder (starting the whole suite
costs 5 to 15 s on a busy machine, a reset through ``POST /_emulator/reset`` well under one), reset before every
test so each test still begins from the seed data. The Rechnungseingang's SMTP channel is switched on for the
shared suite, on a free port (the machine's port 2525 may be taken by another run).

Async tests using the shared suite (the ``client`` fixture) must run in the package's event loop, where the suite's
database connections, SMTP server and outbox dispatcher live: ``pytest_collection_modifyitems`` below marks them.
(A module-level ``pytestmark`` does not do it: in auto mode pytest-asyncio adds its own unscoped ``asyncio`` mark to
each test, and the test's own mark is the closest one.)"""

import asyncio
import inspect
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from gateway.app import Gateway
from harness.template import Template
from tests.browser import free_port
from tests.conftest import client_for
from tests.shared_suite import started_suite

# How long a test's leftover outbox deliveries (forwarding into the Postfach) may take before the next reset.
_DRAIN_SECONDS = 5.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if (isinstance(item, pytest.Function) and inspect.iscoroutinefunction(item.obj)
                and "client" in item.fixturenames and here in Path(item.path).parents):
            item.add_marker(pytest.mark.asyncio(loop_scope="package"), append=False)


@pytest.fixture(autouse=True)
def _no_smtp(_no_suite_environment: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASISDIENSTE_RECHNUNGSEINGANG_SMTP_ENABLED", "false")


@pytest.fixture(scope="package")
def smtp_port() -> int:
    return free_port()


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def shared_suite(smtp_port: int, basisdienste_template: Template,
                       tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    async with started_suite(basisdienste_template, tmp_path_factory, BASISDIENSTE_RECHNUNGSEINGANG_SMTP_ENABLED="true",
                             BASISDIENSTE_RECHNUNGSEINGANG_SMTP_PORT=str(smtp_port)) as gateway:
        yield gateway


async def _drain_outbox(client: httpx.AsyncClient) -> None:
    """Let deliveries the previous test set off finish, so that none lands in the freshly reset Postfach."""
    deadline = asyncio.get_running_loop().time() + _DRAIN_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        answer = await client.get("/_emulator/rechnungseingang/outbox")
        if answer.status_code != 200 or not any(m["status"] == "pending" for m in answer.json()):
            return
        await asyncio.sleep(0.05)


@pytest_asyncio.fixture(loop_scope="package")
async def client(shared_suite: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the shared suite, reset to its seed data (clock released, faults cleared) for this test."""
    async with client_for(shared_suite) as c:
        await _drain_outbox(c)
        reset = await c.post("/_emulator/reset")
        assert reset.status_code == 200, reset.text
        yield c

