"""The BUS service starts on empty data and its Alembic migration creates exactly what its models declare."""

from pathlib import Path
from typing import Any

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from asgi_lifespan import LifespanManager

from kit.settings import SuiteSettings
from services.bus.app import create_app
from services.bus.models import Base
from services.bus.settings import BusSettings

TABLES = {"areas", "leistungen", "organisation_units", "zustaendigkeiten", "online_services"}


async def test_the_service_starts_and_its_migration_matches_the_models(tmp_path: Path,
                                                                       database_url: str | None) -> None:
    suite = SuiteSettings(data_dir=tmp_path, database_url=database_url, log_format="text")
    app = create_app(BusSettings(suite=suite))
    async with LifespanManager(app, startup_timeout=60):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bus") as client:
            health = await client.get("/health")
            assert health.status_code == 200 and health.json()["status"] == "pass"
        db = app.state.runtime.db

        def differences(connection: Any) -> list[Any]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return [d for d in compare_metadata(context, Base.metadata) if any(t in repr(d) for t in TABLES)]

        async with db.engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(c.dialect.get_table_names(c)))
            assert TABLES <= tables
            assert await connection.run_sync(differences) == []
