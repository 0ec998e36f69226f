"""The emulator controls each service exposes under ``/_emulator``: reset, clock, seed, faults, outbox.

The gateway's ``/_emulator`` fans out to these. They are off when ``BASISDIENSTE_EMULATOR_CONTROLS=false`` and
answer only loopback callers, or callers presenting ``BASISDIENSTE_CONTROL_TOKEN`` as a bearer token.
"""

import datetime as dt
import hmac
import ipaddress
import re
import time
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, field_validator, model_validator

from kit.clock import Clock
from kit.faults import Fault, FaultSpec
from kit.problems import Problem
from kit.settings import SuiteSettings

if TYPE_CHECKING:
    from kit.service import ServiceRuntime


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_control_access(suite: SuiteSettings, request: Request) -> None:
    if not suite.emulator_controls:
        raise Problem(404, "Emulator controls are switched off (BASISDIENSTE_EMULATOR_CONTROLS=false).")
    if is_loopback(request.client.host if request.client else None):
        return
    token = suite.control_token.get_secret_value() if suite.control_token else None
    presented = request.headers.get("authorization", "")
    if token and hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
        return
    raise Problem(403, "Emulator controls answer loopback callers only, or callers presenting the control token.",
                  type_="control-forbidden", title="Forbidden")


_CALENDAR_DURATION = re.compile(r"^-?P[^T]*[YM]")


class ClockCommand(BaseModel):
    """Exactly one of: freeze at a time, advance by an ISO 8601 duration, release back to wall-clock time."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"freeze": "2026-03-01T09:00:00+01:00"}, {"advance": "P3D"}, {"release": True}]})

    freeze: AwareDatetime | None = None
    advance: dt.timedelta | None = None
    release: Literal[True] | None = None

    @field_validator("advance", mode="before")
    @classmethod
    def _no_calendar_units(cls, value: Any) -> Any:
        if isinstance(value, str) and _CALENDAR_DURATION.match(value):
            raise ValueError("years and months have no fixed length; give days, hours, minutes or seconds (P30D)")
        return value

    @field_validator("advance")
    @classmethod
    def _forward_only(cls, value: dt.timedelta | None) -> dt.timedelta | None:
        if value is not None and value < dt.timedelta():
            raise ValueError("the clock only moves forward; freeze at an earlier time instead")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> "ClockCommand":
        if sum(v is not None for v in (self.freeze, self.advance, self.release)) != 1:
            raise ValueError("give exactly one of freeze, advance, release")
        return self

    def apply(self, clock: Clock) -> None:
        if self.freeze is not None:
            clock.freeze(self.freeze)
        elif self.advance is not None:
            clock.advance(self.advance)
        else:
            clock.release()


class ClockState(BaseModel):
    now: str
    frozen: bool
    offset_seconds: float


async def require_control_access(request: Request) -> None:
    """Dependency for a service's own ``/_emulator/...`` routes (the kit's and the service's)."""
    check_control_access(request.app.state.runtime.settings.suite, request)


def control_router() -> APIRouter:
    """A router for a service's own emulator controls, guarded like the kit's."""
    return APIRouter(prefix="/_emulator", tags=["emulator"], dependencies=[Depends(require_control_access)])


def emulator_router() -> APIRouter:
    router = control_router()

    def runtime_of(request: Request) -> "ServiceRuntime":
        return request.app.state.runtime

    @router.post("/reset", name="emulator_reset")
    async def reset(request: Request) -> dict[str, Any]:
        """Empty the service's tables, clear faults, release the clock, and load the seed data again."""
        started = time.perf_counter()
        await runtime_of(request).reset()
        return {"service": runtime_of(request).settings.name, "ms": round((time.perf_counter() - started) * 1000, 2)}

    @router.get("/clock", name="emulator_clock")
    async def get_clock(request: Request) -> ClockState:
        return ClockState(**runtime_of(request).clock.state())

    @router.post("/clock", name="emulator_set_clock")
    async def set_clock(request: Request, command: ClockCommand) -> ClockState:
        clock = runtime_of(request).clock
        command.apply(clock)
        return ClockState(**clock.state())

    @router.get("/seed", name="emulator_seed")
    async def seed(request: Request) -> dict[str, Any]:
        """The service's test data: identities, clients and secrets, authorities, whatever it seeds."""
        runtime = runtime_of(request)
        return await runtime.hooks.seed(runtime)

    @router.get("/faults", name="emulator_faults")
    async def list_faults(request: Request) -> list[Fault]:
        return runtime_of(request).faults.list()

    @router.post("/faults", name="emulator_add_fault", status_code=201)
    async def add_fault(request: Request, spec: FaultSpec) -> Fault:
        return runtime_of(request).faults.add(spec)

    @router.delete("/faults", name="emulator_clear_faults", status_code=204)
    async def clear_faults(request: Request, id: str | None = None) -> Response:
        faults = runtime_of(request).faults
        if id is None:
            faults.clear()
        elif not faults.remove(id):
            raise Problem(404, f"No fault with id {id}.")
        return Response(status_code=204)

    @router.get("/outbox", name="emulator_outbox")
    async def outbox(request: Request, limit: int = 100) -> list[dict[str, Any]]:
        """What the service has sent or will send (webhooks, e-mails), newest first, without changing anything."""
        return await runtime_of(request).outbox.list_messages(limit=min(max(limit, 1), 1000))

    return router
