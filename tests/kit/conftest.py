"""The kit's tests build service apps from the kernel alone, with migrations of their own: they start from empty
storage (a fresh directory; on PostgreSQL an empty database), not from the suite's template. Tests of the whole
suite (``suite``) still get the template's copy."""

from collections.abc import AsyncIterator

import pytest

from harness.template import Storage, Template
from tests.shared_suite import scratch_database


@pytest.fixture
async def storage(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Storage]:  # type: ignore[no-untyped-def]
    if "suite" in request.fixturenames:
        template: Template = request.getfixturevalue("basisdienste_template")
        copy = template.copy(tmp_path / "data")
        yield copy
        template.drop_database(copy)
        return
    async with scratch_database("bd_kit") as url:
        yield Storage(tmp_path / "data", url)
