"""The in-process services start side by side and stop in reverse order (gateway/lifespans.py); one that fails to
start stops those that did and its error is raised."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from gateway.lifespans import lifespans


def _app(name: str, log: list[str], *, waits_for: asyncio.Event | None = None, sets: asyncio.Event | None = None,
         fails: bool = False) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if sets is not None:
            sets.set()
        if waits_for is not None:
            await waits_for.wait()  # only finishes if the other service starts at the same time
        if fails:
            raise RuntimeError(f"{name} cannot start")
        log.append(f"{name} started")
        yield
        log.append(f"{name} stopped")

    return FastAPI(title=name, lifespan=lifespan)


async def test_services_start_side_by_side_and_stop_in_reverse_order() -> None:
    log: list[str] = []
    first_up, second_up = asyncio.Event(), asyncio.Event()
    apps = [_app("a", log, sets=first_up, waits_for=second_up), _app("b", log, sets=second_up, waits_for=first_up),
            _app("c", log)]
    async with asyncio.timeout(5):  # one after the other, "a" would wait for "b" forever
        async with lifespans(apps):
            assert sorted(log) == ["a started", "b started", "c started"]
            log.clear()
    assert log == ["c stopped", "b stopped", "a stopped"]


async def test_a_failed_start_stops_the_others_and_raises() -> None:
    log: list[str] = []
    entered = False
    with pytest.raises(RuntimeError, match="b cannot start"):
        async with asyncio.timeout(5):
            async with lifespans([_app("a", log), _app("b", log, fails=True), _app("c", log)]):
                entered = True
    assert not entered
    assert sorted(log) == ["a started", "a stopped", "c started", "c stopped"]
