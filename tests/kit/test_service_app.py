"""What every service gets from the kit: health that tells the truth, problem details for every error,
its own database migrated to head."""

import httpx
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import inspect

from kit.migrate import alembic_config
from kit.service import create_service_app
from services.postfach.settings import PostfachSettings
from tests.conftest import client_for


def create_app(settings: PostfachSettings) -> FastAPI:
    """The kit's service app with nothing of a service in it (the postfach's settings, none of its code), so
    these tests see the kernel's behaviour alone."""
    return create_service_app(settings, title="Kit alone", description="create_service_app without a service")


async def test_health_is_503_problem_when_the_database_is_unreachable(suite_settings) -> None:  # type: ignore[no-untyped-def]
    settings = PostfachSettings(suite=suite_settings(), database_url="postgresql://postgres@127.0.0.1:9/none",
                                migrate_on_startup=False)
    app = create_app(settings)
    async with LifespanManager(app), client_for(app) as client:
        answer = await client.get("/health")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["checks"] == {"database": "fail"}


async def test_every_error_is_a_problem(suite_settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(PostfachSettings(suite=suite_settings()))
    async with LifespanManager(app), client_for(app) as client:
        not_found = await client.get("/nothing-here")
        wrong_method = await client.delete("/health")
        malformed = await client.post("/_emulator/faults", content=b"{oops",
                                      headers={"content-type": "application/json"})
        invalid = await client.post("/_emulator/faults", json={"operation": "", "status": 99})
    for answer, status in ((not_found, 404), (wrong_method, 405), (malformed, 400), (invalid, 422)):
        assert answer.status_code == status
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["status"] == status
    pointers = {e["pointer"] for e in invalid.json()["errors"]}
    assert pointers == {"/operation", "/status"}
    assert wrong_method.headers["allow"] == "GET"


async def test_unexpected_failure_is_a_500_problem_without_internals(suite_settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(PostfachSettings(suite=suite_settings()))

    @app.get("/explode")
    async def explode() -> None:
        raise RuntimeError("secret internals")

    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answer = await client.get("/explode")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert "secret" not in answer.text


async def test_the_database_is_migrated_to_head_and_kept_on_restart(suite_settings) -> None:  # type: ignore[no-untyped-def]
    settings = PostfachSettings(suite=suite_settings())
    for _ in range(2):  # the second start finds the schema current and changes nothing
        app = create_app(settings)
        runtime = app.state.runtime
        async with LifespanManager(app):
            async with runtime.db.engine.connect() as connection:
                heads = await connection.run_sync(
                    lambda c: MigrationContext.configure(c).get_current_heads())
                tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    script = ScriptDirectory.from_config(alembic_config(None, []))
    assert set(heads) == set(script.get_heads())
    assert {"outbox_messages", "idempotency_keys"} <= tables
    if runtime.db.target.schema:
        assert runtime.db.target.schema == "postfach"
