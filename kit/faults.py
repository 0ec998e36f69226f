"""Fault injection: make a named operation fail or slow down on purpose, so clients can test their error paths.

An operation is a route's name (``health``, ``submit_submission``) or an internal step a service names itself
(``outbox.deliver``). Faults live in memory and are cleared by a reset.
"""

import asyncio
import random
import uuid
from typing import Annotated

from fastapi import Request
from pydantic import BaseModel, Field, model_validator

from kit.problems import Problem

FAULT_HEADER = "X-Emulator-Fault"


class FaultSpec(BaseModel):
    operation: str = Field(min_length=1, max_length=200, examples=["health", "outbox.deliver"])
    status: Annotated[int, Field(ge=400, le=599)] | None = Field(
        None, description="Answer with this HTTP status as a problem; omit for latency only")
    delay_ms: int = Field(0, ge=0, le=120_000, description="Wait this long (wall-clock) before answering")
    times: int | None = Field(None, ge=1, description="Fire this many times, then disappear; omit for until cleared")
    probability: float = Field(1.0, gt=0, le=1)
    type: str | None = Field(None, description="Problem type URI to answer with (a real platform's error code)")
    detail: str | None = None

    @model_validator(mode="after")
    def _does_something(self) -> "FaultSpec":
        if self.status is None and self.delay_ms == 0:
            raise ValueError("a fault needs a status, a delay_ms, or both")
        return self


class Fault(FaultSpec):
    id: str
    service: str
    fired: int = 0


class Faults:
    def __init__(self, service: str) -> None:
        self.service = service
        self._faults: dict[str, Fault] = {}

    def add(self, spec: FaultSpec) -> Fault:
        fault = Fault(**spec.model_dump(), id=uuid.uuid4().hex, service=self.service)
        self._faults[fault.id] = fault
        return fault

    def list(self) -> list[Fault]:
        return list(self._faults.values())

    def remove(self, fault_id: str) -> bool:
        return self._faults.pop(fault_id, None) is not None

    def clear(self) -> None:
        self._faults.clear()

    def _take(self, operation: str) -> Fault | None:
        for fault in self._faults.values():
            if fault.operation == operation and (fault.probability >= 1 or random.random() < fault.probability):
                fault.fired += 1
                if fault.times is not None and fault.fired >= fault.times:
                    del self._faults[fault.id]
                return fault
        return None

    async def check(self, operation: str) -> None:
        """Apply a fault armed for ``operation``: sleep, then raise its problem. Cheap when none is armed."""
        if not self._faults:
            return
        fault = self._take(operation)
        if fault is None:
            return
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault.status is not None:
            raise Problem(
                fault.status,
                fault.detail or f"Fault injected into {self.service}.{operation} by the emulator.",
                type_=fault.type or "injected-fault",
                headers={FAULT_HEADER: fault.id},
            )


async def apply_route_faults(request: Request) -> None:
    """App-wide dependency: every route is an operation that faults can target by its name."""
    route = request.scope.get("route")
    if route is not None:
        await request.app.state.runtime.faults.check(route.name)
