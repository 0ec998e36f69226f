"""Kassenzeichen assignment: ``<prefix><year><6-digit number><check digit>``, numbered per office prefix and year.

The number is taken with one upsert that increments and returns the counter (``INSERT … ON CONFLICT DO UPDATE …
RETURNING``), so concurrent payments never get the same Kassenzeichen on SQLite or PostgreSQL.
"""

import datetime as dt

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.bezahlplattform.models import KassenzeichenCounter


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and len(number) > 1 and luhn_digit(number[:-1]) == number[-1]


async def assign(session: AsyncSession, *, prefix: str, now: dt.datetime) -> str:
    year = now.year
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(KassenzeichenCounter).values(prefix=prefix, year=year, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=["prefix", "year"], set_={"last": KassenzeichenCounter.last + 1}
    ).returning(KassenzeichenCounter.last)
    number = (await session.execute(statement)).scalar_one()
    body = f"{prefix}{year}{number:06d}"
    return body + luhn_digit(body)
