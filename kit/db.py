"""Each service's own database: engine, sessions, health ping and fast reset.

The embedded default is one SQLite file per service; with a PostgreSQL URL every service gets its own schema
(``search_path``), so no service can join another's tables (house rule 2).
"""

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, TypeDecorator, event, text
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from kit import sqlite_inline  # noqa: F401  (registers the sqlite+inline driver)
from kit.settings import ServiceSettings

# Stable constraint names make migrations reproducible across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_TRUNCATE_ATTEMPTS = 3


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware timestamp that comes back aware on SQLite too (SQLite drops the offset), always in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: take time from the kit clock, which is timezone-aware")
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC) if value is not None else None


# For every declarative base: ``Mapped[dt.datetime]`` columns are UTC-aware timestamps.
TYPE_ANNOTATION_MAP: dict[Any, Any] = {dt.datetime: UTCDateTime}


def normalise_url(url: str) -> URL:
    """Accept the URLs people write (``postgres://``, ``postgresql://``, ``sqlite:///``) and pick async drivers."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg")
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+inline")
    raise ValueError(f"unsupported database: {parsed.drivername} (use PostgreSQL or SQLite)")


@dataclass(frozen=True)
class DatabaseTarget:
    url: URL
    schema: str | None  # PostgreSQL schema that holds the service's tables

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"


def database_target(settings: ServiceSettings) -> DatabaseTarget:
    if settings.database_url:
        return DatabaseTarget(normalise_url(settings.database_url), None)
    if settings.suite.database_url:
        url = normalise_url(settings.suite.database_url)
        if url.get_backend_name() != "postgresql":
            raise ValueError("BASISDIENSTE_DATABASE_URL must be PostgreSQL; SQLite files come from --data-dir")
        return DatabaseTarget(url, settings.name)
    data_dir = Path(settings.suite.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    return DatabaseTarget(make_url(f"sqlite+inline:///{(data_dir / f'{settings.name}.sqlite3').resolve()}"), None)


def _tune_sqlite(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # The driver would open transactions lazily with a plain BEGIN; _begin_immediately opens them instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers and the outbox dispatcher work while a request writes; the timeout waits out the writer.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediately(connection) -> None:  # type: ignore[no-untyped-def]
    """Take SQLite's write lock when a transaction starts, not when it first writes.

    With a plain BEGIN, a transaction that has read and then writes while another connection committed in between
    fails at once with "database is locked" (SQLite cannot upgrade a stale read snapshot; the busy timeout does not
    apply). Concurrent requests then answer 500. Starting every transaction as a writer makes them queue instead.
    """
    if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    def __init__(self, target: DatabaseTarget) -> None:
        self.target = target
        kwargs: dict[str, object] = {"pool_pre_ping": not target.is_sqlite}
        if target.is_sqlite:
            # SQLite has one writer at a time anyway: with one connection, requests queue for it in asyncio
            # instead of sleeping in SQLite's busy handler (which made p99 latency seconds under load).
            kwargs.update(pool_size=1, max_overflow=0, pool_timeout=30)
        if target.schema:
            kwargs["connect_args"] = {"server_settings": {"search_path": target.schema}}
        self.engine: AsyncEngine = create_async_engine(target.url, **kwargs)
        if target.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _tune_sqlite)
            event.listen(self.engine.sync_engine, "begin", _begin_immediately)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            # No transaction: a health check must not queue behind writers for SQLite's write lock.
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("SELECT 1"))

    async def truncate(self, *metadatas: MetaData) -> None:
        """Empty every table the service owns, in one transaction; the schema and migrations stay.

        A table declared with ``info={"keep_on_reset": True}`` keeps its rows: signing keys, for instance, which
        relying parties have pinned from the metadata and must not change under them at every reset.
        """
        tables = [t for md in metadatas for t in md.sorted_tables if not t.info.get("keep_on_reset")]
        if not tables:
            return
        for attempt in range(1, _TRUNCATE_ATTEMPTS + 1):
            try:
                async with self.engine.begin() as connection:
                    if self.target.is_sqlite:
                        for table in reversed(tables):
                            await connection.execute(table.delete())
                    else:
                        names = ", ".join(f'"{t.name}"' for t in tables)
                        await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                return
            except DBAPIError as exc:
                # TRUNCATE locks its tables one after another; a background worker (outbox, timers) that holds a
                # row lock in one of them and then writes another can deadlock with it. PostgreSQL aborts one
                # side (40P01); when that is the reset, it simply tries again.
                if attempt == _TRUNCATE_ATTEMPTS or getattr(exc.orig, "sqlstate", None) != "40P01":
                    raise
                await asyncio.sleep(0.05 * attempt)

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request that commits when the operation returns, before the response is sent.

    Committing before responding is what makes an answer an acknowledgement: a restart loses nothing that was
    acknowledged. Operations never commit themselves.
    """
    async with request.app.state.runtime.db.sessionmaker() as session:
        try:
            yield session
            if session.in_transaction():  # a request answered from memory never began one: nothing to commit
                await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
