"""What the running rechnungseingang service holds besides the kit runtime: the validator, its credentials for the
Postfach, its ZBP author identity, and the SMTP server; reachable as ``request.app.state.rechnungseingang``."""

import asyncio
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from kit.identity import NutzerkontoVerifier, ServiceCredentials
from kit.service import ServiceRuntime
from kit.zbp import ZbpAuthor
from services.rechnungseingang.intake.validator import ValidatorHolder
from services.rechnungseingang.settings import RechnungseingangSettings


@dataclass
class Rechnungseingang:
    settings: RechnungseingangSettings
    runtime: ServiceRuntime
    validator: ValidatorHolder
    credentials: ServiceCredentials
    verifier: NutzerkontoVerifier
    smtp: Any = None  # the running SMTP intake server, if enabled
    _author: ZbpAuthor | None = None
    _author_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def author(self) -> ZbpAuthor:
        """The ZBP author key of the intake; generated once per process (a test certificate)."""
        if self._author is None:
            async with self._author_lock:
                if self._author is None:
                    self._author = await asyncio.to_thread(ZbpAuthor.generate, self.settings.sender_name[:64])
        return self._author


async def _state(request: Request) -> Rechnungseingang:
    return request.app.state.rechnungseingang  # type: ignore[no-any-return]


StateDep = Annotated[Rechnungseingang, Depends(_state)]
