"""Background key generation (services/postfach/fitconnect/keys.py): a request that needs a key still being made
waits for the generation only. It holds its session while it waits, and on SQLite that is the one pooled
connection, which storing the new keys needs too: waiting for the storing as well deadlocked until the pool gave
up after 30 s (seen as the gateway's 504 on the fitconnect SDK's first submission in a clean-clone CI run)."""

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy import func, select, text

from kit.db import Database, DatabaseTarget, normalise_url
from services.postfach.fitconnect.keys import ENC, SIG, KeyStore
from services.postfach.fitconnect.models import FcKey
from services.postfach.models import Base

NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


async def test_a_request_holding_the_connection_gets_a_key_still_being_made(tmp_path: Path) -> None:
    db = Database(DatabaseTarget(normalise_url(f"sqlite:///{tmp_path / 'postfach.sqlite3'}"), None))
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all, tables=[FcKey.__table__])
        keys = KeyStore()
        keys.ensure_in_background(db, "destination", (ENC, SIG), 2048, NOW)
        async with db.sessionmaker() as request_session:
            await request_session.execute(text("SELECT 1"))  # the request's transaction holds the only connection
            assert request_session.in_transaction()
            key = await asyncio.wait_for(keys.get("destination", ENC, request_session), timeout=20)
            assert key is not None and key.purpose == ENC
            await request_session.commit()
        await asyncio.wait_for(keys.wait(), timeout=20)
        async with db.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(FcKey)) == 2
        reloaded = KeyStore()
        async with db.sessionmaker() as session:
            await reloaded.load(session)
        stored, made = await reloaded.get("destination", SIG), await keys.get("destination", SIG)
        assert stored is not None and made is not None and stored.kid == made.kid
    finally:
        await db.dispose()
