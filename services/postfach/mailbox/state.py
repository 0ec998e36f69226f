"""What the mailbox part keeps per app (``app.state.mailbox``): settings, the identity directory, the token verifier
for senders and readers, and the at-rest sealer (its key is read once from the setting or the database)."""

import asyncio
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from kit.identity import NutzerkontoVerifier
from kit.service import ServiceRuntime
from services.postfach.mailbox.directory import IdentityDirectory
from services.postfach.mailbox.sealing import Sealer, key_from_setting, load_or_create_key
from services.postfach.settings import PostfachSettings


@dataclass
class MailboxState:
    settings: PostfachSettings
    runtime: ServiceRuntime
    directory: IdentityDirectory
    verifier: NutzerkontoVerifier
    confirmations: Any = None  # the retrieval-confirmation outbox channel (tests swap its HTTP client)
    _sealer: Sealer | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def sealer(self, session: AsyncSession) -> Sealer:
        if self._sealer is None:
            if self.settings.at_rest_key is not None:
                key = key_from_setting(self.settings.at_rest_key.get_secret_value())
            else:
                key = await load_or_create_key(session, self.runtime.clock.now())
            self._sealer = Sealer(key)
        return self._sealer

    def reset(self) -> None:
        self.directory.forget()
        # Read again at the next use: a restored snapshot brings the at-rest key its messages were sealed with.
        self._sealer = None


def mailbox_state(request: Request) -> MailboxState:
    return request.app.state.mailbox  # type: ignore[no-any-return]


async def _mailbox_state(request: Request) -> MailboxState:
    return mailbox_state(request)  # async: FastAPI would run a plain function in a worker thread


MailboxDep = Annotated[MailboxState, Depends(_mailbox_state)]
