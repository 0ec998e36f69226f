"""Seed data of the mailbox: the Behördenpostfächer of contract C1 with their readers (from settings), written at
startup and after every reset; and mailboxes for every Nutzerkonto identity on request."""

import datetime as dt
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from kit.zbp import behoerdenpostfach_uuid
from services.postfach.mailbox import repository
from services.postfach.mailbox.models import Mailbox, MailboxReader
from services.postfach.mailbox.state import MailboxState
from services.postfach.settings import PostfachSettings


async def set_readers(session: AsyncSession, mailbox_uuid: str, readers: list[str]) -> None:
    await session.execute(delete(MailboxReader).where(MailboxReader.mailbox_uuid == mailbox_uuid))
    for client_id in sorted(set(readers)):
        session.add(MailboxReader(mailbox_uuid=mailbox_uuid, client_id=client_id))
    await session.flush()


async def upsert_authority(session: AsyncSession, ars: str, name: str, readers: list[str], *, now: dt.datetime,
                           seeded: bool) -> Mailbox:
    uuid = behoerdenpostfach_uuid(ars)
    mailbox = await repository.get_mailbox(session, uuid)
    if mailbox is None:
        mailbox = Mailbox(uuid=uuid, kind="authority", display_name=name, identity_id=None, ars=ars,
                          notification_email=None, seeded=seeded, created_at=now)
        session.add(mailbox)
        await session.flush()
    else:
        mailbox.display_name = name
    await set_readers(session, uuid, readers)
    return mailbox


async def populate(session: AsyncSession, settings: PostfachSettings, now: dt.datetime) -> None:
    for ars, name in settings.authorities.items():
        if await repository.get_mailbox(session, behoerdenpostfach_uuid(ars)) is None:
            await upsert_authority(session, ars, name, settings.authority_readers.get(ars, []), now=now, seeded=True)


async def sync_people(session: AsyncSession, state: MailboxState) -> int:
    state.directory.forget()
    created = 0
    await state.directory.owner("00000000-0000-0000-0000-000000000000")  # loads the whole list
    for handle, owner in state.directory.known().items():
        if await repository.get_mailbox(session, handle) is None:
            await repository.add_mailbox_if_missing(session, Mailbox(
                uuid=handle, kind=owner.kind, display_name=owner.display_name, identity_id=owner.identity_id,
                ars=None, notification_email=owner.mail, seeded=False, created_at=state.runtime.clock.now()))
            created += 1
    return created


def describe(settings: PostfachSettings) -> dict[str, Any]:
    return {"behoerdenpostfaecher": [
        {"ars": ars, "name": name, "mailboxUuid": behoerdenpostfach_uuid(ars),
         "readers": settings.authority_readers.get(ars, [])} for ars, name in settings.authorities.items()],
        "bekanntgabe": {"ozg9_days": settings.bekanntgabe_ozg9_days,
                        "vwvfg41_2a_window_days": settings.bekanntgabe_retrieval_window_days},
        "inbox": f"{settings.external_url.rstrip('/')}/postkorb"}
