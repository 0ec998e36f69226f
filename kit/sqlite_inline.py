"""``sqlite+inline``: SQLite for SQLAlchemy's async engine, called on the event loop's own thread.

SQLAlchemy's asyncio layer runs the ORM in a greenlet and only needs the DBAPI's calls to return; sqlite3 calls
return in microseconds (WAL, ``synchronous=NORMAL``: no fsync per commit). aiosqlite instead hands every call to its
own thread and back: two thread switches and a loop wake-up per statement, which cost more CPU than the statements
themselves (≈ 0.5 ms of kernel time per request; reads went from 440 to 1000 per second without them). With one
pooled connection per service (kit/db.py) requests queue for it in asyncio either way, so nothing runs less
concurrently for calling it inline. The one cost: while another process holds the file's write lock, the whole
service waits (up to the busy timeout), not just its database calls; a SQLite file belongs to one process, and
PostgreSQL is the database for several.
"""

import sqlite3
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util import await_


async def _ready() -> None:
    return None


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """What the async result layer calls on an async driver's cursor; sqlite3's rows stay readable as they are."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory: type[sqlite3.Cursor] = _Cursor) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory)


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """The pysqlite dialect, marked async: SQLAlchemy runs it inside its greenlet like an async driver."""

    driver = "inline"
    is_async = True
    supports_statement_cache = True

    # The async engine checks that a statement went through an await (its guard against a sync driver); this await
    # of a finished coroutine passes that check without leaving the thread.
    def do_execute(self, cursor, statement, parameters, context=None):  # type: ignore[no-untyped-def]
        await_(_ready())
        super().do_execute(cursor, statement, parameters, context)

    def do_execute_no_params(self, cursor, statement, context=None):  # type: ignore[no-untyped-def]
        await_(_ready())
        super().do_execute_no_params(cursor, statement, context)

    def do_executemany(self, cursor, statement, parameters, context=None):  # type: ignore[no-untyped-def]
        await_(_ready())
        super().do_executemany(cursor, statement, parameters, context)

    def connect(self, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        return super().connect(*args, factory=_Connection, **kwargs)

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool if cls._is_url_file_db(url) else pool.StaticPool


registry.register("sqlite.inline", __name__, "InlineSQLiteDialect")
