"""A reset (TRUNCATE of a service's tables) that deadlocks with a background worker on PostgreSQL is retried: the
worker holds a lock on a table the TRUNCATE reaches late and then wants one the TRUNCATE already holds."""

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kit.db import Database, DatabaseTarget, normalise_url
from kit.idempotency import IdempotencyKey
from kit.migrate import alembic_config, migrate
from kit.models import KitBase
from kit.outbox import OutboxMessage

# Importing the models puts their tables (idempotency keys, outbox) on the kit's metadata.
KIT_TABLES = (IdempotencyKey, OutboxMessage)


async def test_reset_survives_a_deadlock_with_a_worker(database_url: str | None) -> None:
    if not database_url:
        pytest.skip("TRUNCATE and its table locks are PostgreSQL's")
    db = Database(DatabaseTarget(normalise_url(database_url), "deadlock_test"))
    try:
        await migrate(db, alembic_config(None, [KitBase.metadata]))
        order = [t.name for t in KitBase.metadata.sorted_tables]
        first, late = order[0], order[-1]
        async with db.engine.connect() as worker:
            await worker.begin()
            await worker.execute(text(f'LOCK TABLE "{late}" IN ROW EXCLUSIVE MODE'))
            reset = asyncio.create_task(db.truncate(KitBase.metadata))
            await asyncio.sleep(0.3)  # the TRUNCATE now holds the first table and waits for the late one
            try:
                await worker.execute(text(f'LOCK TABLE "{first}" IN ROW EXCLUSIVE MODE'))
                await worker.commit()
            except DBAPIError:
                await worker.rollback()  # PostgreSQL chose the worker as the victim; fine as well
            await asyncio.wait_for(reset, 15)
    finally:
        await db.dispose()
