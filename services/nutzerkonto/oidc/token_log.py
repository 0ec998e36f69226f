"""Group commit for the token log on the client-credentials hot path: every issued token is still written before
its response leaves (nothing acknowledged is lost), but the tokens of concurrent requests share one transaction.
Under load that replaces one BEGIN/INSERT/COMMIT round trip per token (the largest cost after the RSA signature)
with one per batch.
"""

import asyncio
import logging
from typing import Any

from sqlalchemy import insert

from kit.db import Database
from services.nutzerkonto.oidc.models import IssuedToken

log = logging.getLogger("basisdienste.nutzerkonto")


def _values(row: IssuedToken) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in IssuedToken.__table__.columns}


class TokenLog:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, row: IssuedToken) -> None:
        """Returns once ``row`` is committed. The caller must hold no open transaction on this service's database
        (on SQLite the one pooled connection is what the batch needs)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((_values(row), done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())
        await asyncio.shield(done)  # a client that hangs up must not abort the batch of the others

    async def _write_batches(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                async with self.db.sessionmaker() as session:
                    await session.execute(insert(IssuedToken), [values for values, _ in batch])
                    await session.commit()
            except Exception as exc:  # every waiting request answers with the failure; none is told "issued"
                log.exception("writing %d issued tokens failed", len(batch))
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
