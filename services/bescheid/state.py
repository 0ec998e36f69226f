"""What the running bescheid service holds beside the kit's runtime: the test PKI (keys parsed once), the cut
fonts, the worker pool that renders and seals, and the credentials it delivers to the Postfach with."""

import asyncio
import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from kit.identity import ServiceCredentials
from kit.zbp import ZbpAuthor
from services.bescheid.pki.store import TestPki
from services.bescheid.settings import BescheidSettings

T = TypeVar("T")


@dataclass
class BescheidState:
    settings: BescheidSettings
    pki: TestPki
    credentials: ServiceCredentials
    fonts: dict[str, Path] = field(default_factory=dict)
    author: ZbpAuthor | None = None
    executor: concurrent.futures.ThreadPoolExecutor | None = None
    batch_tasks: set["asyncio.Task[Any]"] = field(default_factory=set)

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run CPU-bound work (rendering, sealing) in the worker pool, keeping the event loop free."""
        if self.executor is None:
            self.executor = concurrent.futures.ThreadPoolExecutor(self.settings.workers,
                                                                  thread_name_prefix="bescheid-worker")
        return await asyncio.get_running_loop().run_in_executor(self.executor, lambda: function(*args, **kwargs))

    def shutdown(self) -> None:
        for task in self.batch_tasks:
            task.cancel()
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = None


async def _state(request: Request) -> BescheidState:
    return request.app.state.bescheid


BescheidDep = Annotated[BescheidState, Depends(_state)]
