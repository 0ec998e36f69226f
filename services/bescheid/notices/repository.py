"""All database queries of the Bescheid domain."""

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.bescheid.models import Authority, BatchJob, Bescheid, Counter, Template


async def get_authority(session: AsyncSession, authority_id: str) -> Authority | None:
    return await session.get(Authority, authority_id)


async def list_authorities(session: AsyncSession) -> Sequence[Authority]:
    return (await session.scalars(select(Authority).order_by(Authority.id))).all()


async def get_template(session: AsyncSession, template_id: str) -> Template | None:
    return await session.get(Template, template_id)


async def list_templates(session: AsyncSession, authority_id: str | None = None) -> Sequence[Template]:
    query = select(Template).order_by(Template.id)
    if authority_id:
        query = query.where(Template.authority_id == authority_id)
    return (await session.scalars(query)).all()


async def next_number(session: AsyncSession, authority_id: str, year: int) -> int:
    """The authority's next number in ``year``: one conditional increment, so two concurrent notices never
    share a number (the row lock / SQLite's write lock orders them); the row is created on first use."""
    raise_by_one = (update(Counter).where(Counter.authority_id == authority_id, Counter.year == year)
                    .values(last_number=Counter.last_number + 1).returning(Counter.last_number)
                    .execution_options(synchronize_session=False))
    number = (await session.execute(raise_by_one)).scalar_one_or_none()
    if number is not None:
        return number
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    await session.execute(dialect.insert(Counter).values(authority_id=authority_id, year=year, last_number=0)
                          .on_conflict_do_nothing())
    return (await session.execute(raise_by_one)).scalar_one()


async def get_bescheid(session: AsyncSession, bescheid_id: str) -> Bescheid | None:
    return await session.get(Bescheid, bescheid_id)


async def list_bescheide(session: AsyncSession, *, client_id: str, authority_id: str | None,
                         addressee: str | None, limit: int, offset: int) -> Sequence[Bescheid]:
    query = select(Bescheid).where(Bescheid.client_id == client_id)
    if authority_id:
        query = query.where(Bescheid.authority_id == authority_id)
    if addressee:
        query = query.where(Bescheid.addressee_handle == addressee)
    query = query.order_by(Bescheid.created_at.desc(), Bescheid.number.desc()).limit(limit).offset(offset)
    return (await session.scalars(query)).all()


async def get_batch(session: AsyncSession, batch_id: str) -> BatchJob | None:
    return await session.get(BatchJob, batch_id)


async def unfinished_batches(session: AsyncSession) -> Sequence[str]:
    return (await session.scalars(select(BatchJob.id).where(BatchJob.status != "completed"))).all()
