"""Every database query of the mailbox part."""

from collections.abc import Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from services.postfach.mailbox.models import Attachment, Mail, Mailbox, MailboxReader, Message, StatusUpdate


async def get_mailbox(session: AsyncSession, uuid: str) -> Mailbox | None:
    return await session.get(Mailbox, uuid)


async def add_mailbox_if_missing(session: AsyncSession, mailbox: Mailbox) -> Mailbox:
    """Insert unless a concurrent request did already (no unique violation either way), then load it."""
    values = {c.key: getattr(mailbox, c.key) for c in Mailbox.__table__.columns}
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect == "postgresql":
        await session.execute(pg_insert(Mailbox).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        await session.execute(sqlite_insert(Mailbox).values(**values).on_conflict_do_nothing())
    else:
        await session.execute(insert(Mailbox).values(**values))
    row = await session.get(Mailbox, mailbox.uuid)
    assert row is not None
    return row


async def list_mailboxes(session: AsyncSession) -> list[Mailbox]:
    return list((await session.scalars(select(Mailbox).order_by(Mailbox.kind, Mailbox.display_name))).all())


async def readers_of(session: AsyncSession, mailbox_uuid: str) -> list[str]:
    rows = await session.scalars(select(MailboxReader.client_id).where(MailboxReader.mailbox_uuid == mailbox_uuid)
                                 .order_by(MailboxReader.client_id))
    return list(rows.all())


async def may_read(session: AsyncSession, mailbox_uuid: str, client_id: str) -> bool:
    return await session.get(MailboxReader, (mailbox_uuid, client_id)) is not None


async def get_message(session: AsyncSession, message_id: str, *, for_update: bool = False) -> Message | None:
    if for_update and session.bind is not None and session.bind.dialect.name == "postgresql":
        return await session.scalar(select(Message).where(Message.id == message_id).with_for_update())
    return await session.get(Message, message_id)


async def list_messages(session: AsyncSession, mailbox_uuid: str, *, limit: int, offset: int) -> list[Message]:
    query = (select(Message).where(Message.mailbox_uuid == mailbox_uuid)
             .order_by(Message.provided_at.desc(), Message.id.desc()).limit(limit).offset(offset))
    return list((await session.scalars(query)).all())


async def count_messages(session: AsyncSession, mailbox_uuid: str) -> int:
    return int(await session.scalar(select(func.count()).select_from(Message)
                                    .where(Message.mailbox_uuid == mailbox_uuid)) or 0)


async def attachments_of(session: AsyncSession, message_ids: Sequence[str]) -> dict[str, list[Attachment]]:
    found: dict[str, list[Attachment]] = {m: [] for m in message_ids}
    if not message_ids:
        return found
    # The sealed bytes stay in the database until someone downloads the file.
    query = (select(Attachment).options(defer(Attachment.sealed_data, raiseload=True))
             .where(Attachment.message_id.in_(list(message_ids))).order_by(Attachment.message_id, Attachment.position))
    for attachment in (await session.scalars(query)).all():
        found[attachment.message_id].append(attachment)
    return found


async def get_attachment(session: AsyncSession, attachment_id: str) -> Attachment | None:
    return await session.get(Attachment, attachment_id)


async def status_updates(session: AsyncSession, application_id: str) -> list[StatusUpdate]:
    return list((await session.scalars(select(StatusUpdate).where(StatusUpdate.application_id == application_id)
                                       .order_by(StatusUpdate.received_at, StatusUpdate.id))).all())


async def list_mails(session: AsyncSession, *, to: str | None, limit: int) -> list[Mail]:
    query = select(Mail).order_by(Mail.created_at.desc(), Mail.id.desc()).limit(limit)
    if to:
        query = query.where(Mail.to == to)
    return list((await session.scalars(query)).all())


async def mailbox_has_application(session: AsyncSession, mailbox_uuid: str, application_id: str) -> bool:
    found = await session.scalar(select(Message.id).where(Message.mailbox_uuid == mailbox_uuid,
                                                          Message.application_id == application_id).limit(1))
    return found is not None
