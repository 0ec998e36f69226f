"""Bring a service's database to the newest schema: the kit's Alembic branch plus the service's own.

Every service keeps its revisions in ``services/<name>/migrations/``; they share the kit's ``env.py``.
Developers create one with ``basisdienste migrations <service> revision -m "..." --autogenerate``.
"""

import asyncio
import weakref
import zlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from kit.db import Database

KIT_MIGRATIONS = Path(__file__).parent / "migrations"

# Alembic keeps the running migration in module globals (``alembic.context``, ``alembic.op``), so a process runs
# one upgrade at a time. The services of `basisdienste up` start side by side; on PostgreSQL their upgrades
# interleave at every statement's await and would run each other's operations. One lock per event loop (tests
# run several loops, and an asyncio.Lock belongs to one).
_upgrade_locks: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]" = weakref.WeakKeyDictionary()


def alembic_config(service_migrations: Path | None, metadatas: list[MetaData]) -> Config:
    config = Config()
    config.set_main_option("script_location", str(KIT_MIGRATIONS))
    locations = [KIT_MIGRATIONS / "versions"]
    if service_migrations is not None and service_migrations.is_dir():
        locations.append(service_migrations)
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    config.attributes["target_metadata"] = metadatas
    return config


async def migrate(db: Database, config: Config) -> None:
    lock = _upgrade_locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock, db.engine.begin() as connection:
        if db.target.schema:
            # Several processes may start at once (compose): one migrates, the others wait for it.
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                     {"key": zlib.crc32(db.target.schema.encode())})
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.target.schema}"'))
        await connection.run_sync(_upgrade, config)


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")
