"""What the running Nutzerkonto holds beside the kit's runtime: its keys and the protocols' finishers."""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from services.nutzerkonto.keys import KeyRing
from services.nutzerkonto.login.flow import Finisher
from services.nutzerkonto.settings import NutzerkontoSettings


@dataclass
class Nutzerkonto:
    settings: NutzerkontoSettings
    keys: KeyRing
    finishers: dict[str, Finisher] = field(default_factory=dict)


async def _nutzerkonto(request: Request) -> Nutzerkonto:
    return request.app.state.nutzerkonto


NutzerkontoDep = Annotated[Nutzerkonto, Depends(_nutzerkonto)]
