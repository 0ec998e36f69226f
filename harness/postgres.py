"""Administrative statements (CREATE/DROP DATABASE) on the PostgreSQL server a test run uses.

They run on asyncpg, the suite's own driver, in a thread of their own: the caller may be a synchronous pytest hook
or sit inside a running event loop (an async fixture), where ``asyncio.run`` is not allowed.
"""

import asyncio
import concurrent.futures

import asyncpg
from sqlalchemy.engine import make_url

_BUSY_ATTEMPTS = 20


async def _execute(server_url: str, statement: str, *, retry_busy_template: bool) -> None:
    url = make_url(server_url)
    connection = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432,
                                       user=url.username or "postgres", password=url.password, database="postgres")
    try:
        for attempt in range(1, _BUSY_ATTEMPTS + 1):
            try:
                await connection.execute(statement)
                return
            except asyncpg.ObjectInUseError:
                # "source database is being accessed by other users": a worker still holds the template open for
                # a moment after building it. Copying needs it alone.
                if not retry_busy_template or attempt == _BUSY_ATTEMPTS:
                    raise
                await asyncio.sleep(0.1 * attempt)
    finally:
        await connection.close()


def admin_execute(server_url: str, statement: str, *, retry_busy_template: bool = False) -> None:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _execute(server_url, statement, retry_busy_template=retry_busy_template)).result()
