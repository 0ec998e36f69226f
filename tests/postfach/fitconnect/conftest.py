"""Fixtures of the FIT-Connect tests: ONE started suite shared by the in-process tests of this folder (starting
the whole suite costs seconds on a busy machine, ``POST /_emulator/reset`` a fraction of that), reset before
every test so each still begins from the seed data, with the clock released and no faults. The suite starts from the
run's template (2048-bit destination keys, the test profile's; the SDK tests start a suite of their own at 4096).

Async tests on the shared suite must run in the package's event loop, where its connections and background
tasks live: each test module says so with ``pytestmark = pytest.mark.asyncio(loop_scope="package")`` (a marker
added after collection comes too late for pytest-asyncio)."""

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from gateway.app import Gateway
from harness.template import Template
from tests.conftest import client_for
from tests.shared_suite import started_suite


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def shared_suite(basisdienste_template: Template,
                       tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    async with started_suite(basisdienste_template, tmp_path_factory) as gateway:
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
