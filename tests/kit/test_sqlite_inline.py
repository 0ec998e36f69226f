"""The embedded SQLite driver (kit/sqlite_inline.py) runs statements on the event loop's thread, through the ORM and
the Core API alike, and concurrent requests still queue for the one connection and all commit."""

import asyncio
import threading
from pathlib import Path

from sqlalchemy import String, event, func, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import Database, DatabaseTarget, normalise_url


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


async def test_statements_run_on_the_loop_thread_and_concurrent_writers_all_commit(tmp_path: Path) -> None:
    db = Database(DatabaseTarget(normalise_url(f"sqlite:///{tmp_path / 'inline.sqlite3'}"), None))
    threads: set[int] = set()
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *_: threads.add(threading.get_ident()))
    try:
        assert db.engine.dialect.driver == "inline"
        async with db.engine.begin() as connection:
            await connection.run_sync(_Base.metadata.create_all)
            # AsyncConnection.execute insists on an async driver: the Core path must work, not only the ORM.
            assert (await connection.execute(text("SELECT 41 + 1"))).scalar_one() == 42

        async def write(index: int) -> None:
            async with db.sessionmaker() as session, session.begin():
                session.add(_Row(id=index, name=f"row {index}"))
                await asyncio.sleep(0)  # hand the loop to the others while holding the transaction

        await asyncio.gather(*(write(i) for i in range(50)))
        async with db.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(_Row)) == 50
        await db.ping()
        assert threads == {threading.get_ident()}
    finally:
        await db.dispose()
