"""Fault injection: make a named operation fail or slow down on purpose, so clients can test their error paths.

An operation is a route's name (``health``, ``submit_submission``) or an internal step a service names itself
(``outbox.deliver``); a fault for any other name would never fire, so it is refused with the names there are.
Faults live in memory and are cleared by a reset.
"""

import asyncio
import difflib
import random
import re
import uuid
from collections.abc import Iterable
from typing import Annotated

from fastapi import Request
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, Field, model_validator
from starlette.applications import Starlette

from kit.problems import Problem

FAULT_HEADER = "X-Emulator-Fault"


class FaultSpec(BaseModel):
    operation: str = Field(min_length=1, max_length=200, examples=["health", "outbox.deliver"], description=(
        "A route's name (its operationId) or a step the service names; an unknown one is refused (422) with the "
        "list of names there are"))
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


def _step_pattern(step: str) -> re.Pattern[str]:
    """``fitconnect.destination.{destination_id}`` names a family: any text may stand for ``{destination_id}``."""
    parts = re.split(r"\{[^{}]+\}", step)
    return re.compile(".+".join(re.escape(part) for part in parts))


class Faults:
    def __init__(self, service: str, *, steps: Iterable[str] = ()) -> None:
        self.service = service
        self._faults: dict[str, Fault] = {}
        self._steps: dict[str, re.Pattern[str]] = {}
        self._app: Starlette | None = None
        self.declare(*steps)

    def declare(self, *steps: str) -> None:
        """Name the internal steps that call ``check`` (``outbox.deliver``, ``fitconnect.destination.{id}``)."""
        self._steps.update((step, _step_pattern(step)) for step in steps)

    def serve(self, app: Starlette) -> None:
        """Every route of ``app`` is an operation too (``apply_route_faults``); read when asked, so routes
        included later count."""
        self._app = app

    def _routes(self) -> set[str]:
        routes = self._app.routes if self._app is not None else []
        # FastAPI keeps an included router as one entry; its routes are reached through their contexts.
        return {context.original_route.name for context in iter_route_contexts(routes)
                if isinstance(context.original_route, APIRoute)}

    def operations(self) -> list[str]:
        """The names a fault can target: the routes' and the declared steps'."""
        return sorted(self._routes() | set(self._steps))

    def knows(self, operation: str) -> bool:
        """Whether ``operation`` names a route or a declared step. A Faults bound to nothing (a unit test's)
        knows no names, and takes any."""
        if self._app is None and not self._steps:
            return True
        return operation in self._routes() or any(p.fullmatch(operation) for p in self._steps.values())

    def add(self, spec: FaultSpec) -> Fault:
        if not self.knows(spec.operation):
            operations = self.operations()
            close = difflib.get_close_matches(spec.operation, operations, n=3)
            guess = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise Problem(422, f"The {self.service} has no operation {spec.operation!r}.{guess} `operations` lists "
                               "the names a fault can target.", type_="unknown-operation", title="Unknown operation",
                          service=self.service, operation=spec.operation, operations=operations)
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
