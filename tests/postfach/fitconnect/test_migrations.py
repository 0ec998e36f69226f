"""The FIT-Connect part's Alembic migrations create exactly what its models declare."""

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gateway.app import Gateway
from services.postfach.models import Base

# On the folder's shared suite, whose connections and background tasks live in the package's event loop.
pytestmark = pytest.mark.asyncio(loop_scope="package")


async def test_the_fitconnect_migrations_match_the_models(suite: Gateway) -> None:
    db = suite.upstreams["postfach"].app.state.runtime.db  # type: ignore[attr-defined]

    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [d for d in compare_metadata(context, Base.metadata) if "fc_" in repr(d)]

    async with db.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(c.dialect.get_table_names(c)))
        assert {"fc_clients", "fc_destinations", "fc_submissions", "fc_events", "fc_keys", "fc_replies"} <= tables
        assert await connection.run_sync(differences) == []
